"""The diagnosis code knows no portal: everything portal-specific is in description files.

What a reviewer checks by reading: no mock selector, French message pattern, support
number, document name or forced browser language in the journey, the diagnosis, the
remedies or the code that reads pages. The mock portal and its description may say them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

PROBE = Path(__file__).parent.parent / "probe"
CORE = [
    "journey.py",
    "page_steps.py",
    "pagemap.py",
    "observation.py",
    "diagnosis.py",
    "remedies.py",
    "engine.py",
    "variants.py",
]
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
    found = [word for word in PORTAL_SPECIFIC if word.lower() in text.lower()]
    assert found == [], f"probe/{module} names {found}"


def test_the_mock_description_holds_them() -> None:
    text = (PROBE / "portals" / "ameli-mock.toml").read_text(encoding="utf-8")
    for word in ("#identifiant", "36 46", "attestation", "fr-FR", "momentanement", "impots"):
        assert word in text
