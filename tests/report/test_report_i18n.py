"""Languages, formats, plain names for every domain word, and URL redaction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import get_args

import pytest

from probe._util.redact import HIDDEN, redact_text, strip_url
from probe.models import CredentialFinding, CulpritKind, Factor, ProfileInfo, StepName, Symptom
from probe.report import default_lang
from probe.report import vocabulary as vocab
from probe.report.i18n import format_bytes, format_datetime, format_duration, format_int


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"LANG": "fr_FR.UTF-8"}, "fr"),
        ({"LANG": "en_GB.UTF-8"}, "en"),
        ({"LANG": "fr_FR.UTF-8", "LC_ALL": "C"}, "en"),
        ({"LANG": "en_US.UTF-8", "LC_MESSAGES": "fr_CA.UTF-8"}, "fr"),
        ({"LC_ALL": "fr_BE", "LC_MESSAGES": "en_US"}, "fr"),
        ({"LC_ALL": "", "LANG": "fr"}, "fr"),
        ({}, "en"),
    ],
)
def test_default_lang_follows_posix_locale_precedence(env: dict[str, str], expected: str) -> None:
    assert default_lang(env) == expected


@pytest.mark.parametrize(
    ("ms", "en", "fr"),
    [
        (0, "0 ms", "0 ms"),
        (850, "850 ms", "850 ms"),
        (1500, "1.5 s", "1,5 s"),
        (9960, "10.0 s", "10,0 s"),
        (27_400, "27 s", "27 s"),
        (125_000, "2 min 05 s", "2 min 05 s"),
    ],
)
def test_durations_read_naturally(ms: int, en: str, fr: str) -> None:
    assert format_duration(ms, "en") == en
    assert format_duration(ms, "fr") == fr


def test_numbers_and_sizes_per_language() -> None:
    assert format_int(12345, "en") == "12,345"
    assert format_int(12345, "fr") == "12\u202f345"
    assert format_bytes(312, "en") == "312 B"
    assert format_bytes(9400, "fr") == "9,2 Ko"


def test_dates_per_language() -> None:
    moment = datetime(2026, 11, 26, 20, 45)
    assert format_datetime(moment, "en") == "26 November 2026, 20:45"
    assert format_datetime(moment, "fr") == "26 novembre 2026 à 20:45"
    first = datetime(2026, 8, 1, 9, 5, tzinfo=timezone(timedelta(hours=2)))
    assert format_datetime(first, "fr") == "1er août 2026 à 09:05 (UTC+02:00)"
    assert format_datetime(first.astimezone(UTC), "en") == "1 August 2026, 07:05 (UTC)"


@pytest.mark.parametrize(
    ("table", "words"),
    [
        (vocab.STEPS, get_args(StepName)),
        (vocab.SYMPTOMS, get_args(Symptom)),
        (vocab.FACTORS, get_args(Factor)),
        (vocab.CULPRIT_KINDS, get_args(CulpritKind)),
        (vocab.OUTCOMES, ("pass", "fail", "skipped")),
        (
            vocab.CREDENTIAL_ISSUES,
            get_args(CredentialFinding.model_fields["issue"].annotation),
        ),
        (vocab.PROFILE_KINDS, get_args(ProfileInfo.model_fields["kind"].annotation)),
    ],
)
def test_every_domain_word_has_a_plain_name(table: str, words: tuple[str, ...]) -> None:
    assert words
    for word in words:
        en, fr = vocab.pick(table, word, "en"), vocab.pick(table, word, "fr")
        assert en and fr and en != word and fr != word, word


@pytest.mark.parametrize(
    ("name", "en", "fr"),
    [
        ("current", "Your browser as it is", "Votre navigateur tel quel"),
        ("private", "Private window", "Fenêtre de navigation privée"),
        ("no-extensions", "Without extensions", "Sans extensions"),
        ("fresh", "A brand-new profile", "Un profil tout neuf"),
        (
            "credentials-normalized",
            "Credentials without stray spaces",
            "Identifiants sans espaces parasites",
        ),
        ("drill-12", "Narrowing down: run 12", "Recherche de la cause : essai 12"),
        ("something-new", "something-new", "something-new"),
    ],
)
def test_variant_names_in_plain_words(name: str, en: str, fr: str) -> None:
    assert vocab.variant_label(name, "en")[0] == en
    assert vocab.variant_label(name, "fr")[0] == fr


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            "http://portal.localhost:8123/code-securite?code=684213",
            "http://portal.localhost:8123/code-securite",
        ),
        ("http://idp.localhost/cb?code=x&state=y#access_token=z", "http://idp.localhost/cb"),
        ("https://user:pw@portal.localhost/connexion", "https://portal.localhost/connexion"),
        ("http://[::1]:8000/a?b=c", "http://[::1]:8000/a"),
        ("/connexion?x=1", "/connexion"),
    ],
)
def test_urls_lose_query_fragment_and_user_info(url: str, shown: str) -> None:
    assert strip_url(url) == shown


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("GET http://c.localhost/api.js?token=abc failed", "GET http://c.localhost/api.js failed"),
        ("Cookie: session=s3cr3t; lang=fr", f"Cookie: {HIDDEN}; lang=fr"),
        ("posted password=hunter2 and code=123456", f"posted password={HIDDEN} and code={HIDDEN}"),
        ("Code de sécurité incorrect", "Code de sécurité incorrect"),
        ("csrf_token: 'abc def'", f"csrf_token: {HIDDEN}"),
    ],
)
def test_free_text_hides_secret_looking_values(raw: str, shown: str) -> None:
    assert redact_text(raw) == shown
