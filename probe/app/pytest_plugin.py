"""pytest fixtures for portal teams: the mock portal, built browser profiles, whole diagnoses.

Installed with probe (entry point ``pytest11``), so any test can use:

- ``probe_portal``: the embedded mock portal, started for one test, in the state given by
  the ``probe_portal`` marker, e.g. ``@pytest.mark.probe_portal(maintenance={"enabled":
  True})`` or ``@pytest.mark.probe_portal(scenario="maintenance")``. With
  pytest-playwright: ``page.goto(probe_portal.url + "connexion")``.
- ``probe_portal_factory(config=None, **fields)``: more portals, each in its own state.
- ``probe_profile_factory(recipe, portal=None)``: a Chromium user-data-dir built from a
  ``ProfileRecipe`` (or a dict of its fields), removed after the test. Each recipe is
  built once per test session (``probe_profile_cache``); every test gets its own copy.
- ``probe_diagnose(...)``: a whole diagnosis in real Chromium, returning its ``Report``,
  for a scenario (``probe_diagnose("ad-blocker-hides-captcha")``) or for a set-up given
  piece by piece (``probe_diagnose(portal={...}, profile={...}, credentials=(id, pw))``).
  Your own portal (running, set up by your test or CI): ``probe_diagnose(
  portal_description="my-portal.toml", portal_url=url, profile={...}, credentials=(id,
  pw))``, or one of your scenarios that names it (``probe_diagnose("fresh",
  scenarios_dir=..., portal_url=url)``).

Options, as pytest-playwright's (and shared with it when it is installed: its own
``--browser``, ``--headed`` and ``--output`` then drive ``probe_diagnose`` too):

- ``--browser chromium|firefox`` (repeatable): each test using ``probe_diagnose`` runs once
  per browser, as pytest-playwright runs each test using ``page`` (the ``browser_name``
  parameter: ``test_x[chromium]``, ``test_x[firefox]``). Default: chromium.
- ``--headed``: show the browser windows.
- ``--output DIR`` (default ``test-results``): a failing test's reports (``index.html``,
  ``report.json``, screenshots, Playwright traces) are kept in ``DIR/<test node id>/``.
- ``--probe-lang en|fr``: the language of the reports.

The plugin is loaded in every pytest run where probe is installed, so this module
imports nothing heavy (no Playwright, no Starlette) until a test asks for a fixture.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
import shutil
import sys
from collections.abc import Generator, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import pytest

if TYPE_CHECKING:
    from probe.app.portal_choice import PortalChoice
    from probe.app.recipes.cache import ProfileCache
    from probe.app.recipes.chromium import ProfileRecipe
    from probe.app.request import ScenarioCase
    from probe.browsers.base import EngineName
    from probe.browsers.chromium.discovery import Chromium
    from probe.description.model import PortalDescription
    from probe.journey.credentials import Credentials
    from probe.mock_portal import EmbeddedPortal
    from probe.mock_portal.state import PortalConfig
    from probe.models import Report

MARKER = "probe_portal"
BROWSERS = ("chromium", "firefox")
# pytest-playwright (sync) and pytest-playwright-asyncio register --browser, --headed and
# --output; with either loaded, probe reads theirs instead of adding its own.
_PLAYWRIGHT_PLUGINS = (
    "pytest_playwright.pytest_playwright",
    "pytest_playwright_asyncio.pytest_playwright",
)
# Each phase's report of a test, to know in teardown whether the test failed.
_PHASES = pytest.StashKey[dict[str, pytest.TestReport]]()


class PortalFactory(Protocol):
    """``probe_portal_factory``: start an embedded portal in a state."""

    def __call__(
        self, config: PortalConfig | Mapping[str, Any] | None = None, **fields: Any
    ) -> EmbeddedPortal: ...


class ProfileFactory(Protocol):
    """``probe_profile_factory``: a Chromium user-data-dir built from a recipe."""

    def __call__(
        self,
        recipe: ProfileRecipe | Mapping[str, Any] | None = None,
        *,
        portal: EmbeddedPortal | str | None = None,
    ) -> Path: ...


class Diagnose(Protocol):
    """``probe_diagnose``: a whole diagnosis, its ``Report`` returned."""

    def __call__(
        self,
        scenario: str | None = None,
        *,
        portal: PortalConfig | Mapping[str, Any] | None = None,
        profile: ProfileRecipe | Mapping[str, Any] | None = None,
        credentials: Credentials | tuple[str, str] | None = None,
        scenarios_dir: str | Path | None = None,
        lang: str | None = None,
        portal_description: PortalDescription | str | Path | None = None,
        portal_url: str | None = None,
        no_submit: bool = False,
    ) -> Report: ...


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("probe", "probe").addoption(
        "--probe-lang",
        choices=("en", "fr"),
        default="en",
        help="Language of the reports probe_diagnose writes (default: en).",
    )


def _playwright_loaded(pluginmanager: pytest.PytestPluginManager) -> bool:
    return any(
        (module := sys.modules.get(name)) is not None and pluginmanager.is_registered(module)
        for name in _PLAYWRIGHT_PLUGINS
    )


@pytest.hookimpl(wrapper=True)
def pytest_load_initial_conftests(
    early_config: pytest.Config, parser: pytest.Parser
) -> Generator[None, None, None]:
    yield
    # By now every plugin is registered (entry points, -p, the first conftests) and the
    # command line is not parsed yet: pytest-playwright's own check for pytest-base-url.
    if _playwright_loaded(early_config.pluginmanager):
        return
    group = parser.getgroup("probe", "probe")
    group.addoption(
        "--browser",
        action="append",
        default=[],
        choices=BROWSERS,
        help="Browser probe_diagnose runs in (repeatable: each test once per browser).",
    )
    group.addoption("--headed", action="store_true", default=False, help="Show the browsers.")
    group.addoption(
        "--output",
        default="test-results",
        help="Where a failing test's reports, traces and screenshots are kept (default: "
        "test-results).",
    )
    early_config.pluginmanager.register(_BrowserName(), "probe-browser-name")


class _BrowserName:
    """``browser_name`` and its parametrization, as pytest-playwright's, without it."""

    @staticmethod
    def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
        if "browser_name" in metafunc.fixturenames:
            browsers = metafunc.config.getoption("--browser") or ["chromium"]
            metafunc.parametrize("browser_name", browsers, scope="session", indirect=True)

    @pytest.fixture(scope="session")
    @staticmethod
    def browser_name(request: pytest.FixtureRequest) -> str:
        if hasattr(request, "param"):
            return str(request.param)
        return str((request.config.getoption("--browser") or ["chromium"])[0])


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item,
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    item.stash.setdefault(_PHASES, {})[report.when] = report
    return report


