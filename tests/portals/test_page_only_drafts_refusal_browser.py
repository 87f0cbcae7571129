"""A wrong password on the three real login pages, with a draft made from the page alone.

No ``--user``: the draft has not seen a rejection, so its message area and rules are
guesses. What each portal answers a wrong password (seen by hand in plain Chromium, see
each portal's diagnosis test): Flask-Security "Invalid password" under the field (HTTP
200, a new page); DokuWiki "Sorry, username or password was wrong." (HTTP 403, a new
page); Node-RED "Login failed" beside the button (HTTP 403 to its XHR, the page stays).
The diagnosis must still say the portal refused the login, in its words, never
"inconclusive", with the password sent at most twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest

from probe.browsers.chromium.discovery import Chromium
from probe.journey.credentials import Credentials
from tests.helpers.drafted import diagnose, drafted
from tests.portals import dokuwiki, flask_security, node_red


def _fs() -> AbstractContextManager[Any]:
    return flask_security.FlaskSecurityPortal()


def _dw() -> AbstractContextManager[Any]:
    return dokuwiki.DokuWikiPortal()


def _nr() -> AbstractContextManager[Any]:
    return node_red.NodeRedPortal()


# portal, identifier, its words for a wrong password, how many wrong logins it saw
CASES: dict[
    str, tuple[Callable[[], AbstractContextManager[Any]], str, str, Callable[[Any], int]]
] = {
    "flask-security": (
        _fs,
        flask_security.DEMO_EMAIL,
        "Invalid password",
        lambda p: sum(1 for r in p.received if r.password != flask_security.DEMO_PASSWORD),
    ),
    "dokuwiki": (
        _dw,
        dokuwiki.DEMO_USERNAME,
        "Sorry, username or password was wrong.",
        lambda p: p.login_answers().count(403),
    ),
    "node-red": (
        _nr,
        node_red.DEMO_USERNAME,
        "Login failed",
        lambda p: sum(1 for e in p.logins() if e.startswith("auth.login.fail")),
    ),
}


# The refusal logic reads texts in the form and two levels around it; DokuWiki shows its
# "Sorry, ..." in the page's message area above the article, farther out: the login is
# refused (HTTP 403) but unquoted. The learned draft (--user) reads it there.
UNQUOTED = {"dokuwiki"}


@pytest.fixture(params=sorted(CASES))
def case(
    request: pytest.FixtureRequest,
) -> Iterator[tuple[str, Any, str, str, Callable[[Any], int]]]:
    if request.param == "dokuwiki" and dokuwiki.missing():
        pytest.skip(dokuwiki.missing() or "")
    if request.param == "node-red" and node_red.missing():
        pytest.skip(node_red.missing() or "")
    start, identifier, words, refused = CASES[request.param]
    with start() as portal:
        yield request.param, portal, identifier, words, refused


def test_a_wrong_password_is_refused_by_the_portal_never_inconclusive(
    case: tuple[str, Any, str, str, Callable[[Any], int]],
    tmp_path: Path,
    probe_chromium: Chromium,
    request: pytest.FixtureRequest,
) -> None:
    name, portal, identifier, words, refused = case
    page_only = drafted(portal.login_url, tmp_path / "draft", probe_chromium, None)
    report = diagnose(page_only, tmp_path, probe_chromium, Credentials(identifier, "Not-It-99"))
    assert report.verdict.status == "blocked", report.verdict.summary_en
    assert report.verdict.factor in ("login-refused", "invalid-credentials")
    assert 1 <= refused(portal) <= 2
    if name in UNQUOTED:
        request.applymarker(
            pytest.mark.xfail(strict=True, reason="words outside the form's surroundings")
        )
    assert report.variants[0].message == words  # the portal's own words
