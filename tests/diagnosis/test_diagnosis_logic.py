"""The verdict logic on recorded outcomes (no browser): which runs it asks for, what it concludes."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from probe._util import loops
from probe.browsers.chromium.profile import Extension, Setting, SettingId, SourceProfile
from probe.description.model import mock_description
from probe.description.target import Target, pagemap_of
from probe.diagnosis.decisions import Diagnosis
from probe.diagnosis.runner import Environment, Inventory
from probe.journey.account_guard import AccountGuard
from probe.journey.credentials import Credentials
from probe.journey.login import SkipRun
from probe.models import Component, Evidence, StepName, Symptom, VariantRun, Verdict

GOOD = Credentials("1850775123456", "Ameli-Demo-2026!")

Rule = Callable[[Environment], Symptom | None]

# Where each symptom stops the journey, as in a real run.
STOPS_AT: dict[str, StepName] = {
    "captcha-blocked": "captcha",
    "captcha-missing": "captcha",
    "form-broken": "credentials",
    "invalid-credentials": "credentials",
    "headers-too-large": "open-login",
    "page-error": "open-login",
    "javascript-disabled": "open-login",
    "stale-form": "credentials",
    "security-code-undelivered": "second-factor",
}


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
        self.series: set[str] = set()  # runs that said more like them follow

    async def run(self, env: Environment) -> VariantRun:
        self.browser_runs += 1
        self.names.append(env.name)
        self.kept[env.name] = env.kept
        if env.series:
            self.series.add(env.name)
        symptom = self.rule(env)
        return VariantRun(
            name=env.name,
            outcome="pass" if symptom is None else "fail",
            symptom=symptom or "none",
            failed_step=STOPS_AT.get(symptom, "open-login") if symptom else None,
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
    private = frozenset(e.id for e in profile.extensions if e.incognito)
    return Inventory(components=comps, private=private)


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
    # Narrowing down, and the variant it starts from, ask for browsers that can be switched
    # from run to run; the person's browser as it is, a run alone, does not.
    assert runner.series == {"no-extensions", *drill}


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
    # An amount has no single culprit: the host's whole group is named, not the subset
    # of three that delta debugging happened to keep.
    assert [c.id for c in verdict.culprits] == [f"c{i}@portal.localhost" for i in range(4)]
    assert "4 cookies for portal.localhost" in verdict.summary_en
    assert "4 cookies pour portal.localhost" in verdict.summary_fr


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
        # A certificate refused in a brand-new profile too: the profile is not to blame.
        ("certificate-refused", "certificate"),
    ],
)
def test_server_side_answers(symptom: Symptom, factor: str) -> None:
    verdict, runner = decide(inventory(4, cookies=1), lambda env: symptom)
    assert (verdict.status, verdict.factor) == ("blocked", factor)
    assert runner.browser_runs == 2  # current and fresh, nothing more
    assert verdict.remedies and verdict.culprits == []


def test_a_robot_refusal_even_in_a_fresh_browser_is_the_machine_or_network() -> None:
    verdict, runner = decide(inventory(4, cookies=1), lambda env: "automation-refused")
    assert (verdict.status, verdict.factor, verdict.culprits) == (
        "blocked",
        "automation-refused",
        [],
    )
    # The symptom points at extensions: the variant without them runs beside fresh.
    assert sorted(runner.names) == ["current", "fresh", "no-extensions"]
    assert "machine or this network" in verdict.summary_en
    # The domain reference's order: another network, later; then the support line.
    assert [r.id for r in verdict.remedies] == ["other-network", "retry-later"]
    assert [r.id for r in verdict.if_that_fails] == ["call-support"]


def test_a_robot_refusal_only_with_an_extension_names_it() -> None:
    rule: Rule = lambda env: "automation-refused" if "id02" in env.kept else None  # noqa: E731
    verdict, runner = decide(inventory(6, cookies=1), rule)
    assert (verdict.status, verdict.factor) == ("blocked", "extension")
    assert [c.id for c in verdict.culprits] == ["id02"]
    assert "for a robot" in verdict.summary_en
    assert runner.names[:2] == ["current", "no-extensions"]


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
        with pytest.raises(SkipRun, match="2 logins refused"):
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
    assert runner.names[5].startswith("drill-")
    assert verdict.status == "blocked"
    named = {c.id for c in verdict.culprits}
    # Whatever it names breaks login on its own (delta debugging's promise).
    assert named and one_of_each_kind_blocks(Environment("only", "", frozenset(named), GOOD))


def test_one_blocker_of_each_kind_are_both_named() -> None:
    verdict, _ = decide(inventory(3, cookies=2), one_of_each_kind_blocks)
    assert sorted(c.id for c in verdict.culprits) == sorted([EXT, COOKIE])
    assert verdict.factor in ("extension", "cookies")
    assert login_works_without(verdict, one_of_each_kind_blocks)


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
        "from tests.diagnosis.test_diagnosis_logic import *\n"
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


# ---------------------------------------------------------------- several blockers


class GuardedRunner(FakeRunner):
    """A fake whose runs go through the account guard, reaching it in a chosen order."""

    def __init__(self, rule: Rule, delays: dict[str, float]) -> None:
        super().__init__(rule)
        self.guard = AccountGuard(leader="current")
        self.delays = delays

    async def run(self, env: Environment) -> VariantRun:
        symptom = self.rule(env)
        if symptom is None or STOPS_AT.get(symptom) not in ("credentials", "second-factor"):
            self.guard.view(env.name).close()
            return await super().run(env)
        gate = self.guard.view(env.name)
        await asyncio.sleep(self.delays.get(env.name, 0.0))
        try:
            await gate.enter(env.credentials)
        except SkipRun as skip:
            self.browser_runs += 1
            self.names.append(env.name)
            gate.close()
            return VariantRun(
                name=env.name,
                outcome="skipped",
                skipped_reason=str(skip),
                answer_on_record=skip.answer,
                kept=sorted(env.kept),
            )
        gate.answer(env.credentials, symptom)
        gate.leave()
        gate.close()
        return await super().run(env)


def extension_then_wrong_password(env: Environment) -> Symptom | None:
    return "captcha-blocked" if EXT in env.kept else "invalid-credentials"


@pytest.mark.parametrize("first", ["fresh", "no-extensions"])
def test_a_wrong_password_behind_a_blocked_captcha_names_both(first: str) -> None:
    # B13: whichever of fresh / no-extensions reached the credentials first submitted them,
    # the other was skipped, and the verdict depended on that race.
    delays = {"fresh": 0.0, "no-extensions": 0.0, first: 0.0}
    delays["no-extensions" if first == "fresh" else "fresh"] = 0.05
    runner = GuardedRunner(extension_then_wrong_password, delays)
    verdict = loops.run(Diagnosis(runner, inventory(3, cookies=2), GOOD).decide())
    assert (verdict.status, verdict.factor) == ("blocked", "extension")
    assert [(b.factor, [c.id for c in b.culprits]) for b in verdict.blockers] == [
        ("extension", [EXT]),
        ("invalid-credentials", []),
    ]
    assert [b.step for b in verdict.blockers] == ["captcha", "credentials"]
    assert "every browser set-up" not in verdict.summary_en
    assert "Ext 1" in verdict.summary_en and "identifier and password" in verdict.summary_en
    # At most one wrong password was sent, whichever run sent it.
    assert runner.guard.rejections == 1


def cookies_then_extension(env: Environment) -> Symptom | None:
    if sum(k.startswith("c") for k in env.kept) >= 2:
        return "headers-too-large"
    return "captcha-blocked" if EXT in env.kept else None


def javascript_then_extension(env: Environment) -> Symptom | None:
    if "javascript" in env.kept:
        return "javascript-disabled"
    return "form-broken" if EXT in env.kept else None


def cookies_then_site_data(env: Environment) -> Symptom | None:
    if sum(k.startswith("c") for k in env.kept) >= 2:
        return "headers-too-large"
    return "stale-form" if "site-data" in env.kept else None


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (
            cookies_then_extension,
            [("cookies", ["c0@portal.localhost", "c1@portal.localhost"]), ("extension", [EXT])],
        ),
        (javascript_then_extension, [("browser-setting", ["javascript"]), ("extension", [EXT])]),
        (
            cookies_then_site_data,
            [
                ("cookies", ["c0@portal.localhost", "c1@portal.localhost"]),
                ("site-data", ["site-data"]),
            ],
        ),
    ],
    ids=["cookies+extension", "setting+extension", "cookies+site-data"],
)
def test_blockers_of_two_kinds_are_named_in_the_order_they_are_met(
    rule: Rule, expected: list[tuple[str, list[str]]]
) -> None:
    inv = inventory(3, cookies=2, settings=("javascript",), site_data=True)
    verdict, _ = decide(inv, rule)
    assert verdict.status == "blocked"
    assert [(b.factor, [c.id for c in b.culprits]) for b in verdict.blockers] == expected
    assert verdict.factor == expected[0][0]
    # Following the verdict restores access.
    named = {c.id for c in verdict.culprits}
    assert rule(Environment("after", "", inv.ids - named, GOOD)) is None
    # Each blocker's remedies are in the verdict, the first blocker's first.
    assert verdict.remedies[0] == verdict.blockers[0].remedies[0]


def test_the_same_profile_gives_the_same_verdict_every_time() -> None:
    inv = inventory(6, cookies=2)

    def rule(env: Environment) -> Symptom | None:
        return "captcha-blocked" if {"id01", "id04"} & env.kept else None

    verdicts = [decide(inv, rule)[0] for _ in range(3)]
    assert {tuple(c.id for c in v.culprits) for v in verdicts} == {("id01", "id04")}


# ---------------------------------------------------------------- evidence first


class EvidenceRunner(FakeRunner):
    """``current`` comes back with what the browser caught extensions doing."""

    def __init__(self, rule: Rule, evidence: list[Evidence]) -> None:
        super().__init__(rule)
        self.evidence = evidence

    async def run(self, env: Environment) -> VariantRun:
        result = await super().run(env)
        if env.name == "current":
            result = result.model_copy(update={"evidence": self.evidence})
        return result


def blocks(index: int) -> Evidence:
    return Evidence(
        kind="blocks-request",
        component=f"id{index:02d}",
        name=f"Ext {index}",
        url="http://captcha.localhost:8123/api.js",
    )


def test_an_extension_named_by_evidence_is_confirmed_in_two_runs() -> None:
    rule: Rule = lambda env: "captcha-blocked" if "id07" in env.kept else None  # noqa: E731
    runner = EvidenceRunner(rule, [blocks(7)])
    verdict = loops.run(Diagnosis(runner, inventory(16, cookies=2), GOOD).decide())
    assert [c.id for c in verdict.culprits] == ["id07"]
    assert runner.names == ["current", "without-suspects", "suspects-only"]
    assert runner.kept["suspects-only"] == {"id07"}
    assert "Ext 7 has a rule that blocks captcha.localhost/api.js." in verdict.summary_en
    assert "Ext 7 a une règle qui bloque captcha.localhost/api.js." in verdict.summary_fr
    assert verdict.blockers[0].evidence == [blocks(7)]


def test_evidence_that_does_not_hold_falls_back_to_elimination() -> None:
    # The browser named Ext 3 (its rule matches too), but Ext 7 is what blocks login.
    rule: Rule = lambda env: "captcha-blocked" if "id07" in env.kept else None  # noqa: E731
    runner = EvidenceRunner(rule, [blocks(3)])
    verdict = loops.run(Diagnosis(runner, inventory(16, cookies=2), GOOD).decide())
    assert [c.id for c in verdict.culprits] == ["id07"]
    assert "fresh" in runner.names or "no-extensions" in runner.names
    assert "Ext 3" not in verdict.summary_en


def test_evidence_then_a_second_blocker() -> None:
    runner = EvidenceRunner(cookies_then_extension, [blocks(EXT_INDEX)])
    inv = inventory(3, cookies=2)
    verdict = loops.run(Diagnosis(runner, inv, GOOD).decide())
    # The cookies stop the journey first (the evidence is about a later step's request,
    # so confirming it does not get further): elimination finds both.
    assert [b.factor for b in verdict.blockers] == ["cookies", "extension"]


def test_of_several_suspects_only_the_needed_ones_are_named() -> None:
    # Three extensions ran scripts in the portal's pages; two of them break it together.
    def rule(env: Environment) -> Symptom | None:
        return "form-broken" if {"id02", "id05"} <= env.kept else None

    scripts = [
        Evidence(kind="injects-script", component=f"id{i:02d}", name=f"Ext {i}", url="u")
        for i in (2, 5, 9)
    ]
    runner = EvidenceRunner(rule, scripts)
    verdict = loops.run(Diagnosis(runner, inventory(12), GOOD).decide())
    assert [c.id for c in verdict.culprits] == ["id02", "id05"]
    assert runner.names[:3] == ["current", "without-suspects", "suspects-only"]
    assert "fresh" not in runner.names
    assert "Ext 9" not in verdict.summary_en


def test_a_hidden_captcha_suspects_the_style_sheet_before_the_scripts() -> None:
    # Five extensions run scripts in the portal's pages (more than evidence takes as
    # suspects) and one injects a style sheet: the CAPTCHA box is hidden, so the sheet's
    # extension is tried first and confirmed in two runs, without elimination.
    def rule(env: Environment) -> Symptom | None:
        return "captcha-missing" if "id04" in env.kept else None

    seen = [
        Evidence(kind="injects-script", component=f"id{i:02d}", name=f"Ext {i}", url="u")
        for i in (0, 1, 2, 3, 5)
    ] + [Evidence(kind="injects-css", component="id04", name="Ext 4", url="u")]
    runner = EvidenceRunner(rule, seen)
    verdict = loops.run(Diagnosis(runner, inventory(6), GOOD).decide())
    assert [c.id for c in verdict.culprits] == ["id04"]
    assert runner.names == ["current", "without-suspects", "suspects-only"]


def test_scripts_stay_suspects_when_no_style_sheet_was_seen() -> None:
    # The same hidden CAPTCHA with only scripts seen, five of them: no evidence, elimination.
    def rule(env: Environment) -> Symptom | None:
        return "captcha-missing" if "id04" in env.kept else None

    seen = [
        Evidence(kind="injects-script", component=f"id{i:02d}", name=f"Ext {i}", url="u")
        for i in range(5)
    ]
    runner = EvidenceRunner(rule, seen)
    verdict = loops.run(Diagnosis(runner, inventory(6), GOOD).decide())
    assert [c.id for c in verdict.culprits] == ["id04"]
    assert "without-suspects" not in runner.names


def test_the_run_proving_the_verdict_is_named() -> None:
    rule: Rule = lambda env: "captcha-blocked" if "id03" in env.kept else None  # noqa: E731
    runner = FakeRunner(rule)
    diagnosis = Diagnosis(runner, inventory(6), GOOD)
    loops.run(diagnosis.decide())
    assert diagnosis.proof is not None and diagnosis.proof.startswith("confirm-")
    assert rule(Environment("proof", "", runner.kept[diagnosis.proof], GOOD)) is None

    server = Diagnosis(FakeRunner(lambda env: "maintenance"), inventory(2), GOOD)
    loops.run(server.decide())
    assert server.proof == "fresh"


def test_answers_not_understood_count_as_possible_rejections() -> None:
    # An error page, a refusal in unknown words, no answer: each may be a rejection, so
    # the same credentials are not sent a third time, whatever the description says.
    async def scenario() -> tuple[int, int]:
        guard = AccountGuard()
        for symptom in ("login-refused", "page-error"):
            await guard.enter(GOOD)
            guard.answer(GOOD, symptom)
            guard.leave()
        with pytest.raises(SkipRun, match="2 logins refused"):
            await guard.enter(GOOD)
        return guard.submissions, guard.rejections

    assert loops.run(scenario()) == (2, 2)


def test_a_login_stopped_in_the_browser_is_no_submission() -> None:
    async def scenario() -> int:
        guard = AccountGuard()
        for _ in range(3):
            await guard.enter(GOOD)
            guard.answer(GOOD, "form-broken", sent=False)
            guard.leave()
        await guard.enter(GOOD)  # not skipped: the portal never saw the others
        guard.answer(GOOD, "maintenance")  # understood, and not about the password
        guard.leave()
        await guard.enter(GOOD)
        guard.leave()
        return guard.submissions

    assert loops.run(scenario()) == 1


def test_an_answer_confirmed_by_the_logged_in_page_is_no_rejection() -> None:
    async def scenario() -> int:
        guard = AccountGuard()
        await guard.enter(GOOD)
        guard.answer(GOOD, "page-error")  # given as not understood, until...
        guard.confirm(GOOD)  # ...the logged-in page showed
        guard.leave()
        return guard.rejections

    assert loops.run(scenario()) == 0