def _failed(node: pytest.Item) -> bool:
    phases = node.stash.get(_PHASES, {})
    return any(phases[when].failed for when in ("setup", "call") if when in phases)


def _slug(nodeid: str) -> str:
    """A folder name for a test, as pytest-playwright's (python-slugify) for ASCII ids."""
    slug = re.sub(r"[^a-z0-9]+", "-", nodeid.lower()).strip("-")
    if len(slug) < 256:
        return slug
    digest = hashlib.sha256(slug.encode()).hexdigest()[:7]
    return f"{slug[:100]}-{digest}-{slug[-100:]}"


@pytest.fixture
def probe_output_path(request: pytest.FixtureRequest) -> Path:
    """This test's folder under ``--output``: where its reports are kept if it fails
    (pytest-playwright's ``output_path`` when it is installed, so ``page`` artefacts and
    probe's reports of one test share a folder)."""
    if _playwright_loaded(request.config.pluginmanager):
        return Path(request.getfixturevalue("output_path"))
    return Path(str(request.config.getoption("--output"))).absolute() / _slug(request.node.nodeid)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(scenario=None, **state): the state of the probe_portal fixture: a "
        "scenario's [portal], and/or PortalConfig fields, e.g. maintenance={'enabled': True}.",
    )


def _portal_config(config: PortalConfig | Mapping[str, Any] | None, **fields: Any) -> PortalConfig:
    from pydantic import ValidationError

    from probe.errors import BadInput
    from probe.mock_portal.state import PortalConfig

    base = config.model_dump() if isinstance(config, PortalConfig) else dict(config or {})
    try:
        return PortalConfig.model_validate({**base, **fields})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise BadInput(f"portal state: {where}: {first['msg']}") from None


def _recipe(recipe: ProfileRecipe | Mapping[str, Any] | None) -> ProfileRecipe:
    from probe.app.recipes.chromium import ProfileRecipe

    if isinstance(recipe, ProfileRecipe):
        return recipe
    return ProfileRecipe.model_validate(dict(recipe or {}))


@pytest.fixture(scope="session")
def probe_chromium() -> Chromium:
    """The Chromium probe drives (``PROBE_CHROMIUM`` or the usual places)."""
    from probe.browsers.chromium.discovery import find_chromium

    return find_chromium()


