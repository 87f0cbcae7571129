"""Portal descriptions: the shipped ones load, and a bad one says in one line where it is wrong.

What a person checks: the error names the file, the line to open and the field, and says
what was expected; the mock's description says exactly what probe assumed about the mock
before descriptions existed.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from probe.description.model import (
    json_schema,
    key_lines,
    load_description,
    mock_description,
    parse_description,
)
from probe.description.pagemap import MessageRule
from probe.description.selectors import check_selector
from probe.description.target import outbox_url_of, pagemap_of, relocated, target_of, timeouts_of
from probe.errors import BadInput
from tests.helpers.paths import ALLAUTH_ALTCHA

ALLAUTH = ALLAUTH_ALTCHA / "portal.toml"

MINIMAL = """\
name = "demo"
login_url = "https://login.example.org/admin/login/?next=/home"

[[steps]]
kind = "credentials"
identifier = "#username"
password = "#password"
submit = "form button[type=submit]"

[[steps]]
kind = "logged-in"
marker = "#account"

[messages]
page = "[role=alert]"
"""


def error_of(text: str, source: str = "my-portal.toml") -> str:
    with pytest.raises(BadInput) as caught:
        parse_description(text, source)
    message = str(caught.value)
    assert "\n" not in message
    return message


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


# The journey's page map as it was before descriptions: every selector, rule and status
# the mock's description must reproduce, field by field.
BEFORE_DESCRIPTIONS = {
    "login_path": "connexion",
    "login_form": "#login-form",
    "identifier": "#identifiant",
    "password": "#mot-de-passe",
    "submit": "#se-connecter",
    "message": "#message",
    "noscript": "#noscript-warning",
    "captcha_container": "#captcha",
    "captcha_token": "#captcha-token",
    "captcha_frame_url": "/widget",
    "captcha_checkbox": "#captcha-checkbox",
    "captcha_verify": "#captcha-verify",
    "captcha_status": "#captcha-status",
    "code_form": "#code-form",
    "code_input": "#code",
    "code_submit": "#valider-code",
    "home_marker": "#titre-compte",
    "download_link": "#telecharger-attestation",  # was attestation_link
    "federation_button": "#franceconnect",  # was franceconnect_button
    "partner_button": "#partenaire-{partner}",
    "partner_identifier": "#partenaire-identifiant",
    "partner_password": "#partenaire-mot-de-passe",
    "partner_submit": "#partenaire-valider",
    "masked_fields": (
        "input[type=password]",
        "#identifiant",
        "#partenaire-identifiant",
        "#code",
        "#code-provisoire",
        "#partenaire-mot-de-passe",
    ),
    "message_rules": (
        MessageRule(r"momentanement indisponible|maintenance", "maintenance"),
        MessageRule(r"trop de (requetes|tentatives)", "rate-limited"),
        MessageRule(r"trop volumineux", "headers-too-large"),
        MessageRule(r"verrouille", "account-locked"),
        MessageRule(r"droits (ne sont pas|non) ouverts|non creable", "rights-not-open"),
        MessageRule(r"code provisoire", "stale-provisional-code"),
        MessageRule(r"code de securite expire", "security-code-expired"),
        MessageRule(r"code de securite incorrect", "security-code-rejected"),
        MessageRule(r"obsolete", "stale-form"),
        # Added with the robot refusal (issue 22): the mock's bot detection's message.
        MessageRule(r"navigation automatisee", "automation-refused"),
        MessageRule(r"cookies?", "cookies-refused"),
        MessageRule(r"anti-robot|robot", "captcha-rejected"),
        MessageRule(r"franceconnect|partenaire|identite", "identity-provider-error"),
        MessageRule(
            r"identifiant ou mot de passe incorrect|erreur d'?authentification",
            "invalid-credentials",
        ),
        MessageRule(r"non active", "stale-provisional-code"),
    ),
    # What the journey itself assumed about the mock.
    "status_rules": ((503, "maintenance"), (429, "rate-limited"), (431, "headers-too-large")),
    "captcha_rendered": "#captcha-checkbox",  # it waited for the checkbox in the iframe
    "captcha_solved": "",  # a non-empty token was enough
    "captcha_failed": "#captcha-status",  # the iframe's status line...
    "captcha_failed_text": "chec",  # ...saying "Échec"
    "answer_in_page": False,  # every answer was a page navigation
    "code_on_same_form": False,
    "default_partner": "impots",
    "download_name": "attestation",
    "download_starts_with": "%PDF-",
    "field_messages": (),
}


def test_the_mock_description_reproduces_what_probe_assumed_about_the_mock() -> None:
    pagemap = pagemap_of(mock_description())
    got = dataclasses.asdict(pagemap)
    for name, expected in BEFORE_DESCRIPTIONS.items():
        value = getattr(pagemap, name)
        assert value == expected, name
    # The one thing the description says more precisely: only requests to the CAPTCHA
    # vendor's host mean "CAPTCHA blocked" (the ad blocker of the scenarios blocks that host).
    assert pagemap.captcha_blocked_hosts == ("captcha.localhost",)
    assert set(got) == {*BEFORE_DESCRIPTIONS, "captcha_blocked_hosts"}


def test_the_mock_description_keeps_its_hosts_outbox_timeouts_and_remedies() -> None:
    description = relocated(mock_description(), "http://portal.localhost:43210/")
    target = target_of(description)
    assert target.login_url == "http://portal.localhost:43210/connexion"
    assert target.sites == ("portal.localhost", "captcha.localhost", "idp.localhost")
    assert target.outbox_url == "http://portal.localhost:43210/_outbox/api/messages"
    timeouts = timeouts_of(description)
    assert (timeouts.captcha_appear, timeouts.captcha_token, timeouts.submit) == (5000, 5000, 6000)
    assert timeouts.code_arrival == 4000
    assert "36 46" in description.remedies["call-support"].en
    assert "carte Vitale" in description.remedies["call-support"].fr
    assert description.browser_language == "fr-FR"


def test_the_login_url_is_used_as_given_path_and_query_kept() -> None:
    description = parse_description(MINIMAL, "demo.toml")
    target = target_of(description)
    assert target.login_url == "https://login.example.org/admin/login/?next=/home"
    assert target.sites == ("login.example.org",)
    assert outbox_url_of(description) is None
    moved = relocated(description, "http://127.0.0.1:9000/")
    assert moved.login_url == "http://127.0.0.1:9000/admin/login/?next=/home"
    assert relocated(description, "http://x.test/other/").login_url == "http://x.test/other/"


def test_steps_left_out_become_empty_selectors() -> None:
    pagemap = pagemap_of(parse_description(MINIMAL, "demo.toml"))
    assert pagemap.login_form == "#password"  # no declared form: the password field says
    assert (pagemap.captcha_container, pagemap.code_form, pagemap.download_link) == ("", "", "")
    assert (pagemap.federation_button, pagemap.noscript) == ("", "")
    assert pagemap.message_rules == ()


def test_the_second_test_portal_description_loads() -> None:
    description = load_description(ALLAUTH)
    pagemap = pagemap_of(description)
    assert pagemap.answer_in_page
    assert pagemap.captcha_frame_url == ""  # in the page, not an iframe
    assert pagemap.captcha_blocked_hosts == ("captcha2.localhost",)
    assert pagemap.symptom_of("The username and/or password you specified are not correct.") == (
        "invalid-credentials"
    )


def test_an_unknown_key_names_file_line_and_field() -> None:
    text = MINIMAL.replace('marker = "#account"', 'marker = "#account"\ncolour = "blue"')
    message = error_of(text)
    assert message == f"my-portal.toml:{line_of(text, 'colour')}: steps[1].colour: unknown key"


def test_an_unknown_top_level_key_names_its_line() -> None:
    text = MINIMAL.replace('name = "demo"', 'name = "demo"\nlogin_path = "/x"')
    assert error_of(text) == "my-portal.toml:2: login_path: unknown key"


def test_a_missing_required_step_is_named() -> None:
    text = MINIMAL.replace('[[steps]]\nkind = "logged-in"\nmarker = "#account"\n', "")
    message = error_of(text)
    assert message.startswith(f"my-portal.toml:{line_of(text, '[[steps]]')}: steps: ")
    assert "needs a 'logged-in' step" in message


def test_a_missing_field_of_a_step_names_the_step_line() -> None:
    text = MINIMAL.replace('submit = "form button[type=submit]"\n', "")
    message = error_of(text)
    assert message == "my-portal.toml:4: steps[0].submit: missing (required)"


def test_a_bad_selector_names_its_line_and_what_is_wrong() -> None:
    text = MINIMAL.replace('"#password"', '"input[type=password"')
    message = error_of(text)
    assert message.startswith(f"my-portal.toml:{line_of(text, 'password =')}: steps[0].password: ")
    assert "not a CSS selector" in message and "never closed" in message


def test_a_bad_url_names_its_line() -> None:
    text = MINIMAL.replace("https://login.example.org", "ftp://login.example.org")
    message = error_of(text)
    assert message.startswith("my-portal.toml:2: login_url: ")
    assert "not an http(s) URL" in message


def test_an_unknown_step_kind_lists_the_kinds() -> None:
    text = MINIMAL.replace('kind = "logged-in"', 'kind = "loged-in"')
    message = error_of(text)
    assert message.startswith(f"my-portal.toml:{line_of(text, 'loged-in') - 1}: steps[1]")
    assert "'loged-in'" in message and "'logged-in'" in message


def test_an_unknown_meaning_in_a_message_rule_is_named() -> None:
    text = MINIMAL + '\n[[messages.rules]]\nlang = "en"\npattern = "wrong"\nmeaning = "bad-pw"\n'
    message = error_of(text)
    assert message.startswith(
        f"my-portal.toml:{line_of(text, 'bad-pw')}: messages.rules[0].meaning:"
    )
    assert "invalid-credentials" in message  # the allowed meanings are listed


def test_a_bad_field_in_an_inline_table_names_the_key_line() -> None:
    text = MINIMAL.replace(
        'marker = "#account"',
        'marker = "#account"\n\n[[steps]]\nkind = "download-check"\nname = "x"\nlink = "#dl"\n',
    ).replace(
        'submit = "form button[type=submit]"',
        'submit = "form button[type=submit]"\n\n[[steps]]\nkind = "second-factor"\n'
        'form = "#f"\ncode = "#c"\nsubmit = "#s"\nsource = { kind = "mailpit", url = "nope" }',
    )
    message = error_of(text)
    assert message.startswith(f"my-portal.toml:{line_of(text, 'source =')}: steps[1].source.url:")


def test_toml_syntax_errors_name_the_line() -> None:
    text = MINIMAL.replace('marker = "#account"', 'marker = "#account')
    assert error_of(text).startswith(f"my-portal.toml:{line_of(text, 'marker')}: not valid TOML")


def test_a_missing_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match=r"nope\.toml: no such portal description file"):
        load_description(tmp_path / "nope.toml")


def test_key_lines_follow_arrays_of_tables() -> None:
    text = '[[steps]]\nkind = "a"\n\n[[steps]]\nkind = "b"\n[steps.source]\nkind = "c"\n'
    lines = key_lines(text)
    assert lines[("steps", 0, "kind")] == 2
    assert lines[("steps", 1)] == 4
    assert lines[("steps", 1, "source", "kind")] == 7


@pytest.mark.parametrize(
    ("selector", "problem"),
    [
        ("#a >> #b", "two combinators"),
        ("#a,", "comma too many"),
        ("a[b='c]", "never closed"),
        ("#", "not followed by a name"),
        ("div { color: red }", "no meaning"),
        ("> a", "starts or ends"),
        ("a:not(.b", "never closed"),
        ("[=x]", "attribute test"),
    ],
)
def test_broken_selectors_are_refused(selector: str, problem: str) -> None:
    found = check_selector(selector)
    assert found is not None and problem in found


@pytest.mark.parametrize(
    "selector",
    [
        'form[action="/accounts/login/"] button[type="submit"]',
        'altcha-widget .altcha[data-state="verified"]',
        "input[type=password]",
        ":is(.error, .alert) > p",
        "li:nth-child(2n+1)::before",
        "#partenaire-x, [aria-live], [role=alert i]",
    ],
)
def test_ordinary_selectors_pass(selector: str) -> None:
    assert check_selector(selector) is None


def test_the_json_schema_describes_the_steps_union() -> None:
    schema = json_schema()
    assert schema["title"] == "PortalDescription"
    assert set(schema["required"]) >= {"name", "login_url", "steps", "messages"}
    step_kinds = {re.sub(r"Step$", "", name) for name in schema["$defs"] if name.endswith("Step")}
    assert step_kinds == {
        "Open",
        "Captcha",
        "Credentials",
        "SecondFactor",
        "LoggedIn",
        "DownloadCheck",
        "Federation",
    }
    assert schema["additionalProperties"] is False


def _leaves(value: object, path: str = "") -> dict[str, object]:
    if isinstance(value, dict):
        out: dict[str, object] = {}
        for key, item in value.items():
            out.update(_leaves(item, f"{path}.{key}" if path else str(key)))
        return out
    if isinstance(value, list):
        out = {}
        for index, item in enumerate(value):
            out.update(_leaves(item, f"{path}[{index}]"))
        return out
    return {path: value}


def test_the_drafted_description_needed_five_corrections() -> None:
    draft = _leaves(load_description(ALLAUTH.with_name("portal.draft.toml")).model_dump())
    corrected = _leaves(load_description(ALLAUTH).model_dump())
    changed = {k for k in draft.keys() | corrected.keys() if draft.get(k) != corrected.get(k)}
    assert changed == {
        "name",
        "steps[3].marker",  # the logged-in page cannot be seen before login
        "messages.page",  # the stock page's own error list, without JavaScript
        "remedies.call-support.en",  # this portal's support
        "remedies.call-support.fr",
    }
    assert len(draft) > 60  # five of more than sixty values


def test_declared_waits_override_probe_defaults_and_only_those() -> None:
    from probe.description.target import Timeouts

    text = MINIMAL.replace(
        'submit = "form button[type=submit]"',
        'submit = "form button[type=submit]"\nsubmit_timeout_ms = 15000',
    )
    timeouts = timeouts_of(parse_description(text, "demo.toml"), Timeouts(captcha_appear=1234))
    assert (timeouts.submit, timeouts.captcha_appear) == (15000, 1234)
