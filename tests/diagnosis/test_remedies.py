"""Remedies a person reads: worded for one culprit or for several, in each language."""

from __future__ import annotations

import pytest

from probe.diagnosis.remedies import remedies
from probe.models import Culprit, Lang
from probe.report.details import remedy_text

NIGHT_OWL = Culprit(kind="extension", id="a" * 32, name="Night Owl Dark Mode")
GLARE_GUARD = Culprit(kind="extension", id="b" * 32, name="Glare Guard")


@pytest.mark.parametrize(
    ("lang", "one", "two"),
    [
        (
            "en",
            "Turn off the extension 'Night Owl Dark Mode' (",
            "Turn off the extensions 'Night Owl Dark Mode' + 'Glare Guard' (",
        ),
        (
            "fr",
            "Désactivez l'extension 'Night Owl Dark Mode' (",
            "Désactivez les extensions 'Night Owl Dark Mode' + 'Glare Guard' (",
        ),
    ],
)
def test_two_extensions_together_are_turned_off_in_the_plural(
    lang: Lang, one: str, two: str
) -> None:
    single, _ = remedies("extension", [NIGHT_OWL])
    pair, _ = remedies("extension", [NIGHT_OWL, GLARE_GUARD])
    assert remedy_text(single[0], lang).startswith(one)
    assert remedy_text(pair[0], lang).startswith(two)
    # "keep it" / "keep them": the second step follows the number too.
    keep = {"en": ("keep it", "keep them"), "fr": ("la garder", "les garder")}[lang]
    assert keep[0] in remedy_text(single[1], lang)
    assert keep[1] in remedy_text(pair[1], lang)
    # The remedy's id is the same either way: report.json readers key on it.
    assert [r.id for r in single] == [r.id for r in pair] == ["disable-extension", "allow-portal"]
