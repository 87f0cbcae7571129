"""The checklist's last advice, "try another browser", as a run of its own.

When the person's browser fails and a brand-new profile of the same browser fails too,
nothing in the person's browser is to blame; a brand-new profile of the *other* engine
installed here (Firefox for a Chromium diagnosis, Chromium for a Firefox one) then tells
whether switching browsers would help. The verdict keeps what the runs found; its
summary gains one sentence in plain words, and ``Report.other_browser`` says the same in
fields. Nothing of the person's profile crosses to the other browser.

The run goes through the account guard like any other: one that would only submit
credentials the portal already refused is skipped, and then nothing is concluded.
"""

from __future__ import annotations

from typing import Literal, Protocol

from probe.browsers.base import EngineName
from probe.diagnosis.decisions import fails_the_same
from probe.diagnosis.limitations import said_after
from probe.diagnosis.runner import Environment
from probe.journey.credentials import Credentials
from probe.models import Detail, OtherBrowser, VariantRun, Verdict
from probe.report.details import render

RUN_NAME = "other-browser"


class Runs(Protocol):
    """What this needs of a diagnosis: its runs so far, and running one more."""

    runs: list[VariantRun]

    async def run(self, env: Environment) -> VariantRun: ...


def wanted(runs: list[VariantRun]) -> bool:
    """The person's browser failed, and so did a brand-new profile of it."""
    current = next((r for r in runs if r.name == "current"), None)
    fresh = next((r for r in runs if r.name == "fresh"), None)
    return (
        current is not None
        and current.outcome == "fail"
        and fresh is not None
        and fresh.outcome == "fail"
    )


async def try_other_browser(
    diagnosis: Runs, credentials: Credentials, engine: EngineName, label: str
) -> OtherBrowser | None:
    """Run a brand-new profile of ``engine`` (named ``label`` to people) when it is
    wanted; None when it is not, or when the run could not tell (skipped)."""
    if not wanted(diagnosis.runs):
        return None
    fresh = next(r for r in diagnosis.runs if r.name == "fresh")
    env = Environment(
        RUN_NAME,
        f"A brand-new {label} profile",
        frozenset(),
        credentials,
        engine=engine,
    )
    run = await diagnosis.run(env)
    return judged(run, fresh, engine, label)


def judged(
    run: VariantRun, fresh: VariantRun, engine: EngineName, label: str
) -> OtherBrowser | None:
    """What the other browser's run says, next to the same browser's brand-new profile."""
    if run.outcome == "skipped":
        return None
    outcome: Literal["helps", "same", "fails"]
    if run.outcome == "pass":
        outcome = "helps"
    elif fails_the_same(run, fresh):
        outcome = "same"
    else:
        outcome = "fails"
    said = Detail(key=f"other-browser.{outcome}", params={"browser": label})
    return OtherBrowser(
        engine=engine,
        browser=label,
        outcome=outcome,
        run=run.name,
        summary_en=render(said, "en"),
        summary_fr=render(said, "fr"),
    )


def told(verdict: Verdict, other: OtherBrowser) -> Verdict:
    """``verdict`` with the other browser's answer at the end of its summary."""
    return said_after(
        verdict, Detail(key=f"other-browser.{other.outcome}", params={"browser": other.browser})
    )