@pytest.fixture
def probe_portal_factory() -> Iterator[PortalFactory]:
    """Start embedded portals, each in its own state; all stop after the test.

    Example: ``down = probe_portal_factory(maintenance={"enabled": True})``.
    """
    from probe.mock_portal import EmbeddedPortal

    started: list[EmbeddedPortal] = []

    def start(
        config: PortalConfig | Mapping[str, Any] | None = None, **fields: Any
    ) -> EmbeddedPortal:
        portal = EmbeddedPortal(_portal_config(config, **fields)).start()
        started.append(portal)
        return portal

    yield start
    for portal in reversed(started):
        portal.stop()


@pytest.fixture
def probe_portal(
    request: pytest.FixtureRequest, probe_portal_factory: PortalFactory
) -> EmbeddedPortal:
    """The embedded portal for this test, in the state of its ``probe_portal`` marker."""
    marker = request.node.get_closest_marker(MARKER)
    if marker is None:
        return probe_portal_factory()
    fields = dict(marker.kwargs)
    scenario = fields.pop("scenario", None)
    config: Any = marker.args[0] if marker.args else None
    if scenario is not None:
        from probe.app.scenarios import load_scenario

        config = load_scenario(scenario).portal
    return probe_portal_factory(config, **fields)


@pytest.fixture(scope="session")
def probe_profile_cache(tmp_path_factory: pytest.TempPathFactory) -> ProfileCache:
    """Profiles built from recipes, each built once per test session and then reused.

    Under pytest-xdist the workers share one cache folder (in the session's base
    temporary folder), so a recipe is built once for the whole run.
    """
    from probe.app.recipes.cache import ProfileCache

    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # this run's folder, shared by its workers
    return ProfileCache(base / "probe-profile-cache")


@pytest.fixture
def probe_profile_factory(
    tmp_path_factory: pytest.TempPathFactory,
    probe_chromium: Chromium,
    probe_profile_cache: ProfileCache,
) -> Iterator[ProfileFactory]:
    """Build Chromium profiles from recipes; each is deleted after the test.

    Example: ``probe_profile_factory({"extensions": ["ad-shield"]})`` returns a
    user-data-dir to open with ``launch_persistent_context``: a copy of its own, of the
    profile ``probe_profile_cache`` built. A recipe that visits ``{portal}`` pages needs
    ``portal=``: a running ``EmbeddedPortal``, or your portal's URL (its origin stands
    for ``{portal}``).
    """
    from probe.description.target import origin_of

    built: list[Path] = []

    def build(
        recipe: ProfileRecipe | Mapping[str, Any] | None = None,
        *,
        portal: EmbeddedPortal | str | None = None,
    ) -> Path:
        folder = tmp_path_factory.mktemp("probe-profile")
        built.append(folder)
        url = portal if isinstance(portal, str) or portal is None else portal.url
        embedded = portal if portal is not None and not isinstance(portal, str) else None
        return probe_profile_cache.copy(
            _recipe(recipe),
            folder / "user-data",
            chromium=probe_chromium,
            portal_url=origin_of(url) if url is not None else None,
            portal_state=embedded.runtime.config.model_dump_json() if embedded else "",
        )

    yield build
    for folder in built:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def probe_diagnose(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    probe_profile_cache: ProfileCache,
    probe_output_path: Path,
    browser_name: str,
) -> Iterator[Diagnose]:
    """Run a whole diagnosis in real Chromium or Firefox (``--browser``) and return its ``Report``.

    Example: ``assert probe_diagnose("maintenance").verdict.factor == "maintenance"``, or
    ``probe_diagnose(portal={"captcha": {"mode": "never"}}, profile={"extensions":
    ["ad-shield"]}, credentials=("1850775123456", "Ameli-Demo-2026!"))``. The report
    folders (``index.html``, ``report.json``, screenshots, traces) are kept under
    ``--output`` when the test fails, removed with pytest's temporary folders otherwise.

    Your own portal, running and set up by your test or CI: ``portal_description`` (its
    description file, a loaded ``PortalDescription``, or its login page's URL, which
    drafts one as ``probe browser --portal URL`` does) and ``portal_url`` (where it runs,
    when not at the file's ``login_url``), with a ``profile`` recipe and ``credentials``;
    ``no_submit=True`` types none. ``portal_url`` also goes with a scenario whose file
    names a ``portal_description``.
    """
    if browser_name not in BROWSERS:
        pytest.skip(f"probe drives chromium and firefox, not {browser_name}")
    engine: EngineName = "firefox" if browser_name == "firefox" else "chromium"
    config = request.config
    written: list[tuple[str, Path]] = []

    def run(
        scenario: str | None = None,
        *,
        portal: PortalConfig | Mapping[str, Any] | None = None,
        profile: ProfileRecipe | Mapping[str, Any] | None = None,
        credentials: Credentials | tuple[str, str] | None = None,
        scenarios_dir: str | Path | None = None,
        lang: str | None = None,
        portal_description: PortalDescription | str | Path | None = None,
        portal_url: str | None = None,
        no_submit: bool = False,
    ) -> Report:
        from probe.app.ci import diagnose_scenario
        from probe.app.request import DiagnosisRequest, lang_of, scenario_alone
        from probe.app.setup import run_diagnosis

        folder = tmp_path_factory.mktemp("probe-report")
        written.append((scenario or "diagnosis", folder))
        chromium = request.getfixturevalue("probe_chromium") if engine == "chromium" else None
        request_ = DiagnosisRequest(
            report_dir=folder,
            lang=lang_of(lang or str(config.getoption("--probe-lang"))),
            portal_url=portal_url,
            no_submit=no_submit,
            browser=engine,
            headed=bool(config.getoption("--headed")),
            trace=True,  # kept only when the test fails
        )
        if scenario is not None:
            scenario_alone(
                others=any(
                    v is not None for v in (portal, profile, credentials, portal_description)
                ),
                scenario="a scenario name",
                names="portal/portal_description/profile/credentials",
            )
            report, _ = diagnose_scenario(
                scenario,
                request_,
                directory=Path(scenarios_dir) if scenarios_dir is not None else None,
                chromium=chromium,
                profiles=probe_profile_cache,
            )
            return report
        described = _described(
            portal_description, portal_url, chromium or request.getfixturevalue("probe_chromium")
        )
        case = _case(portal, profile, credentials, described, no_submit, engine)
        request_ = dataclasses.replace(request_, portal_url=None)  # already in the description
        report, _ = run_diagnosis(
            request_, chromium=chromium, case=case, profiles=probe_profile_cache
        )
        return report

    yield run
    if _failed(request.node):
        _keep(written, probe_output_path)


