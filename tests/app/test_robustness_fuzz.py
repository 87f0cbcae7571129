"""Fuzzing what a person types or writes: scenario files and credentials.

A scenario file is either a valid scenario or ``BadInput`` (one line, naming the file);
the credential checks answer any text with findings, never an exception, and never
quote the password back.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from probe.app.scenarios import Scenario, load_file
from probe.errors import BadInput
from probe.journey.credentials import Credentials, check_credentials

FUZZ = settings(
    max_examples=300,
    deadline=None,  # the machine is shared; a slow example is not a failure
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

GOOD_LINES = [
    'description = "A demo case"',
    'reproduces = "nothing"',
    "[portal]",
    "lockout_threshold = 3",
    "[portal.captcha]",
    'mode = "never"',
    "[[portal.accounts]]",
    'identifier = "1850775123456"',
    'password = "Ameli-Demo-2026!"',
    "[profile]",
    'extensions = ["ad-shield", "harmless/notes"]',
    'cookies = [{ name = "suivi", domain = "portal.localhost", size = 3000 }]',
    "[credentials]",
    'identifier = "1850775123456"',
    'password = "Ameli-Demo-2026!"',
    "[expect]",
    'status = "blocked"',
    'factor = "extension"',
    'culprits = ["ad-shield"]',
]

KEYS = st.sampled_from(
    [
        "name",
        "description",
        "reproduces",
        "status",
        "factor",
        "culprits",
        "identifier",
        "password",
        "method",
        "partner",
        "mode",
        "enabled",
        "release",
        "lockout_threshold",
        "token_ttl_seconds",
        "delivery",
        "extensions",
        "cookies",
        "settings",
        "visit",
        "size",
        "accounts",
        "partners",
        '"quoted key"',
        "a.b.c",
        "",
    ]
)
VALUES = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.booleans().map(lambda b: str(b).lower()),
    st.floats(allow_nan=False).map(repr),
    st.text(max_size=20).map(lambda t: json.dumps(t, ensure_ascii=False)),
    st.sampled_from(
        [
            '"ok"',
            '"blocked"',
            '"inconclusive"',
            '"none"',
            '"extension"',
            '"pass"',
            '"never"',
            '"franceconnect"',
            '"third-party-cookies"',
            "[]",
            '[1, "a", [2]]',
            "{ a = 1 }",
            '{ name = "x", domain = "portal.localhost", size = 99999 }',
            "1979-05-27T07:32:00Z",
            "inf",
            "nan",
            '"',
            "'''",
            "[" * 60 + "]" * 60,
        ]
    ),
    st.text(max_size=12),
)
TABLES = st.sampled_from(
    [
        "[portal]",
        "[portal.captcha]",
        "[portal.second_factor]",
        "[portal.identity_provider.partners]",
        "[[portal.accounts]]",
        "[build_portal]",
        "[profile]",
        "[[profile.cookies]]",
        "[credentials]",
        "[expect]",
        "[expect.culprits]",
        "[[expect]]",
        "[]",
        "[portal",
    ]
)
LINES = st.one_of(
    st.sampled_from(GOOD_LINES),
    st.tuples(KEYS, VALUES).map(lambda kv: f"{kv[0]} = {kv[1]}"),
    TABLES,
    st.text(max_size=30),
)


@st.composite
def toml_ish(draw: st.DrawFn) -> str:
    """Mostly a scenario, edited at random: lines replaced, dropped, added, shuffled."""
    lines = list(GOOD_LINES)
    for _ in range(draw(st.integers(min_value=0, max_value=6))):
        action = draw(st.sampled_from(["replace", "insert", "delete"]))
        where = draw(st.integers(min_value=0, max_value=max(0, len(lines) - 1)))
        if action == "delete" and lines:
            del lines[where]
        elif action == "replace" and lines:
            lines[where] = draw(LINES)
        else:
            lines.insert(where, draw(LINES))
    if draw(st.booleans()):
        lines = draw(st.permutations(lines))
    return "\n".join(lines) + draw(st.sampled_from(["\n", "", "\r\n", "\n\x00"]))


@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="fuzz-") as name:
        yield Path(name)


def load_or_refuse(path: Path) -> Scenario | None:
    """Load ``path``; None when it was refused the way a person should see it."""
    try:
        return load_file(path)
    except BadInput as exc:
        message = str(exc)
        assert "\n" not in message, message
        assert path.name in message, message
        return None


@FUZZ
@given(text=toml_ish())
def test_edited_scenario_files_load_or_are_refused_in_one_line(folder: Path, text: str) -> None:
    path = folder / "fuzzed.toml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    scenario = load_or_refuse(path)
    if scenario is not None:
        assert scenario.name == "fuzzed"
        assert (scenario.expect.status == "ok") == (scenario.expect.factor == "none")


@FUZZ
@given(data=st.binary(max_size=400) | st.text(max_size=400).map(str.encode))
def test_any_bytes_load_or_are_refused_in_one_line(folder: Path, data: bytes) -> None:
    path = folder / "bytes.toml"
    path.write_bytes(data)
    assert load_or_refuse(path) is None  # nothing this short is a whole scenario


@pytest.mark.parametrize(
    "text",
    [
        "x = " + "[" * 5000,
        "x = " + "{ a = " * 3000,
        "x = " + "[" * 3000 + "]" * 3000,
    ],
    ids=["open-arrays", "open-tables", "closed-arrays"],
)
def test_values_nested_thousands_deep_are_refused_in_one_line(folder: Path, text: str) -> None:
    path = folder / "deep.toml"
    path.write_text(text)
    with pytest.raises(BadInput, match=r"deep\.toml: "):
        load_file(path)


# ---------------------------------------------------------------- credentials

# Passwords start with a marker no finding's wording contains, so that finding the
# password in a finding means it was quoted.
MARKER = "Qz7"
Method = Literal["password", "franceconnect"]
METHODS: tuple[Method, ...] = ("password", "franceconnect")


@settings(max_examples=500, deadline=None)
@given(
    identifier=st.text(max_size=40),
    password=st.text(max_size=40).map(lambda rest: MARKER + rest),
    method=st.sampled_from(METHODS),
)
def test_credential_checks_answer_any_text_and_never_quote_the_password(
    identifier: str, password: str, method: Method
) -> None:
    typed = Credentials(identifier, password, method=method)
    findings = check_credentials(typed)
    for finding in findings:
        assert finding.field in ("identifier", "password")
        assert finding.detail and "\n" not in finding.detail
        assert password not in finding.detail
        assert password.strip() not in finding.detail or len(password.strip()) < 2


@settings(max_examples=200, deadline=None)
@given(
    core=st.text(
        alphabet=st.characters(codec="ascii", categories=["L", "N"]), min_size=1, max_size=20
    ),
    before=st.sampled_from(["", " ", "\t", "\u00a0"]),
    after=st.sampled_from(["", " ", "  ", "\u202f"]),
)
def test_stray_spaces_around_the_password_are_always_seen(
    core: str, before: str, after: str
) -> None:
    findings = check_credentials(Credentials("1850775123456", before + core + after))
    issues = {f.issue for f in findings if f.field == "password"}
    assert ("leading-space" in issues) == bool(before)
    assert ("trailing-space" in issues) == bool(after)


def test_an_empty_password_is_not_checked_and_not_an_error() -> None:
    assert check_credentials(Credentials("", "")) == []
