"""``probe ci`` over the bot-guarded test portal's scenarios, in real Chromium and Firefox.

The portal runs BotD 2.0.0 (npm ``@fingerprintjs/botd``) in its sign-in page and refuses
every login BotD calls a robot ("Access denied: automated browsing is not allowed on this
site."). Before probe removed its browsers' robot marks, every run was refused: a healthy
profile was "the security check never completes", a wrong password the same, since the
portal never looked at it. What a person checks now: a brand-new profile gets in, in
Chromium and in Firefox; a wrong password is invalid credentials (BotD said human, the
portal looked at it); JavaScript off is the setting alone; a user-agent switcher whose
main-world script makes the page look automated, among harmless extensions, is named,
from Chromium's own evidence (the script parsed from ``chrome-extension://<id>/``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from probe.app.cli import app
from tests.helpers.paths import BOTD_PORTAL
from tests.portals.botd_portal import BotdPortal


@pytest.fixture
def portal() -> Iterator[BotdPortal]:
    with BotdPortal() as running:
        yield running


def test_probe_ci_runs_the_bot_guarded_portals_scenarios(
    portal: BotdPortal, tmp_path: Path
) -> None:
    out = tmp_path / "ci"
    result = CliRunner().invoke(
        app,
        [
            "ci",
            "--dir",
            str(BOTD_PORTAL / "scenarios"),
            "--portal-url",
            portal.login_url,
            "--report-dir",
            str(out),
            "--jobs",
            "1",
        ],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    assert "probe ci: 5 passed, 0 failed" in result.output

    def report(name: str) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads((out / name / "report.json").read_text())
        return loaded

    for name in ("fresh-gets-in", "fresh-gets-in-firefox"):
        healthy = report(name)
        assert healthy["verdict"]["status"] == "ok", name
        assert healthy["browser_runs"] == 1, name  # current passed at once
    wrong = report("wrong-password")
    assert wrong["verdict"]["factor"] == "invalid-credentials"
    assert wrong["variants"][0]["message"] == "Invalid username or password."
    javascript = report("javascript-disabled")
    assert [b["factor"] for b in javascript["verdict"]["blockers"]] == ["browser-setting"]
    assert [c["id"] for c in javascript["verdict"]["culprits"]] == ["javascript"]
    switcher = report("ua-switcher-looks-automated")
    assert [c["name"] for c in switcher["verdict"]["culprits"]] == ["UA Switcher"]
    assert switcher["variants"][0]["symptom"] == "automation-refused"
    # Its main-world script was seen by Chromium: confirmed in two runs, no narrowing.
    evidence = switcher["verdict"]["blockers"][0]["evidence"]
    assert [(e["kind"], e["name"]) for e in evidence] == [("injects-script", "UA Switcher")]
    assert switcher["browser_runs"] == 3
    # BotD saw a person in every run but the ones keeping the switcher; JavaScript-off
    # runs never submitted.
    assert "human" in portal.verdicts and "bot:headless_chrome" in portal.verdicts
    assert set(portal.verdicts) == {"human", "bot:headless_chrome"}
