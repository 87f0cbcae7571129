"""The diagnosis code knows no portal: everything portal-specific is in description files.

What a reviewer checks by reading: no mock selector, French message pattern, support
number, document name or forced browser language in the journey, the diagnosis, the
remedies or the code that reads pages. The mock portal and its description may say them.
"""

from __future__ import annotations

import re

import pytest

from tests.helpers.paths import REPO

PROBE = REPO / "probe"
# Every module of the journey and the diagnosis, and what turns a description into a target.
CORE = sorted(
    str(path.relative_to(PROBE))
    for path in [
        *(PROBE / "journey").rglob("*.py"),
        *(PROBE / "diagnosis").rglob("*.py"),
        PROBE / "description" / "pagemap.py",
        PROBE / "description" / "target.py",
    ]
)
PORTAL_SPECIFIC = [
    "#identifiant",
    "#mot-de-passe",
    "#se-connecter",
    "#titre-compte",
    "#login-form",
    "#captcha",
    "/widget",
    "/connexion",
    "36 46",
    "Vitale",
    "Assurance Maladie",
    "ameli",
    "attestation",
    "fr-FR",
    '"chec"',
    "momentanement",
    "droits (ne sont pas",
    "mot de passe incorrect",
    "impots",
    "sécurité sociale",
]


@pytest.mark.parametrize("module", CORE)
def test_core_module_names_no_portal(module: str) -> None:
    text = (PROBE / module).read_text(encoding="utf-8")
    # A word counts where it starts a word: "ameli" in "ameli-mock", not in "namelist".
    found = [
        w for w in PORTAL_SPECIFIC if re.search(rf"(?<![a-z]){re.escape(w.lower())}", text.lower())
    ]
    assert found == [], f"probe/{module} names {found}"


def test_the_mock_description_holds_them() -> None:
    text = (PROBE / "description" / "portals" / "ameli-mock.toml").read_text(encoding="utf-8")
    for word in ("#identifiant", "36 46", "attestation", "fr-FR", "momentanement", "impots"):
        assert word in text
