"""DokuWiki's stock login (Debian's package), diagnosed from ``probe portal draft --user``.

Seen by hand in plain Chromium (Playwright, no probe), at ``doku.php?id=start&do=login``:
- the right password: a new page (POST, then a redirect to ``doku.php?id=start``) with
  "Logged in as: Demo Person (demo)" and "Log Out" in the user tools;
- a wrong one: HTTP 403 and the login page again, "Sorry, username or password was wrong."
  in ``div.error`` above the form;
- JavaScript off: the same login as with it: logged in;
- cookies blocked (the content setting at "block"): no message at all: the wiki's start
  page, its user tools still offering "Log In" (the page warns beforehand "You need to
  have cookies enabled to log in.").
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
from tests.portals.dokuwiki import DEMO_PASSWORD, DEMO_USERNAME, DokuWikiPortal, missing

pytestmark = pytest.mark.skipif(missing() is not None, reason=missing() or "")

WRONG = "Heron-Lake-4"
FORM_BREAKER = ["form-filler-pro", "harmless/notes", "harmless/stopwatch"]
RIGHT = Credentials(DEMO_USERNAME, DEMO_PASSWORD)


# One portal and one draft for the module (a portal start and a draft's two logins cost
# ~10 s): each test diagnoses with its own profile, and counts logins from its own start.
@pytest.fixture(scope="module")
def portal() -> Iterator[DokuWikiPortal]:
    with DokuWikiPortal() as running:
        yield running


@pytest.fixture(scope="module")
def learned(
    portal: DokuWikiPortal, tmp_path_factory: pytest.TempPathFactory, probe_chromium: Chromium
) -> Path:
    login = Login(DEMO_USERNAME, DEMO_PASSWORD)
    path = drafted(portal.login_url, tmp_path_factory.mktemp("draft"), probe_chromium, login)
    assert portal.login_answers().count(403) == 1  # the draft's one wrong login
    return path


def test_the_learned_draft_knows_the_answers(learned: Path) -> None:
    description = load_description(learned)
    assert description.credentials.answer == "navigation"
    assert description.messages.page == "div.error"
    assert description.logged_in.marker == "li.user"
    text = learned.read_text(encoding="utf-8")
    assert (
        "# learned: a wrong password was answered 'Sorry, username or password was wrong.'" in text
    )


def test_fresh_profile_is_ok(learned: Path, tmp_path: Path, probe_chromium: Chromium) -> None:
    report = diagnose(learned, tmp_path, probe_chromium, RIGHT)
    assert (report.verdict.status, report.verdict.factor) == ("ok", "none")


def test_wrong_password_is_invalid_credentials_in_the_portals_words_sent_at_most_twice(
    portal: DokuWikiPortal, learned: Path, tmp_path: Path, probe_chromium: Chromium
) -> None:
    before = portal.login_answers().count(403)
    report = diagnose(learned, tmp_path, probe_chromium, Credentials(DEMO_USERNAME, WRONG))
    assert (report.verdict.status, report.verdict.factor) == ("blocked", "invalid-credentials")
    assert report.variants[0].message == "Sorry, username or password was wrong."
    assert portal.login_answers().count(403) - before <= 2


def test_javascript_off_is_ok_here(learned: Path, tmp_path: Path, probe_chromium: Chromium) -> None:
    recipe = ProfileRecipe(settings=["javascript"])
    report = diagnose(learned, tmp_path, probe_chromium, RIGHT, recipe)
    assert (report.verdict.status, report.verdict.factor) == ("ok", "none")


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