def _keep(written: list[tuple[str, Path]], output: Path) -> None:
    """Copy a failing test's report folders to its ``--output`` folder."""
    for number, (label, folder) in enumerate(written, 1):
        if folder.is_dir() and any(folder.iterdir()):
            name = f"probe-{label}" if len(written) == 1 else f"probe-{number}-{label}"
            shutil.copytree(folder, output / _slug(name), dirs_exist_ok=True)


def _case(
    portal: PortalConfig | Mapping[str, Any] | None,
    profile: ProfileRecipe | Mapping[str, Any] | None,
    credentials: Credentials | tuple[str, str] | None,
    described: PortalChoice | None,
    no_submit: bool,
    engine: EngineName = "chromium",
) -> ScenarioCase:
    """The set-up ``probe_diagnose`` was given piece by piece."""
    from probe.app.request import ScenarioCase, credentials_for
    from probe.errors import BadInput
    from probe.journey.credentials import Credentials

    if described is not None and portal is not None:
        raise BadInput("portal= sets the embedded portal's state: drop it with your own portal")
    given = Credentials(*credentials) if isinstance(credentials, tuple) else credentials
    return ScenarioCase(
        portal=_portal_config(portal),
        recipe=_recipe(profile),
        credentials=credentials_for(given, own_portal=described is not None, no_submit=no_submit),
        described=described,
        engine=engine,
    )


def _described(
    given: PortalDescription | str | Path | None, portal_url: str | None, chromium: Chromium
) -> PortalChoice | None:
    """The description ``probe_diagnose`` was given, moved to ``portal_url``."""
    from probe.app.portal_choice import PortalChoice, choose_portal
    from probe.description.model import PortalDescription
    from probe.errors import BadInput

    if isinstance(given, PortalDescription):
        choice = PortalChoice(given, given.name)
        return choice.moved_to(portal_url) if portal_url is not None else choice
    if given is None and portal_url is None:
        return None  # the embedded portal
    if given is None:
        raise BadInput("portal_url= needs portal_description= (or a scenario that names one)")
    return choose_portal(str(given), portal_url, chromium=chromium)
