"""Per-site settings in the decisions, and extensions never blamed when turning them all
off changes nothing (recorded outcomes, no browser)."""

from __future__ import annotations

from probe.diagnosis.runner import Environment, Inventory
from probe.models import Component, Symptom
from tests.diagnosis.test_diagnosis_logic import decide, inventory

SITE = "site-cookies:portal.localhost"


def with_site_block(inv: Inventory) -> Inventory:
    block = Component(kind="setting", id=SITE, name="Cookies blocked for portal.localhost")
    return Inventory(components=[*inv.components, block], private=inv.private)


def blocked_unless_fresh(env: Environment) -> Symptom | None:
    """What a block the inventory does not know does: every run but a brand-new one fails."""
    return None if env.fresh else "page-error"


def test_cookies_blocked_for_the_portal_only_name_that_site_setting() -> None:
    def rule(env: Environment) -> Symptom | None:
        return "page-error" if SITE in env.kept else None

    verdict, runner = decide(with_site_block(inventory(2, cookies=1)), rule)
    assert (verdict.status, verdict.factor) == ("blocked", "browser-setting")
    assert [c.id for c in verdict.culprits] == [SITE]
    assert "Cookies blocked for portal.localhost" in verdict.summary_en
    assert "Cookies bloqués pour portal.localhost" in verdict.summary_fr
    assert [r.id for r in verdict.remedies] == ["remove-site-setting"]
    assert "settings-reset" in runner.names


def test_extensions_are_not_blamed_when_the_run_without_them_fails_the_same() -> None:
    verdict, runner = decide(inventory(2, cookies=1, site_data=True), blocked_unless_fresh)
    assert "no-extensions" in runner.names
    # Nor anything else the inventory holds: without any of it, login fails the same way.
    assert (verdict.status, verdict.factor, verdict.culprits) == ("inconclusive", "unknown", [])
