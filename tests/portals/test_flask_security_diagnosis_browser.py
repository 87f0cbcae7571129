"""Flask-Security-Too's stock login page over HTTPS, diagnosed from ``probe portal draft --user``.

The portal's certificate comes from a local CA the person trusts (in their NSS database,
as ``certutil`` adds it); the draft and every run of the diagnosis go over HTTPS.

Seen by hand in plain Chromium (Playwright, no probe), at ``/login`` of this portal:
- the right password: a new page, ``/``, "Signed in as demo@example.org.";
- a wrong one: the login page again, "Invalid password" under the password field
  (``li.fs-error-msg``), HTTP 200;
- JavaScript off: the same login as with it (the page has no script): signed in;
- cookies blocked (the content setting at "block"): the login page again with "The CSRF
  tokens do not match." (Flask-WTF keeps its CSRF token in the session cookie).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from probe.app.portal.draft import Login
from probe.app.recipes.chromium import ProfileRecipe
from probe.browsers.chromium.discovery import Chromium
from probe.journey.credentials import Credentials
from tests.helpers.drafted import diagnose, drafted
from tests.helpers.tls import local_ca, person_home
from tests.portals.flask_security import DEMO_EMAIL, DEMO_PASSWORD, HOST, FlaskSecurityPortal

WRONG = "Tulip-Garden-8"
FORM_BREAKER = ["form-filler-pro", "harmless/notes", "harmless/stopwatch"]


# One portal and one draft for the module (a portal start and a draft's two logins cost
# ~8 s): each test diagnoses with its own profile; the person's HOME (the NSS database
# that trusts the CA) is set for the module's tests only.
@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FlaskSecurityPortal]:
    folder = tmp_path_factory.mktemp("flask-security")
    ca = local_ca(folder / "ca", names=(HOST,))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HOME", str(person_home(folder / "home", ca)))
        with FlaskSecurityPortal(tls=ca.server) as running:
            assert running.login_url.startswith("https://")
            yield running


@pytest.fixture(scope="module")
def learned(
    portal: FlaskSecurityPortal, tmp_path_factory: pytest.TempPathFactory, probe_chromium: Chromium
) -> Path:
    login = Login(DEMO_EMAIL, DEMO_PASSWORD)
    path = drafted(portal.login_url, tmp_path_factory.mktemp("draft"), probe_chromium, login)
    assert len(portal.received) == 2  # the draft's two logins: a wrong one, then the right one
    return path


def _sent(portal: FlaskSecurityPortal, password: str) -> int:
    return sum(1 for r in portal.received if r.password == password)


def test_fresh_profile_is_ok(
    portal: FlaskSecurityPortal, learned: Path, tmp_path: Path, probe_chromium: Chromium
) -> None:
    report = diagnose(learned, tmp_path, probe_chromium, Credentials(DEMO_EMAIL, DEMO_PASSWORD))
    assert (report.verdict.status, report.verdict.factor) == ("ok", "none")
    assert report.portal.url.startswith("https://fs.localhost:")


def test_wrong_password_is_invalid_credentials_in_the_portals_words_sent_at_most_twice(
    portal: FlaskSecurityPortal, learned: Path, tmp_path: Path, probe_chromium: Chromium
) -> None:
    before = len(portal.received)
    report = diagnose(learned, tmp_path, probe_chromium, Credentials(DEMO_EMAIL, WRONG))
    assert (report.verdict.status, report.verdict.factor) == ("blocked", "invalid-credentials")
    assert report.variants[0].message == "Invalid password"
    assert _sent(portal, WRONG) <= 2, portal.received[before:]


def test_javascript_off_is_ok_here(
    portal: FlaskSecurityPortal, learned: Path, tmp_path: Path, probe_chromium: Chromium
) -> None:
    report = diagnose(
        learned,
        tmp_path,
        probe_chromium,
        Credentials(DEMO_EMAIL, DEMO_PASSWORD),
        ProfileRecipe(settings=["javascript"]),
    )
    assert (report.verdict.status, report.verdict.factor) == ("ok", "none")


def test_cookies_blocked_is_the_setting(
    portal: FlaskSecurityPortal, learned: Path, tmp_path: Path, probe_chromium: Chromium
) -> None:
    report = diagnose(
        learned,
        tmp_path,
        probe_chromium,
        Credentials(DEMO_EMAIL, DEMO_PASSWORD),
        ProfileRecipe(settings=["cookies"]),
    )
    assert (report.verdict.status, report.verdict.factor) == ("blocked", "browser-setting")
    assert [c.id for c in report.verdict.culprits] == ["cookies"]


def test_an_extension_breaking_the_form_is_named_alone(
    portal: FlaskSecurityPortal, learned: Path, tmp_path: Path, probe_chromium: Chromium
) -> None:
    report = diagnose(
        learned,
        tmp_path,
        probe_chromium,
        Credentials(DEMO_EMAIL, DEMO_PASSWORD),
        ProfileRecipe(extensions=FORM_BREAKER),
    )
    assert (report.verdict.status, report.verdict.factor) == ("blocked", "extension")
    assert [c.name for c in report.verdict.culprits] == ["Form Filler Pro"]
