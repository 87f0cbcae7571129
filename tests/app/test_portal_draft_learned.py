"""What ``probe portal draft --user`` writes from what two logins showed (no browser).

The draft is rendered from a login page as read and from the two attempts' findings, then
loaded the way ``probe browser --portal`` loads it: every learned value is in force and
says "learned" with what was seen; what was not learned stays a guess marked CHECK.
"""

from __future__ import annotations

from probe.app.portal.draft_toml import render
from probe.app.portal.login_page import LoginPage
from probe.app.portal.trying import Attempt, Learned, Seen, wrong_password
from probe.description.model import parse_description
from probe.description.target import pagemap_of

URL = "http://wiki.localhost:8003/doku.php?do=login"
PAGE = LoginPage(
    url=URL,
    status=200,
    elements={
        "lang": "en",
        "form": "#dw__login",
        "password": '#dw__login input[name="p"]',
        "identifier": "#focus__this",
        "submit": '#dw__login button[type="submit"]',
        "submitText": "Log In",
        "messages": [],
    },
    in_page_answer=True,  # what the page alone suggested; the logins say otherwise
)
WRONG = Attempt(
    navigated=True,
    request="POST /doku.php?id=start",
    status=403,
    message=Seen("div.error", "Sorry, username or password was wrong."),
)
RIGHT = Attempt(
    navigated=True,
    request="POST /doku.php?id=start",
    status=302,
    password_visible=False,
    marker=Seen("li.user", "Logged in as: Demo Person (demo)"),
)


def test_learned_values_are_in_force_and_say_what_was_seen() -> None:
    text = render(URL, PAGE, Learned(WRONG, RIGHT))
    description = parse_description(text, "draft")
    assert description.credentials.answer == "navigation"  # learned beats the page's guess
    assert description.messages.page == "div.error"
    assert description.logged_in.marker == "li.user"
    assert (
        "# learned: the answer to a login (POST /doku.php?id=start, HTTP 403) came as a new page"
        in text
    )
    assert "# learned: seen after your login ('Logged in as: Demo Person (demo)')" in text
    assert "probe logged in twice (a wrong password, then yours)" in text
    pagemap = pagemap_of(description)
    # The portal's own words mean invalid credentials, and so does its 403.
    assert pagemap.symptom_of("Sorry, username or password was wrong.") == "invalid-credentials"
    assert pagemap.symptom_of(None, 403) == "invalid-credentials"
    # The learned rule is the portal's sentence, not any sentence.
    assert pagemap.symptom_of("Sorry, the wiki is closed.") is None


def test_a_rejection_that_speaks_of_locking_keeps_that_meaning() -> None:
    locked = Attempt(navigated=False, message=Seen("#msg", "Too many failed login attempts."))
    text = render(URL, PAGE, Learned(locked, RIGHT))
    rules = parse_description(text, "draft").messages.rules
    assert (rules[0].pattern, rules[0].meaning) == (
        r"too\s+many\s+failed\s+login\s+attempts\.",
        "account-locked",
    )


def test_a_second_step_is_drafted_and_the_marker_stays_a_guess() -> None:
    second = Attempt(
        navigated=True,
        password_visible=False,
        second={"form": "#code-form", "code": "#code", "submit": "#verify", "text": "Code"},
    )
    text = render(URL, PAGE, Learned(WRONG, second))
    description = parse_description(text, "draft")
    assert description.second_factor is not None
    assert (description.second_factor.form, description.second_factor.code) == (
        "#code-form",
        "#code",
    )
    assert "# learned: after your password the portal asked 'Code'" in text
    assert "# CHECK: probe stopped at the security code" in text


def test_a_login_that_did_not_get_in_leaves_the_marker_a_guess_and_says_so() -> None:
    stuck = Attempt(
        navigated=True, message=Seen("div.error", "Sorry, username or password was wrong.")
    )
    text = render(URL, PAGE, Learned(WRONG, stuck))
    assert parse_description(text, "draft").logged_in.marker.startswith("html:not(")
    assert "# CHECK: your login did not get past the login page (the portal said" in text


def test_without_logins_every_value_is_a_guess() -> None:
    text = render(URL, PAGE)
    assert "learned" not in text
    assert parse_description(text, "draft").credentials.answer == "in-page"


def test_the_wrong_password_is_never_the_real_one() -> None:
    assert wrong_password("secret") != "secret"
    assert wrong_password("secret").startswith("probe-wrong-")
