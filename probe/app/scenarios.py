"""Scenario files: a portal state, a browser set-up, the credentials typed, the verdict expected.

A portal team writes one TOML file per case under ``scenarios/`` (see
``scenarios/README.md``). This module only loads them: files are validated into typed
models at load time; every problem is reported as one line naming the file, the line or
the field, and what was expected. Running them, one (``probe browser --scenario NAME``)
or all (``probe ci``), is ``probe/app/ci.py``'s job.

A scenario's portal has two states: ``[build_portal]`` while its browser profile is
built (e.g. the release whose service worker the profile keeps) and ``[portal]`` during
the diagnosis. Without ``[build_portal]`` both are the same. The engine is only given the
running portal's URLs: it never reads either state.

A scenario can instead target a portal the team runs and sets up itself (their staging
portal, or the second test portal a test starts): ``portal_description`` names its
description file, relative to the scenario file. The portal is then at the file's
``login_url`` (or where ``probe ci --portal-url`` says), and ``[portal]`` and
``[build_portal]``, the embedded mock's state, are not allowed.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

from probe.app import resources
from probe.app.portal_choice import PortalChoice
from probe.app.recipes.chromium import ProfileRecipe, fixtures_dir
from probe.app.recipes.firefox import gecko_id
from probe.browsers.base import EngineName
from probe.browsers.chromium.profile import extension_id
from probe.description.model import load_description
from probe.errors import BadInput
from probe.journey.credentials import Credentials
from probe.mock_portal.state import PortalConfig
from probe.models import Factor, Status


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ScenarioCredentials(_Strict):
    """What the person types, exactly as typed (stray spaces and Caps Lock included)."""

    identifier: str
    password: str
    provisional_code: str | None = None
    method: Literal["password", "franceconnect"] = "password"
    partner: str | None = None  # FranceConnect partner id, e.g. "impots"

    def typed(self) -> Credentials:
        return Credentials(
            identifier=self.identifier,
            password=self.password,
            provisional_code=self.provisional_code,
            method=self.method,
            partner=self.partner,
        )


class Expectation(_Strict):
    """The verdict the diagnosis must reach."""

    status: Status
    factor: Factor
    # Extension ids (or fixture folder names), cookie "name@host", setting ids, or
    # "identifier"/"password"; compared as a set when given.
    culprits: list[str] | None = None
    # The factors of the blockers, in the order a person meets them, when given.
    blockers: list[Factor] | None = None

    @model_validator(mode="after")
    def _ok_means_no_factor(self) -> Expectation:
        if (self.status == "ok") != (self.factor == "none"):
            raise ValueError(
                f"status '{self.status}' with factor '{self.factor}': "
                "status 'ok' goes with factor 'none', and only with it"
            )
        return self


def _chromium_only() -> list[EngineName]:
    return ["chromium"]


class Scenario(_Strict):
    """One case: portal state, browser profile recipe, credentials, expected verdict."""

    name: str = ""  # the file's stem; filled in by the loader when left out
    description: str
    reproduces: str  # the domain reference's failure mode this case stands for
    # A portal the team runs itself: its description file, relative to the scenario file.
    portal_description: str | None = None
    portal: PortalConfig = Field(default_factory=PortalConfig)
    build_portal: PortalConfig | None = None
    profile: ProfileRecipe = Field(default_factory=ProfileRecipe)
    # The browsers it runs in with ``probe ci``, each with a profile built for it.
    browsers: list[EngineName] = Field(default_factory=_chromium_only, min_length=1)
    # Every run stops after the CAPTCHA and types no credentials (probe browser --no-submit).
    no_submit: bool = False
    credentials: ScenarioCredentials = Field(
        default_factory=lambda: ScenarioCredentials(identifier="", password="")
    )
    expect: Expectation
    _described: PortalChoice | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _credentials_unless_no_submit(self) -> Scenario:
        if "credentials" not in self.model_fields_set and not self.no_submit:
            raise ValueError(
                "[credentials] is missing: give what the person types "
                "(or no_submit = true, which types nothing)"
            )
        return self

    @model_validator(mode="after")
    def _mock_state_or_description(self) -> Scenario:
        mock_state = {"portal", "build_portal"} & self.model_fields_set
        if self.portal_description is not None and mock_state:
            raise ValueError(
                f"[{sorted(mock_state)[0]}] sets the embedded portal's state, but this scenario "
                "targets the portal of portal_description, which you set up yourself: drop one"
            )
        return self

    @model_validator(mode="after")
    def _trusted_ca_in_chromium(self) -> Scenario:
        if self.profile.trusts_portal_ca and self.browsers != ["chromium"]:
            raise ValueError(
                "profile.trusts_portal_ca is for Chromium only (Linux Chromium reads the "
                'person\'s NSS database): set browsers = ["chromium"]'
            )
        if self.profile.trusts_portal_ca and self.portal.tls != "off":
            raise ValueError(
                "profile.trusts_portal_ca serves the portal with the trusted CA's "
                "certificate: drop portal.tls"
            )
        return self

    @model_validator(mode="after")
    def _same_accounts_while_building(self) -> Scenario:
        # The running portal keeps its accounts when it switches state, so accounts given
        # only in [portal] would never be seen.
        if self.build_portal is not None and self.build_portal.accounts != self.portal.accounts:
            raise ValueError(
                "build_portal.accounts must be the same as portal.accounts "
                "(the portal keeps its accounts when it switches to [portal])"
            )
        return self

    @property
    def portal_while_building(self) -> PortalConfig:
        return self.build_portal if self.build_portal is not None else self.portal

    @property
    def described_portal(self) -> PortalChoice | None:
        """The portal of ``portal_description``: its description and the file it came
        from; None: the embedded mock portal."""
        return self._described

    def describe_portal(self, choice: PortalChoice) -> None:
        """Attach the loaded ``portal_description`` (the loader does it)."""
        self._described = choice


# ------------------------------------------------------------------ loading


def default_directory() -> Path:
    """``scenarios/`` in the current folder, else the one shipped with probe."""
    here = Path("scenarios")
    return here if here.is_dir() else resources.scenarios_dir()


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _field_path(loc: Sequence[int | str]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _allowed_fields(loc: Sequence[int | str]) -> list[str]:
    """The field names accepted at the table holding ``loc``'s last part."""
    model: Any = Scenario
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = getattr(model, "model_fields", {}).get(part)
        if field is None:
            return []
        model = _model_in(field.annotation)
        if model is None:
            return []
    return sorted(getattr(model, "model_fields", {}))


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _explain(error: Any) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    given = error.get("input")
    if kind == "literal_error":
        return f"expected one of {ctx.get('expected')}, got {given!r}"
    if kind == "extra_forbidden":
        allowed = _allowed_fields(error["loc"])
        return "unknown field" + (f"; expected one of: {', '.join(allowed)}" if allowed else "")
    if kind == "missing":
        return "required, but missing"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    return f"{error['msg'][:1].lower()}{error['msg'][1:]}, got {given!r}"


