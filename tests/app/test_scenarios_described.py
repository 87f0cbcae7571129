"""Scenarios that target a portal the team runs itself (``portal_description``), no browser.

What is checked here: the loader resolves the description relative to the scenario file
and refuses what cannot work (the embedded portal's state beside it, a missing file, a
broken description), and ``--portal-url`` is refused where it would mean nothing. The
scenarios shipped for the second test portal run in real Chromium in
``test_portal2_scenarios_browser.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from probe.app import ci
from probe.app.cli import app
from probe.app.request import ScenarioCase
from probe.app.scenarios import load_all, load_file
from probe.errors import BadInput
from tests.helpers.paths import ALLAUTH_ALTCHA

PORTAL2 = ALLAUTH_ALTCHA
PORTAL2_SCENARIOS = PORTAL2 / "scenarios"

DESCRIBED = """\
description = "A fresh profile on our own portal."
reproduces = "access works"
portal_description = "{path}"

[credentials]
identifier = "demo"
password = "Sunflower-42"

[expect]
status = "ok"
factor = "none"
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def error_of(path: Path) -> str:
    with pytest.raises(BadInput) as caught:
        load_file(path)
    message = str(caught.value)
    assert "\n" not in message, "errors are one line"
    return message


def test_the_description_is_read_relative_to_the_scenario_file(tmp_path: Path) -> None:
    (tmp_path / "portals").mkdir()
    (tmp_path / "portals" / "ours.toml").write_bytes((PORTAL2 / "portal.toml").read_bytes())
    (tmp_path / "cases").mkdir()
    scenario = load_file(
        write(tmp_path / "cases", "fresh", DESCRIBED.format(path="../portals/ours.toml"))
    )
    assert scenario.described_portal is not None
    description, source = scenario.described_portal.description, scenario.described_portal.source
    assert description.name == "allauth-altcha"
    assert source.endswith("ours.toml")
    case = ci.scenario_case(scenario)
    assert isinstance(case, ScenarioCase)
    assert case.described is not None
    assert case.described.description == description and case.described.source == source
    assert case.credentials.identifier == "demo"


def test_a_scenario_without_a_description_targets_the_embedded_portal(tmp_path: Path) -> None:
    text = DESCRIBED.replace('portal_description = "{path}"\n', "")
    scenario = load_file(write(tmp_path, "mock", text))
    assert scenario.described_portal is None
    assert ci.scenario_case(scenario).described is None


def test_a_missing_description_file_is_named_with_the_field(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, "lost", DESCRIBED.format(path="nowhere.toml")))
    assert "lost.toml: portal_description: no such file" in message
    assert "nowhere.toml" in message and "relative to the scenario file" in message


def test_a_broken_description_is_named_by_its_own_file_and_line(tmp_path: Path) -> None:
    broken = (PORTAL2 / "portal.toml").read_text().replace('name = "allauth-altcha"', "nmae = 1")
    (tmp_path / "ours.toml").write_text(broken)
    message = error_of(write(tmp_path, "case", DESCRIBED.format(path="ours.toml")))
    assert "ours.toml:1: name: missing" in message


@pytest.mark.parametrize(
    "table", ["[portal]\nmaintenance = { enabled = true }\n", "[build_portal]\n"]
)
def test_the_embedded_portals_state_beside_a_description_is_refused(
    tmp_path: Path, table: str
) -> None:
    text = DESCRIBED.format(path=str(PORTAL2 / "portal.toml")) + table
    message = error_of(write(tmp_path, "both", text))
    assert "both.toml" in message
    assert "portal_description" in message and "drop one" in message


def test_the_second_portals_scenarios_load_and_expect_the_issues_verdicts() -> None:
    scenarios = {s.name: s for s in load_all(PORTAL2_SCENARIOS)}
    expected = {
        "ad-blocker-no-submit": ("blocked", "extension"),
        "fresh-gets-in": ("ok", "none"),
        "ad-blocker-hides-captcha": ("blocked", "extension"),
        "javascript-disabled": ("blocked", "browser-setting"),
        "wrong-password": ("blocked", "invalid-credentials"),
    }
    assert {n: (s.expect.status, s.expect.factor) for n, s in scenarios.items()} == expected
    for scenario in scenarios.values():
        assert scenario.described_portal is not None, scenario.name
        assert scenario.described_portal.description.name == "allauth-altcha"
    blocker = scenarios["ad-blocker-hides-captcha"].profile.extensions
    assert "ad-shield" in blocker and len(blocker) > 1  # among harmless ones
    assert [n for n, s in scenarios.items() if s.no_submit] == ["ad-blocker-no-submit"]


def test_credentials_may_be_left_out_only_with_no_submit(tmp_path: Path) -> None:
    without = DESCRIBED.format(path=str(PORTAL2 / "portal.toml")).replace(
        '[credentials]\nidentifier = "demo"\npassword = "Sunflower-42"\n', ""
    )
    assert "[credentials]" not in without
    message = error_of(write(tmp_path, "nocreds", without))
    assert "[credentials] is missing" in message and "no_submit = true" in message
    safe = load_file(write(tmp_path, "safe", "no_submit = true\n" + without))
    assert safe.no_submit and ci.scenario_case(safe).credentials.identifier == ""


def test_portal_url_is_refused_when_no_scenario_targets_a_described_portal(
    tmp_path: Path,
) -> None:
    text = DESCRIBED.replace('portal_description = "{path}"\n', "")
    write(tmp_path, "mock", text)
    with pytest.raises(BadInput, match="none of these scenarios targets a described portal"):
        ci.run_ci(
            ci.CiOptions(directory=tmp_path, portal_url="http://app2.localhost:9/accounts/login/")
        )
    with pytest.raises(BadInput, match="not an http"):
        ci.check_portal_url(load_all(PORTAL2_SCENARIOS), "app2.localhost:9")


def test_ci_refuses_a_described_portal_where_nothing_answers_in_one_line(
    tmp_path: Path,
) -> None:
    # Port 9 (discard) has nothing listening: each scenario fails in one line, no browser.
    result = CliRunner().invoke(
        app,
        [
            "ci",
            "--dir",
            str(PORTAL2_SCENARIOS),
            "--only",
            "fresh-gets-in",
            "--portal-url",
            "http://app2.localhost:9/accounts/login/",
            "--report-dir",
            str(tmp_path / "out"),
        ],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 1, result.output
    assert "login_url" in result.output and "portal.toml" in result.output


def test_serving_a_described_scenario_on_the_embedded_portal_is_refused() -> None:
    result = CliRunner().invoke(
        app,
        ["portal", "serve", "--scenario", str(PORTAL2_SCENARIOS / "fresh-gets-in.toml")],
    )
    assert result.exit_code == 2
    assert "which you run yourself" in result.output
