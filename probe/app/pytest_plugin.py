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

The plugin is loaded in every pytest run where probe is installed, so this module
imports nothing heavy (no Playwright, no Starlette) until a test asks for a fixture.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from probe.app.portal_choice import PortalChoice
    from probe.app.recipes.cache import ProfileCache
    from probe.app.recipes.chromium import ProfileRecipe
    from probe.app.request import ScenarioCase
    from probe.browsers.chromium.discovery import Chromium
    from probe.description.model import PortalDescription
    from probe.journey.credentials import Credentials
    from probe.mock_portal import EmbeddedPortal
    from probe.mock_portal.state import PortalConfig
    from probe.models import Report

MARKER = "probe_portal"


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
def probe_portal_factory() -> Iterator[Callable[..., EmbeddedPortal]]:
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
    request: pytest.FixtureRequest, probe_portal_factory: Callable[..., EmbeddedPortal]
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
) -> Iterator[Callable[..., Path]]:
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
    tmp_path_factory: pytest.TempPathFactory,
    probe_chromium: Chromium,
    probe_profile_cache: ProfileCache,
) -> Callable[..., Report]:
    """Run a whole diagnosis in real Chromium and return its ``Report``.

    Example: ``assert probe_diagnose("maintenance").verdict.factor == "maintenance"``, or
    ``probe_diagnose(portal={"captcha": {"mode": "never"}}, profile={"extensions":
    ["ad-shield"]}, credentials=("1850775123456", "Ameli-Demo-2026!"))``. The report
    folder (``index.html``, ``report.json``) is under pytest's temporary directory.

    Your own portal, running and set up by your test or CI: ``portal_description`` (its
    description file, a loaded ``PortalDescription``, or its login page's URL, which
    drafts one as ``probe browser --portal URL`` does) and ``portal_url`` (where it runs,
    when not at the file's ``login_url``), with a ``profile`` recipe and ``credentials``;
    ``no_submit=True`` types none. ``portal_url`` also goes with a scenario whose file
    names a ``portal_description``.
    """

    def run(
        scenario: str | None = None,
        *,
        portal: PortalConfig | Mapping[str, Any] | None = None,
        profile: ProfileRecipe | Mapping[str, Any] | None = None,
        credentials: Credentials | tuple[str, str] | None = None,
        scenarios_dir: str | Path | None = None,
        lang: str = "en",
        portal_description: PortalDescription | str | Path | None = None,
        portal_url: str | None = None,
        no_submit: bool = False,
    ) -> Report:
        from probe.app.ci import diagnose_scenario
        from probe.app.request import DiagnosisRequest, scenario_alone
        from probe.app.setup import run_diagnosis

        request = DiagnosisRequest(
            report_dir=tmp_path_factory.mktemp("probe-report"),
            lang="fr" if lang == "fr" else "en",
            portal_url=portal_url,
            no_submit=no_submit,
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
                request,
                directory=Path(scenarios_dir) if scenarios_dir is not None else None,
                chromium=probe_chromium,
                profiles=probe_profile_cache,
            )
            return report
        described = _described(portal_description, portal_url, probe_chromium)
        case = _case(portal, profile, credentials, described, no_submit)
        request = dataclasses.replace(request, portal_url=None)  # already in the description
        report, _ = run_diagnosis(
            request, chromium=probe_chromium, case=case, profiles=probe_profile_cache
        )
        return report

    return run


def _case(
    portal: PortalConfig | Mapping[str, Any] | None,
    profile: ProfileRecipe | Mapping[str, Any] | None,
    credentials: Credentials | tuple[str, str] | None,
    described: PortalChoice | None,
    no_submit: bool,
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
