"""Codes the person types: one run asks, no other run makes the portal send another.

The mock portal sends a real security code by "SMS" (its outbox) after every accepted
login. Its description here says ``second-factor.source = "prompt"``: the person types
the code. The fake person reads the newest SMS from the outbox when asked, and the test
counts what the portal really sent.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from probe.app.portal_choice import PortalChoice
from probe.app.recipes.chromium import ProfileRecipe, build_profile
from probe.app.request import DiagnosisRequest, demo_credentials
from probe.app.setup import run_diagnosis
from probe.browsers.chromium.discovery import Chromium
from probe.description.model import PortalDescription, PromptSource, mock_description
from probe.description.target import relocated
from probe.journey.account_guard import MAX_CODES_OPTION
from probe.journey.codes.outbox import loopback_request
from probe.mock_portal import EmbeddedPortal
from probe.models import Detail, Report, VariantRun
from probe.report.details import english


class Person:
    """Types the newest code the portal sent them by SMS, when probe asks."""

    def __init__(self, portal: EmbeddedPortal) -> None:
        self.portal = portal
        self.questions: list[str] = []

    def codes_sent(self) -> list[str]:
        url, headers = loopback_request(self.portal.outbox_url)
        messages = httpx.get(url, headers=headers, timeout=5).json()["messages"]
        return [m["body"] for m in messages if re.search(r"\b\d{6}\b", m["body"])]

    def ask(self, question: str) -> str:
        self.questions.append(question)
        newest = self.codes_sent()[0]  # the outbox lists the newest first
        return str(re.findall(r"\b(\d{6})\b", newest)[0])


class Notes:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def note(self, text: str | Detail) -> None:
        self.lines.append(text if isinstance(text, str) else english(text))

    def started(self, name: str, description: str) -> None:
        pass

    def finished(self, run: VariantRun) -> None:
        pass


@pytest.fixture
def portal() -> Iterator[EmbeddedPortal]:
    with EmbeddedPortal() as running:
        yield running


def prompted(**download: str) -> PortalDescription:
    """The mock's description, with codes typed by the person."""
    described = mock_description()
    steps = []
    for step in described.steps:
        if step is described.second_factor:
            step = step.model_copy(update={"source": PromptSource(kind="prompt")})
        elif step is described.download_check and download:
            step = step.model_copy(update=download)
        steps.append(step)
    return described.model_copy(update={"steps": steps})


def diagnose(
    portal: EmbeddedPortal,
    person: Person,
    tmp_path: Path,
    chromium: Chromium,
    *,
    description: PortalDescription,
    recipe: ProfileRecipe,
    max_codes: int = 1,
) -> tuple[Report, Notes]:
    notes = Notes()
    folder = tmp_path / f"max-{max_codes}"
    request = DiagnosisRequest(
        profile=build_profile(recipe, folder / "profile", chromium=chromium),
        portal=PortalChoice(relocated(description, portal.url), "prompted.toml"),
        credentials=demo_credentials(),
        ask_code=person.ask,
        max_codes=max_codes,
        report_dir=folder / "report",
        screenshots=False,
    )
    report, _ = run_diagnosis(request, notes, chromium=chromium)
    return report, notes


def logged_in(report: Report) -> list[str]:
    return [
        v.name
        for v in report.variants
        if any(s.name == "credentials" and s.outcome == "pass" for s in v.steps)
    ]


def stopped_for_a_code(report: Report) -> list[VariantRun]:
    return [v for v in report.variants if MAX_CODES_OPTION in (v.skipped_reason or "")]


def test_runs_racing_to_log_in_trigger_one_code_and_name_the_setting(
    portal: EmbeddedPortal, tmp_path: Path, probe_chromium: Chromium
) -> None:
    # JavaScript off: "fresh" and "settings-reset" run side by side and both get past
    # the page that stopped "current": one logs in, the other must not.
    person = Person(portal)
    report, notes = diagnose(
        portal,
        person,
        tmp_path,
        probe_chromium,
        description=prompted(),
        recipe=ProfileRecipe(settings=["javascript"]),
    )
    assert (report.verdict.status, report.verdict.factor) == ("blocked", "browser-setting")
    assert [c.id for c in report.verdict.culprits] == ["javascript"]
    assert [b.factor for b in report.verdict.blockers] == ["browser-setting"]
    assert len(person.questions) == 1
    assert len(person.codes_sent()) == 1  # what the portal really sent
    assert len(logged_in(report)) == 1
    assert any("second-factor.source = prompt" in line for line in notes.lines)
    for run in stopped_for_a_code(report):
        assert "another security code" in (run.skipped_reason or "")


def test_a_run_that_would_send_a_second_code_is_stopped_and_the_way_to_run_it_said(
    portal: EmbeddedPortal, tmp_path: Path, probe_chromium: Chromium
) -> None:
    # The check after login fails in every browser (the description expects another
    # document type), so the brand-new profile would have to log in again.
    description = prompted(starts_with="%XYZ-")
    person = Person(portal)
    report, notes = diagnose(
        portal, person, tmp_path, probe_chromium, description=description, recipe=ProfileRecipe()
    )
    assert len(person.questions) == 1 and len(person.codes_sent()) == 1
    assert logged_in(report) == ["current"]
    stopped = stopped_for_a_code(report)
    assert [run.name for run in stopped] == ["fresh"]
    assert "you type each one" in (stopped[0].skipped_reason or "")
    assert report.verdict.status == "inconclusive"  # the only run that could tell did not run
    assert "stopped before logging in" in report.verdict.summary_en
    assert notes.lines[-1] == (
        "1 run(s) stopped before logging in: each would have made the portal send another "
        "security code (you type each one: second-factor.source is prompt). To run them "
        "too: the same command with --max-codes 2."
    )

    # Doing what it says: the same diagnosis with --max-codes 2 asks twice, stops none.
    again = Person(portal)
    report, _ = diagnose(
        portal,
        again,
        tmp_path,
        probe_chromium,
        description=description,
        recipe=ProfileRecipe(),
        max_codes=2,
    )
    assert len(again.questions) == 2
    assert len(again.codes_sent()) == 1 + 2  # the first diagnosis's, then these two
    assert sorted(logged_in(report)) == ["current", "fresh"]
    assert stopped_for_a_code(report) == []
