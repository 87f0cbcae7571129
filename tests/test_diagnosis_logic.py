"""The verdict logic on recorded outcomes (no browser): which runs it asks for, what it concludes."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from probe import loops
from probe.account_guard import AccountGuard
from probe.credentials import Credentials
from probe.diagnosis import Diagnosis
from probe.journey import SkipRun
from probe.models import Component, Symptom, VariantRun, Verdict
from probe.observation import Target
from probe.portal_description import mock_description
from probe.portal_target import pagemap_of
from probe.profiles import Extension, Setting, SettingId, SourceProfile
from probe.variants import Environment, Inventory

GOOD = Credentials("1850775123456", "Ameli-Demo-2026!")

Rule = Callable[[Environment], Symptom | None]


class FakeRunner:
    """Answers like a browser would, from a rule on the environment."""

    target = Target(
        url="http://portal.localhost/",
        sites=("portal.localhost",),
        pagemap=pagemap_of(mock_description()),
    )

    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        self.browser_runs = 0
        self.names: list[str] = []
        self.kept: dict[str, frozenset[str]] = {}

    async def run(self, env: Environment) -> VariantRun:
        self.browser_runs += 1
        self.names.append(env.name)
        self.kept[env.name] = env.kept
        symptom = self.rule(env)
        return VariantRun(
            name=env.name,
            outcome="pass" if symptom is None else "fail",
            symptom=symptom or "none",
            kept=sorted(env.kept),
        )


def inventory(
    n_ext: int = 0,
    cookies: int = 0,
    settings: tuple[SettingId, ...] = (),
    site_data: bool = False,
    incognito: frozenset[int] = frozenset(),
) -> Inventory:
    exts = tuple(
        Extension(
            id=f"id{i:02d}",
            name=f"Ext {i}",
            version="1",
            path=Path("/x"),
            enabled=True,
            incognito=i in incognito,
            source="webstore",
        )
        for i in range(n_ext)
    )
    sets = tuple(Setting(id=s, name=s) for s in settings)
    profile = SourceProfile(
        user_data_dir=Path("/p"),
        profile_name="Default",
        kind="given",
        extensions=exts,
        settings=sets,
        chromium_version=None,
    )
    comps = [Component(kind="extension", id=e.id, name=e.name) for e in exts]
    comps += [
        Component(kind="cookie", id=f"c{i}@portal.localhost", name=f"c{i}") for i in range(cookies)
    ]
    if site_data:
        comps.append(Component(kind="site-data", id="site-data", name="Site data"))
    comps += [Component(kind="setting", id=s.id, name=s.name) for s in sets]
    return Inventory(profile=profile, components=comps)


def decide(
    inv: Inventory, rule: Rule, credentials: Credentials = GOOD
) -> tuple[Verdict, FakeRunner]:
    runner = FakeRunner(rule)
    verdict = loops.run(Diagnosis(runner, inv, credentials).decide())
    return verdict, runner


def test_current_passes_means_ok_after_one_run() -> None:
    verdict, runner = decide(inventory(3), lambda env: None)
    assert (verdict.status, verdict.factor, verdict.culprits) == ("ok", "none", [])
    assert runner.names == ["current"]


def test_one_blocking_extension_among_sixteen_is_named() -> None:
    rule: Rule = lambda env: "captcha-blocked" if "id07" in env.kept else None  # noqa: E731
    verdict, runner = decide(inventory(16, cookies=2), rule)
    assert (verdict.status, verdict.factor) == ("blocked", "extension")
    assert [c.id for c in verdict.culprits] == ["id07"]
    drill = [n for n in runner.names if n.startswith("drill-")]
    assert len(drill) <= 10
    assert "security check" in verdict.summary_en


def test_two_extensions_that_only_block_together() -> None:
    rule: Rule = lambda env: "form-broken" if {"id02", "id05"} <= env.kept else None  # noqa: E731
    verdict, _ = decide(inventory(8), rule)
    assert verdict.factor == "extension"
    assert sorted(c.id for c in verdict.culprits) == ["id02", "id05"]


def test_oversized_cookies_name_the_cookies() -> None:
    def rule(env: Environment) -> Symptom | None:
        return "headers-too-large" if sum(k.startswith("c") for k in env.kept) >= 3 else None

    verdict, _ = decide(inventory(2, cookies=4), rule)
    assert verdict.factor == "cookies"
    assert len(verdict.culprits) == 3 and all(c.kind == "cookie" for c in verdict.culprits)


def test_javascript_setting() -> None:
    rule: Rule = lambda env: "javascript-disabled" if "javascript" in env.kept else None  # noqa: E731
    verdict, _ = decide(inventory(1, settings=("javascript", "cookies")), rule)
    assert verdict.factor == "browser-setting"
    assert [c.id for c in verdict.culprits] == ["javascript"]


def test_stale_site_data() -> None:
    rule: Rule = lambda env: "stale-form" if "site-data" in env.kept else None  # noqa: E731
    verdict, _ = decide(inventory(0, cookies=1, site_data=True), rule)
    assert verdict.factor == "site-data"
    assert [c.id for c in verdict.culprits] == ["site-data"]


@pytest.mark.parametrize(
    ("symptom", "factor"),
    [
        ("maintenance", "maintenance"),
        ("rate-limited", "rate-limited"),
        ("account-locked", "account-locked"),
        ("rights-not-open", "rights-not-open"),
        ("security-code-undelivered", "security-code-undelivered"),
        ("identity-provider-error", "identity-provider"),
        ("captcha-never-completes", "captcha-provider"),
    ],
)
def test_server_side_answers(symptom: Symptom, factor: str) -> None:
    verdict, runner = decide(inventory(4, cookies=1), lambda env: symptom)
    assert (verdict.status, verdict.factor) == ("blocked", factor)
    assert runner.browser_runs == 2  # current and fresh, nothing more
    assert verdict.remedies


def test_trailing_space_in_identifier() -> None:
    typed = Credentials("1850775123456 ", "Ameli-Demo-2026!")

    def rule(env: Environment) -> Symptom | None:
        return "invalid-credentials" if env.credentials.identifier != "1850775123456" else None

    verdict, _ = decide(inventory(2), rule, typed)
    assert verdict.factor == "credentials"
    assert verdict.culprits[0].id == "identifier"


def test_guard_skips_resubmitting_rejected_credentials() -> None:
    async def scenario() -> list[str]:
        guard = AccountGuard()
        seen = []
        await guard.enter(GOOD)
        guard.answer(GOOD, "invalid-credentials")
        guard.leave()
        with pytest.raises(SkipRun):
            await guard.enter(GOOD)
        other = Credentials("1850775123456", "other")
        await guard.enter(other)
        guard.answer(other, "invalid-credentials")
        guard.leave()
        with pytest.raises(SkipRun, match="2 rejected"):
            await guard.enter(Credentials("1850775123456", "third"))
        seen.append("ok")
        return seen

    assert loops.run(scenario()) == ["ok"]


def test_the_persons_own_browser_submits_first() -> None:
    async def scenario() -> list[str]:
        guard = AccountGuard(leader="current")
        order: list[str] = []

        async def run(name: str, delay: float) -> None:
            gate = guard.view(name)
            await asyncio.sleep(delay)
            try:
                await gate.enter(GOOD)
            except SkipRun:
                order.append(f"{name} skipped")
                return
            order.append(f"{name} submits")
            gate.answer(GOOD, "invalid-credentials")
            gate.leave()
            gate.close()

        # "fresh" gets to the form first, yet waits for "current" to answer.
        await asyncio.gather(run("fresh", 0.0), run("current", 0.05))
        return order

    assert loops.run(scenario()) == ["current submits", "fresh skipped"]


def test_followers_do_not_wait_for_a_leader_that_stopped_early() -> None:
    async def scenario() -> str:
        guard = AccountGuard(leader="current")
        guard.view("current").close()  # e.g. the CAPTCHA was blocked: no credentials sent
        await asyncio.wait_for(guard.view("fresh").enter(GOOD), timeout=1)
        return "entered"

    assert loops.run(scenario()) == "entered"


# ---------------------------------------------------------------- culprits of two kinds

EXT_INDEX = 1
EXT = f"id{EXT_INDEX:02d}"
COOKIE = "c1@portal.localhost"


def login_works_without(verdict: Verdict, rule: Rule) -> bool:
    """What the person checks: with the named culprits removed, does login work?"""
    everything = inventory(3, cookies=2).ids
    named = {c.id for c in verdict.culprits}
    return rule(Environment("after", "", everything - named, GOOD)) is None


def test_an_extension_and_a_cookie_that_only_break_the_form_together() -> None:
    # The symptom points at extensions; turning them off fixes it, and of them only EXT
    # is needed: disabling it is a whole fix even though the cookie takes part.
    rule: Rule = lambda env: "form-broken" if {EXT, COOKIE} <= env.kept else None  # noqa: E731
    verdict, runner = decide(inventory(3, cookies=2), rule)
    assert (verdict.status, verdict.factor) == ("blocked", "extension")
    assert [c.id for c in verdict.culprits] == [EXT]
    assert "private" not in runner.names
    assert login_works_without(verdict, rule)


def test_an_extension_and_a_cookie_together_without_a_hint_name_the_smaller_change() -> None:
    # No symptom hint: the checklist runs smallest change first, and clearing the portal's
    # cookies is smaller than turning extensions off.
    rule: Rule = lambda env: "page-error" if {EXT, COOKIE} <= env.kept else None  # noqa: E731
    verdict, runner = decide(inventory(3, cookies=2), rule)
    assert (verdict.status, verdict.factor) == ("blocked", "cookies")
    assert [c.id for c in verdict.culprits] == [COOKIE]
    assert runner.names[:4] == ["current", "fresh", "cookies-cleared", "no-extensions"]
    assert login_works_without(verdict, rule)


def one_of_each_kind_blocks(env: Environment) -> Symptom | None:
    return "captcha-blocked" if EXT in env.kept or COOKIE in env.kept else None


def test_private_window_passing_searches_the_whole_environment() -> None:
    # Neither turning extensions off nor clearing cookies helps on its own; a private
    # window (neither) does: the "mixed" path narrows down over every component at once.
    verdict, runner = decide(inventory(3, cookies=2), one_of_each_kind_blocks)
    assert runner.names[:5] == ["current", "no-extensions", "fresh", "cookies-cleared", "private"]
    drills = [n for n in runner.names if n.startswith("drill-")]
    assert drills and runner.names[5:] == drills
    assert verdict.status == "blocked"
    named = {c.id for c in verdict.culprits}
    # Whatever it names breaks login on its own (delta debugging's promise).
    assert named and one_of_each_kind_blocks(Environment("only", "", frozenset(named), GOOD))


@pytest.mark.xfail(
    strict=True,
    reason="delta debugging finds one failing set; when an extension and a cookie each "
    "block login on their own, the verdict names only the extension, and following it "
    "leaves the person blocked by the cookie",
)
def test_one_blocker_of_each_kind_are_both_named() -> None:
    verdict, _ = decide(inventory(3, cookies=2), one_of_each_kind_blocks)
    assert sorted(c.id for c in verdict.culprits) == sorted([EXT, COOKIE])
    assert verdict.factor in ("extension", "cookies")
    assert login_works_without(verdict, one_of_each_kind_blocks)


@pytest.mark.xfail(
    strict=True,
    reason="the same within one kind: of two extensions that each hide the CAPTCHA, "
    "the verdict names one, and turning it off does not restore access",
)
def test_two_extensions_that_each_block_alone_are_both_named() -> None:
    def rule(env: Environment) -> Symptom | None:
        return "captcha-blocked" if {"id00", "id02"} & env.kept else None

    verdict, _ = decide(inventory(3, cookies=2), rule)
    assert verdict.factor == "extension"
    assert sorted(c.id for c in verdict.culprits) == ["id00", "id02"]
    assert login_works_without(verdict, rule)


def test_the_private_window_keeps_settings_and_the_extensions_allowed_in_it() -> None:
    def rule(env: Environment) -> Symptom | None:
        return "captcha-blocked" if {"id00", COOKIE} & env.kept else None

    inv = inventory(3, cookies=2, settings=("javascript",), incognito=frozenset({EXT_INDEX}))
    verdict, runner = decide(inv, rule)
    assert runner.kept["private"] == {EXT, "javascript"}
    assert verdict.status == "blocked" and verdict.culprits


def an_extension_and_a_cookie_break_the_captcha_together(env: Environment) -> Symptom | None:
    # Each alone breaks something else (a different symptom), so no single kind's removal
    # passes: only the private window does, and the whole-environment search needs both.
    if {EXT, COOKIE} <= env.kept:
        return "captcha-blocked"
    return "page-error" if {EXT, COOKIE} & env.kept else None


def test_culprits_of_two_kinds_found_together_in_the_private_path() -> None:
    verdict, runner = decide(
        inventory(3, cookies=2), an_extension_and_a_cookie_break_the_captcha_together
    )
    assert "private" in runner.names
    assert verdict.status == "blocked"
    assert [c.id for c in verdict.culprits] == [EXT, COOKIE]
    # One of each: the tie goes to the kind named first.
    assert verdict.factor == "extension"


def test_the_factor_of_a_tie_does_not_depend_on_the_hash_seed() -> None:
    # Regression: the factor was the most common kind among the culprits, picked from a
    # set, so one extension and one cookie gave "cookies" under some hash seeds (0) and
    # "extension" under others (3).
    code = (
        "from tests.test_diagnosis_logic import *\n"
        "verdict, _ = decide(inventory(3, cookies=2),"
        " an_extension_and_a_cookie_break_the_captcha_together)\n"
        "print(verdict.factor)\n"
    )
    factors = set()
    for seed in ("0", "3"):
        done = subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        )
        factors.add(done.stdout.strip())
    assert factors == {"extension"}
