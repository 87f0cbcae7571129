"""Security codes nobody asked for are never sent: the code budget, without a browser.

When the person types the codes (``second-factor.source = "prompt"``) or probe cannot
read them, each accepted login makes the portal send an SMS or e-mail. Only
``--max-codes`` logins (default 1) happen; a run that would log in again stops before
it, says why and how to allow it, and the verdict reads such a run for what it is:
it got through every step before the login, and says nothing of what comes after.
The same in real Chromium: ``test_code_budget_browser.py``.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable

import pyotp
import pytest

from probe._util import loops
from probe.description.model import (
    CodeSource,
    MailpitSource,
    PortalDescription,
    PromptSource,
    mock_description,
)
from probe.description.target import CodeSource as CodeReader
from probe.description.target import target_of
from probe.diagnosis.decisions import Diagnosis, got_further
from probe.diagnosis.runner import Environment
from probe.journey.account_guard import AccountGuard, CodeBudget, code_budget
from probe.journey.codes.sources import PromptCodes, TotpCodes, code_source
from probe.journey.credentials import Credentials
from probe.journey.login import NOT_REACHED, SkipRun
from probe.journey.observation import noted_step
from probe.models import STEP_NAMES, Step, StepName, Symptom, VariantRun
from probe.report.details import english, render
from tests.diagnosis.test_diagnosis_logic import STOPS_AT, FakeRunner, inventory

GOOD = Credentials("1850775123456", "Ameli-Demo-2026!")
PROMPT = CodeBudget(allowed=1, typed=True)


def with_source(source: CodeSource | None) -> PortalDescription:
    """The mock's description with another second-factor source."""
    description = mock_description()
    assert description.second_factor is not None
    second = description.second_factor.model_copy(update={"source": source})
    steps = [second if s is description.second_factor else s for s in description.steps]
    return description.model_copy(update={"steps": steps})


def _source_of(
    description: PortalDescription, identifier: str = "", ask: Callable[[str], str] | None = None
) -> CodeReader | None:
    """What probe.app.setup hands target_of for a description's declared code source."""
    second = description.second_factor
    assert second is not None and second.source is not None
    return code_source(
        second.source, login_url=description.login_url, identifier=identifier, ask=ask
    )


# ---------------------------------------------------------------- which portals need one


def test_codes_probe_reads_itself_need_no_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    mock = mock_description()
    assert code_budget(mock, target_of(mock), no_submit=False, allowed=1) is None  # outbox
    mailpit = with_source(MailpitSource(kind="mailpit", url="http://localhost:8025"))
    target = target_of(mailpit, code_source=_source_of(mailpit, identifier="a@b.c"))
    assert code_budget(mailpit, target, no_submit=False, allowed=1) is None
    monkeypatch.setenv("TOTP_SECRET", pyotp.random_base32())
    totp = target_of(mock)
    totp = dataclasses.replace(totp, outbox_url=None, code_source=TotpCodes("TOTP_SECRET"))
    assert code_budget(mock, totp, no_submit=False, allowed=1) is None


def test_a_prompt_or_no_source_is_budgeted_and_no_submit_or_no_code_step_is_not() -> None:
    prompt = with_source(PromptSource(kind="prompt"))
    target = target_of(prompt, code_source=_source_of(prompt, ask=lambda _q: "123456"))
    assert isinstance(target.code_source, PromptCodes)
    assert code_budget(prompt, target, no_submit=False, allowed=3) == CodeBudget(3, typed=True)
    assert code_budget(prompt, target, no_submit=True, allowed=3) is None
    unread = with_source(None)
    assert code_budget(unread, target_of(unread), no_submit=False, allowed=1) == CodeBudget(
        1, typed=False
    )
    without = mock_description()
    without = without.model_copy(
        update={"steps": [s for s in without.steps if s is not without.second_factor]}
    )
    assert code_budget(without, target_of(without), no_submit=False, allowed=1) is None


# ---------------------------------------------------------------- the guard


def test_after_one_accepted_login_the_next_run_stops_and_says_how_to_allow_it() -> None:
    async def scenario() -> tuple[str, int]:
        guard = AccountGuard(codes=PROMPT)
        await guard.enter(GOOD)
        guard.answer(GOOD, None)  # accepted: the portal sent a code
        guard.leave()
        with pytest.raises(SkipRun) as skipped:
            await guard.enter(GOOD)
        assert skipped.value.answer is None  # nothing is known of what it would have met
        return str(skipped.value), guard.code_skips

    reason, skips = loops.run(scenario())
    assert "would make the portal send another security code" in reason
    assert "you type each one" in reason and "--max-codes N" in reason
    assert skips == 1


