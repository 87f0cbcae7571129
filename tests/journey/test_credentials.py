"""Credential hygiene, checked without a browser."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from probe.journey.credentials import Credentials, check_credentials


def issues(identifier: str, password: str = "Secret-Pass-2026") -> set[tuple[str, str]]:
    return {(f.field, f.issue) for f in check_credentials(Credentials(identifier, password))}


def test_clean_credentials_have_no_findings() -> None:
    assert issues("1850775123456", "Ameli-Demo-2026!") == set()


def test_trailing_and_leading_spaces() -> None:
    assert ("identifier", "trailing-space") in issues("1850775123456 ")
    assert ("password", "leading-space") in issues("1850775123456", " Ameli-Demo-2026!")


def test_caps_lock_pattern() -> None:
    assert ("password", "caps-lock") in issues("1850775123456", "aMELI-dEMO-2026!")
    assert ("password", "caps-lock") in issues("1850775123456", "AMELI-DEMO-2026!")


def test_look_alike_characters() -> None:
    assert ("identifier", "look-alike") in issues("18507751234\u00a056")
    assert ("password", "look-alike") in issues("1850775123456", "Amеli-Demo-2026!")  # Cyrillic e
    # French accents are ordinary in passwords.
    assert ("password", "look-alike") not in issues("1850775123456", "Été-à-Paris-2026!")


def test_findings_never_quote_the_password() -> None:
    secret = " hunter2-Très-Secret "
    for finding in check_credentials(Credentials("1850775123456", secret)):
        assert secret.strip() not in finding.detail


def test_normalized_strips_spaces_only() -> None:
    creds = Credentials(" 1850775123456 ", " Pass word ")
    assert creds.normalized() == Credentials("1850775123456", "Pass word")


@given(st.text(max_size=40), st.text(max_size=40))
def test_any_input_gives_findings_without_crashing(identifier: str, password: str) -> None:
    for finding in check_credentials(Credentials(identifier, password)):
        assert finding.detail
        # A password long enough to be a real one is never quoted back.
        if len(password.strip()) >= 8 and any(c.isdigit() for c in password):
            assert password.strip() not in finding.detail