def _one_line(path: Path, error: ValidationError) -> str:
    problems = error.errors()
    first = problems[0]
    more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
    return f"{_shown(path)}: {_field_path(first['loc'])}: {_explain(first)}{more}"


_TOML_POSITION = re.compile(r"^(?P<what>.*?)\s*\(at line (?P<line>\d+), column (?P<col>\d+)\)$")


def load_file(path: Path) -> Scenario:
    """Read and validate one scenario file; ``BadInput`` (one line) when it is wrong."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"{_shown(path)}: cannot read it ({exc})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # Python 3.11's TOMLDecodeError has the position only in its message.
        message = str(exc)
        match = _TOML_POSITION.match(message)
        if match:
            where, what = f"line {match['line']}, column {match['col']}", match["what"]
        else:
            where = f"line {max(1, len(text.splitlines()))} (end of file)"
            what = message.replace("(at end of document)", "").strip()
        raise BadInput(f"{_shown(path)}: {where}: {what} (not valid TOML)") from None
    except RecursionError:
        # tomllib parses nested arrays and inline tables recursively.
        raise BadInput(
            f"{_shown(path)}: values nested too deeply to read (not a scenario file)"
        ) from None
    stem = path.stem
    if data.get("name", stem) != stem:
        raise BadInput(
            f"{_shown(path)}: name: {data['name']!r} differs from the file's name; "
            f"expected {stem!r} (a scenario is named after its file)"
        )
    data["name"] = stem
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise BadInput(_one_line(path, exc)) from None
    if scenario.portal_description is not None:
        described = path.parent / scenario.portal_description
        if not described.is_file():
            raise BadInput(
                f"{_shown(path)}: portal_description: no such file {_shown(described)} "
                "(the path is relative to the scenario file)"
            )
        scenario.describe_portal(PortalChoice(load_description(described), _shown(described)))
    return scenario


def scenario_files(directory: Path | None = None) -> list[Path]:
    folder = directory or default_directory()
    if not folder.is_dir():
        raise BadInput(f"{_shown(folder)}: no such scenario folder")
    return sorted(folder.glob("*.toml"), key=lambda p: p.stem)


def load_all(directory: Path | None = None) -> list[Scenario]:
    """Every scenario of ``directory`` (default ``scenarios/``), sorted by name."""
    return [load_file(path) for path in scenario_files(directory)]


def closest_names(name: str, names: Iterable[str]) -> str:
    known = sorted(names)
    # A name typed in part ("ad-blocker") is most likely meant; then look-alike spellings.
    close = [n for n in known if name and name in n]
    close += [n for n in difflib.get_close_matches(name, known, n=3, cutoff=0.5) if n not in close]
    if close:
        return "closest: " + ", ".join(close[:3])
    return "see 'probe scenarios list'"


def load_scenario(name: str, directory: Path | None = None) -> Scenario:
    """The scenario called ``name`` in ``directory``, or the file ``name`` if it is a path.

    Example: ``load_scenario("maintenance").portal.maintenance.enabled`` is True.
    """
    given = Path(name)
    if given.suffix == ".toml" and given.is_file():
        return load_file(given)
    files = scenario_files(directory)
    by_name = {path.stem: path for path in files}
    if name not in by_name:
        raise BadInput(f"unknown scenario {name!r}; {closest_names(name, by_name)}")
    return load_file(by_name[name])


def embedded_state(name: str | None) -> PortalConfig:
    """The embedded portal's state in scenario ``name`` (default state: None); ``BadInput``
    for a scenario on a portal the team runs itself."""
    if name is None:
        return PortalConfig()
    loaded = load_scenario(name)
    if loaded.described_portal is not None:
        raise BadInput(
            f"--scenario {name}: it targets the portal described by "
            f"{loaded.described_portal.source}, which you run yourself, not the embedded one"
        )
    return loaded.portal


def expected_culprits(scenario: Scenario, engine: EngineName = "chromium") -> frozenset[str] | None:
    """The culprit ids the scenario expects, with fixture extension names turned into the
    ids ``engine`` gives them (Chromium's from the key, Firefox's ``<name>@probe.fixtures``)."""
    if scenario.expect.culprits is None:
        return None
    return frozenset(_culprit_id(c, engine) for c in scenario.expect.culprits)


def _culprit_id(culprit: str, engine: EngineName) -> str:
    folder = fixtures_dir() / "extensions" / culprit
    if "@" not in culprit and (folder / "manifest.json").is_file():
        return gecko_id(culprit) if engine == "firefox" else extension_id(folder)
    return culprit