def test_rejected_logins_send_no_code_and_max_codes_allows_more() -> None:
    async def scenario() -> list[str]:
        guard = AccountGuard(codes=CodeBudget(allowed=2, typed=True))
        out = []
        wrong = Credentials("1850775123456", "wrong")
        await guard.enter(wrong)
        guard.answer(wrong, "invalid-credentials")  # no code for a refused login
        guard.leave()
        for _ in range(2):
            await guard.enter(GOOD)
            guard.answer(GOOD, None)
            guard.leave()
            out.append("logged in")
        try:
            await guard.enter(GOOD)
        except SkipRun:
            out.append("stopped")
        return out

    assert loops.run(scenario()) == ["logged in", "logged in", "stopped"]


def test_the_words_before_and_after_name_the_option_with_a_number() -> None:
    announced = english(PROMPT.announcement())
    assert "At most 1 run(s) log in" in announced
    assert "--max-codes N" in announced
    after = english(PROMPT.afterword(3))
    assert after.startswith("3 run(s) stopped before logging in")
    assert after.endswith("the same command with --max-codes 4.")
    assert render(PROMPT.afterword(3), "fr").endswith("la même commande avec --max-codes 4.")
    unread = english(CodeBudget(1, typed=False).announcement())
    assert "names no source probe can read" in unread


# ---------------------------------------------------------------- the verdict


def stopped_before_login(name: str) -> VariantRun:
    reason = PROMPT.skip_reason()
    steps = [Step(name="open-login", outcome="pass"), Step(name="captcha", outcome="pass")]
    steps.append(noted_step("credentials", "skipped", reason))
    steps += [noted_step(n, "skipped", NOT_REACHED) for n in STEP_NAMES[3:]]
    return VariantRun(
        name=name,
        outcome="skipped",
        skipped_because=reason,
        skipped_reason=english(reason),
        steps=steps,
    )


def failed_at(step: StepName, symptom: Symptom) -> VariantRun:
    return VariantRun(name="base", outcome="fail", symptom=symptom, failed_step=step)


def test_a_run_stopped_before_the_login_got_past_a_captcha_that_failed_before() -> None:
    stopped = stopped_before_login("settings-reset")
    assert got_further(stopped, failed_at("captcha", "captcha-blocked"))
    assert got_further(stopped, failed_at("open-login", "javascript-disabled"))
    assert not got_further(stopped, failed_at("credentials", "invalid-credentials"))
    assert not got_further(stopped, failed_at("download-check", "download-failed"))


class BudgetedRunner(FakeRunner):
    """JavaScript off blocks the login page; with it on, the first run to log in takes the
    one code, every later one that would log in is stopped before it."""

    def __init__(self, first: str) -> None:
        super().__init__(
            lambda env: None if "javascript" not in env.kept else "javascript-disabled"
        )
        self.first = first  # the run that reaches the login first
        self.logins = 0
        self.stopped: list[str] = []

    async def run(self, env: Environment) -> VariantRun:
        if env.name != self.first:
            await asyncio.sleep(0.05)
        symptom = self.rule(env)
        if symptom is not None or env.stop_after in STOPS_AT.values():
            return await super().run(env)
        if self.logins >= 1:
            self.browser_runs += 1
            self.names.append(env.name)
            self.stopped.append(env.name)
            return stopped_before_login(env.name).model_copy(update={"kept": sorted(env.kept)})
        self.logins += 1
        return await super().run(env)


@pytest.mark.parametrize("first", ["fresh", "settings-reset"])
def test_javascript_off_is_named_whichever_run_took_the_one_code(first: str) -> None:
    runner = BudgetedRunner(first)
    inv = inventory(2, settings=("javascript",))
    verdict = loops.run(Diagnosis(runner, inv, GOOD).decide())
    assert (verdict.status, verdict.factor) == ("blocked", "browser-setting")
    assert [c.id for c in verdict.culprits] == ["javascript"]
    assert [b.factor for b in verdict.blockers] == ["browser-setting"]  # no "unknown" after it
    assert runner.logins == 1
    if first == "fresh":  # the variant the symptom points at could not log in
        assert "settings-reset" in runner.stopped


class AfterLoginRunner(FakeRunner):
    """``current`` logs in (the one code) and fails after; every other run is stopped."""

    def __init__(self) -> None:
        super().__init__(lambda env: None)

    async def run(self, env: Environment) -> VariantRun:
        self.browser_runs += 1
        self.names.append(env.name)
        if env.name == "current":
            return VariantRun(
                name="current",
                outcome="fail",
                symptom="download-failed",
                failed_step="download-check",
                kept=sorted(env.kept),
            )
        return stopped_before_login(env.name)


def test_when_the_runs_that_could_tell_were_stopped_the_verdict_says_so() -> None:
    runner = AfterLoginRunner()
    verdict = loops.run(Diagnosis(runner, inventory(1), GOOD).decide())
    assert (verdict.status, verdict.factor) == ("inconclusive", "unknown")
    assert "stopped before logging in" in verdict.summary_en
    assert "arrêtés avant de se connecter" in verdict.summary_fr
    assert "fresh" in runner.names
