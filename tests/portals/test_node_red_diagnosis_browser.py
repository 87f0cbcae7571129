"""Node-RED's editor login (npm ``node-red`` 4, ``adminAuth``), diagnosed from its learned draft.

Seen by hand in plain Chromium (Playwright, no probe), at ``/`` of this portal:
- the login is a dialog the editor's script draws (``#node-dialog-login-fields``) once its
  ``/settings`` request answered 401; the button sends ``POST /auth/token`` by XHR and the
  page stays: the right password gives the editor (the palette, "Deploy");
- a wrong one: HTTP 403 to the XHR and "Login failed" beside the button
  (``#node-dialog-login-failed``, hidden until then);
- JavaScript off: a blank page, no login form at all;
- cookies blocked (the content setting at "block"): only the "Node-RED" header, no login
  dialog (the editor's script stops when it cannot use the site's storage).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from probe.app.portal.draft import Login
from probe.app.recipes.chromium import ProfileRecipe
from probe.browsers.chromium.discovery import Chromium
from probe.description.model import load_description
from probe.journey.credentials import Credentials
from tests.helpers.drafted import diagnose, drafted
from tests.portals.node_red import DEMO_PASSWORD, DEMO_USERNAME, NodeRedPortal, missing

pytestmark = pytest.mark.skipif(missing() is not None, reason=missing() or "")

WRONG = "Maple-Stream-6"
FORM_BREAKER = ["form-filler-pro", "harmless/notes", "harmless/stopwatch"]
RIGHT = Credentials(DEMO_USERNAME, DEMO_PASSWORD)


# One portal and one draft for the module (a portal start and a draft's two logins cost
# ~15 s): each test diagnoses with its own profile, and counts logins from its own start.
@pytest.fixture(scope="module")
def portal() -> Iterator[NodeRedPortal]:
    with NodeRedPortal() as running:
        yield running


@pytest.fixture(scope="module")
def drafting(
    portal: NodeRedPortal, tmp_path_factory: pytest.TempPathFactory, probe_chromium: Chromium
) -> tuple[Path, list[str]]:
    """The learned draft, and what the portal logged while it was made."""
    login = Login(DEMO_USERNAME, DEMO_PASSWORD)
    path = drafted(portal.login_url, tmp_path_factory.mktemp("draft"), probe_chromium, login)
    return path, portal.logins()


@pytest.fixture
def learned(drafting: tuple[Path, list[str]]) -> Path:
    return drafting[0]


def _refused(portal: NodeRedPortal) -> int:
    return sum(1 for event in portal.logins() if event.startswith("auth.login.fail"))


def test_the_learned_draft_knows_the_answers(drafting: tuple[Path, list[str]]) -> None:
    learned, logins = drafting
    description = load_description(learned)
    assert description.credentials.answer == "in-page"
    assert description.messages.page == "#node-dialog-login-failed"
    assert description.logged_in.marker.startswith("#red-ui-")
    assert "# learned: a wrong password was answered 'Login failed'" in learned.read_text()
    assert logins == ["auth.login.fail.credentials", "auth.login"]


def test_fresh_profile_is_ok(learned: Path, tmp_path: Path, probe_chromium: Chromium) -> None:
    report = diagnose(learned, tmp_path, probe_chromium, RIGHT)
    assert (report.verdict.status, report.verdict.factor) == ("ok", "none")


def test_wrong_password_is_invalid_credentials_in_the_portals_words_sent_at_most_twice(
    portal: NodeRedPortal, learned: Path, tmp_path: Path, probe_chromium: Chromium
) -> None:
    before = _refused(portal)
    report = diagnose(learned, tmp_path, probe_chromium, Credentials(DEMO_USERNAME, WRONG))
    assert (report.verdict.status, report.verdict.factor) == ("blocked", "invalid-credentials")
    assert report.variants[0].message == "Login failed"
    assert _refused(portal) - before <= 2


def test_javascript_off_is_the_setting(
    learned: Path, tmp_path: Path, probe_chromium: Chromium
) -> None:
    recipe = ProfileRecipe(settings=["javascript"])
    report = diagnose(learned, tmp_path, probe_chromium, RIGHT, recipe)
    assert (report.verdict.status, report.verdict.factor) == ("blocked", "browser-setting")
    assert [c.id for c in report.verdict.culprits] == ["javascript"]


def test_cookies_blocked_is_the_setting(
    learned: Path, tmp_path: Path, probe_chromium: Chromium
) -> None:
    report = diagnose(learned, tmp_path, probe_chromium, RIGHT, ProfileRecipe(settings=["cookies"]))
    assert (report.verdict.status, report.verdict.factor) == ("blocked", "browser-setting")
    assert [c.id for c in report.verdict.culprits] == ["cookies"]


def test_an_extension_breaking_the_form_is_named_alone(
    learned: Path, tmp_path: Path, probe_chromium: Chromium
) -> None:
    recipe = ProfileRecipe(extensions=FORM_BREAKER)
    report = diagnose(learned, tmp_path, probe_chromium, RIGHT, recipe)
    assert (report.verdict.status, report.verdict.factor) == ("blocked", "extension")
    assert [c.name for c in report.verdict.culprits] == ["Form Filler Pro"]
