"""``probe ci`` without a browser: choosing scenarios, comparing verdicts, the index and JUnit."""

from __future__ import annotations

import json
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from probe.app import ci
from probe.app.cli import app
from probe.app.recipes.chromium import fixtures_dir
from probe.app.scenarios import Scenario, load_all
from probe.browsers.base import EngineName
from probe.browsers.chromium.discovery import Chromium
from probe.browsers.chromium.profile import extension_id
from probe.browsers.registry import Browser, find_browser
from probe.errors import BadInput, PortalFailure
from probe.models import (
    BrowserInfo,
    Culprit,
    CulpritKind,
    Factor,
    PortalInfo,
    ProfileInfo,
    Report,
    Status,
    Verdict,
)
from probe.report import (
    append_github_outputs,
    append_scenarios_summary,
    github_annotations,
    scenarios_summary,
    write_scenario_junit,
)

AD_SHIELD_ID = extension_id(fixtures_dir() / "extensions" / "ad-shield")


def scenario(
    name: str,
    status: Status = "blocked",
    factor: Factor = "extension",
    culprits: list[str] | None = None,
    description: str = "A case.",
) -> Scenario:
    return Scenario.model_validate(
        {
            "name": name,
            "description": description,
            "reproduces": "something",
            "credentials": {"identifier": "1850775123456", "password": "x"},
            "expect": {"status": status, "factor": factor, "culprits": culprits},
        }
    )


def verdict(
    status: Status, factor: Factor, culprits: Sequence[tuple[CulpritKind, str, str]] = ()
) -> Verdict:
    return Verdict(
        status=status,
        factor=factor,
        culprits=[Culprit(kind=k, id=i, name=n) for k, i, n in culprits],
        summary_en=f"{status}: {factor}",
        summary_fr=f"{status} : {factor}",
    )


def report(v: Verdict, runs: int = 3) -> Report:
    return Report(
        probe_version="test",
        created_at=datetime(2026, 11, 26, tzinfo=UTC),
        portal=PortalInfo(url="http://portal.localhost:1/connexion", embedded=True),
        browser=BrowserInfo(product="Chromium", version="156", executable="/bin/chromium"),
        profile=ProfileInfo(source=None, kind="recipe"),
        verdict=v,
        variants=[],
        browser_runs=runs,
        duration_ms=1234,
    )


# ---------------------------------------------------------------- shards


NAMES = ["b", "e", "a", "d", "c"]


@pytest.mark.parametrize("count", [1, 2, 3, 5, 7])
def test_shards_together_run_every_scenario_exactly_once(count: int) -> None:
    scenarios = [scenario(n) for n in NAMES]
    ran = [s.name for i in range(1, count + 1) for s in ci.take_shard(scenarios, f"{i}/{count}")]
    assert sorted(ran) == sorted(NAMES)


def test_shards_are_by_sorted_name_whatever_the_order_given() -> None:
    forward = [scenario(n) for n in NAMES]
    backward = list(reversed(forward))
    assert [s.name for s in ci.take_shard(forward, "1/2")] == ["a", "c", "e"]
    assert [s.name for s in ci.take_shard(backward, "2/2")] == ["b", "d"]
    assert [s.name for s in ci.take_shard(backward, None)] == sorted(NAMES)


def test_committed_scenarios_split_in_two_halves() -> None:
    everything = load_all()
    first, second = ci.take_shard(everything, "1/2"), ci.take_shard(everything, "2/2")
    assert {s.name for s in first}.isdisjoint(s.name for s in second)
    assert len(first) + len(second) == len(everything)
    assert abs(len(first) - len(second)) <= 1


@pytest.mark.parametrize("bad", ["", "1", "1-2", "a/b", "0/2", "3/2", "1/0", "-1/2", "1/2/3"])
def test_bad_shard_strings_are_refused(bad: str) -> None:
    with pytest.raises(BadInput, match="--shard"):
        ci.parse_shard(bad)


def test_shard_with_spaces_is_read() -> None:
    assert ci.parse_shard(" 2 / 3 ") == (2, 3)


def test_only_picks_scenarios_and_refuses_unknown_names() -> None:
    scenarios = [scenario("maintenance"), scenario("healthy", "ok", "none")]
    assert [s.name for s in ci.select(scenarios, ["healthy"])] == ["healthy"]
    assert ci.select(scenarios, None) == scenarios
    with pytest.raises(
        BadInput, match="--only maintenence: unknown scenario; closest: maintenance"
    ):
        ci.select(scenarios, ["maintenence"])


# ---------------------------------------------------------------- comparing


def test_same_verdict_passes() -> None:
    assert (
        ci.compare(scenario("x", "blocked", "maintenance"), verdict("blocked", "maintenance"))
        is None
    )


def test_other_factor_fails_with_both_named() -> None:
    problem = ci.compare(
        scenario("x", "blocked", "maintenance"), verdict("blocked", "rate-limited")
    )
    assert problem == "expected blocked / maintenance, got blocked / rate-limited"


def test_other_status_fails() -> None:
    problem = ci.compare(scenario("x", "ok", "none"), verdict("inconclusive", "unknown"))
    assert problem is not None and "got inconclusive / unknown" in problem


def test_culprits_are_ignored_when_not_expected() -> None:
    got = verdict("blocked", "extension", [("extension", "zzz", "Other")])
    assert ci.compare(scenario("x"), got) is None


def test_culprits_compare_as_a_set_with_fixture_names_turned_into_ids() -> None:
    expected = scenario("x", culprits=["ad-shield", "javascript"])
    got = verdict(
        "blocked",
        "extension",
        [("setting", "javascript", "JavaScript blocked"), ("extension", AD_SHIELD_ID, "Ad Shield")],
    )
    assert ci.compare(expected, got) is None


def test_wrong_culprits_say_what_is_missing_and_what_is_extra() -> None:
    expected = scenario("x", culprits=["ad-shield"])
    got = verdict("blocked", "extension", [("extension", "abcd", "Something else")])
    assert ci.compare(expected, got) == f"culprits differ: missing {AD_SHIELD_ID}; unexpected abcd"


def test_a_culprit_too_many_fails() -> None:
    expected = scenario("x", culprits=["ad-shield"])
    got = verdict(
        "blocked",
        "extension",
        [("extension", AD_SHIELD_ID, "Ad Shield"), ("extension", "other", "Other")],
    )
    assert ci.compare(expected, got) == "culprits differ: unexpected other"


# ---------------------------------------------------------------- index and JUnit


def results(tmp_path: Path) -> ci.CiSummary:
    passing = scenario("healthy", "ok", "none", description="Works <b>fine</b>")
    wrong = scenario("maintenance", "blocked", "maintenance")
    broken = scenario("rate-limited", "blocked", "rate-limited")
    (tmp_path / "healthy").mkdir()
    (tmp_path / "maintenance").mkdir()
    return ci.CiSummary(
        results=[
            ci.ScenarioResult(
                passing, 12.5, report(verdict("ok", "none"), 2), tmp_path / "healthy"
            ),
            ci.ScenarioResult(
                wrong,
                20.0,
                report(verdict("blocked", "rate-limited")),
                tmp_path / "maintenance",
                mismatch="expected blocked / maintenance, got blocked / rate-limited",
            ),
            ci.ScenarioResult(broken, 0.5, error="the embedded portal could not listen"),
        ],
        index=tmp_path / "index.html",
        junit=None,
        seconds=33.0,
    )


def test_summary_counts_and_rows(tmp_path: Path) -> None:
    summary = results(tmp_path)
    assert (summary.passed, summary.failed) == (1, 2)
    assert summary.rows[0] == ("healthy", "ok / none", "ok / none", "2", "12.5 s", "pass")
    assert summary.rows[1][2:] == ("blocked / rate-limited", "3", "20.0 s", "FAIL")
    assert summary.rows[2][2:] == ("error", "0", "0.5 s", "FAIL")


def test_index_links_each_report_and_shows_expected_and_got(tmp_path: Path) -> None:
    page = ci.write_index(results(tmp_path), tmp_path, shard="1/2").read_text()
    assert '<a href="healthy/index.html">' in page
    assert '<a href="maintenance/index.html">' in page
    assert "rate-limited/index.html" not in page  # its diagnosis wrote no report
    assert "1 passed, 2 failed" in page and "shard 1/2" in page
    assert "expected blocked / maintenance, got blocked / rate-limited" in page
    assert "the embedded portal could not listen" in page
    assert "Works &lt;b&gt;fine&lt;/b&gt;" in page  # autoescaped


def test_junit_has_one_case_per_scenario_with_the_mismatch_as_failure(tmp_path: Path) -> None:
    summary = results(tmp_path)
    path = write_scenario_junit(summary.results, tmp_path / "out" / "junit.xml", seconds=33.0)
    root = ET.parse(path).getroot()
    assert root.get("tests") == "3" and root.get("failures") == "1" and root.get("errors") == "1"
    cases = {c.get("name"): c for c in root.iter("testcase")}
    assert set(cases) == {"healthy", "maintenance", "rate-limited"}
    assert cases["healthy"].find("failure") is None and cases["healthy"].find("error") is None
    failure = cases["maintenance"].find("failure")
    assert failure is not None
    assert failure.get("message") == "expected blocked / maintenance, got blocked / rate-limited"
    assert "report: " in (failure.text or "")
    error = cases["rate-limited"].find("error")
    assert error is not None and "could not listen" in (error.get("message") or "")


def test_junit_and_summary_hide_secrets_quoted_in_an_error(tmp_path: Path) -> None:
    leaky = ci.ScenarioResult(
        scenario("leaky"),
        1.0,
        error="probe crashed: ValueError: password=hunter2 at http://x.test/cb?code=123456",
    )
    junit = write_scenario_junit([leaky], tmp_path / "junit.xml", seconds=1.0)
    summary = tmp_path / "summary.md"
    append_scenarios_summary([leaky], env={"GITHUB_STEP_SUMMARY": str(summary)})
    for text in (junit.read_text(), summary.read_text()):
        assert "hunter2" not in text and "123456" not in text
        assert "password=[hidden]" in text.replace("\\", "")


def test_summary_cells_are_escaped_like_the_report_summary(tmp_path: Path) -> None:
    odd = ci.ScenarioResult(
        scenario("odd_name"),
        1.0,
        report(verdict("blocked", "maintenance")),
        mismatch="got <b>x</b> | *not* [a link](y)",
    )
    (row,) = [line for line in scenarios_summary([odd]).splitlines() if line.startswith("| `")]
    # A code span shows backslashes verbatim, so the name is left as it is.
    assert row.startswith("| `odd_name` |")
    assert "&lt;b&gt;x&lt;/b&gt; \\| \\*not\\* \\[a link\\](y)" in row
    assert row.count(" | ") == 5


# ---------------------------------------------------------------- the whole run, faked


FAKE_CHROMIUM = Chromium(Path("/bin/true"), "156.0", "Chromium", "test")


def _fake_chromium(name: EngineName, **paths: Any) -> Browser:
    """``find_browser`` with Chromium faked (Firefox found as usual)."""
    return FAKE_CHROMIUM if name == "chromium" else find_browser(name, **paths)


@pytest.fixture
def scenario_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "scenarios"
    folder.mkdir()
    for name, status, factor in [
        ("healthy", "ok", "none"),
        ("maintenance", "blocked", "maintenance"),
        ("portal-dies", "blocked", "maintenance"),
        ("rate-limited", "blocked", "rate-limited"),
    ]:
        (folder / f"{name}.toml").write_text(
            f'description = "{name}"\nreproduces = "x"\n'
            '[credentials]\nidentifier = "1"\npassword = "p"\n'
            f'[expect]\nstatus = "{status}"\nfactor = "{factor}"\n'
        )
    return folder


@pytest.fixture
def fake_diagnoses(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Diagnoses without a browser: each scenario's verdict is read off its name."""
    seen: list[str] = []
    lock = threading.Lock()

    def fake(
        loaded: Scenario,
        request: Any,
        progress: Any = None,
        *,
        chromium: Any = None,
        driver: Any = None,
        profiles: Any = None,
    ) -> tuple[Report, Path]:
        assert chromium is FAKE_CHROMIUM  # found once, shared by every scenario
        with lock:
            seen.append(loaded.name)
        if loaded.name == "portal-dies":
            raise PortalFailure("the embedded portal could not listen on 127.0.0.1:0")
        got: dict[str, tuple[Status, Factor]] = {
            "healthy": ("ok", "none"),
            "maintenance": ("blocked", "maintenance"),
        }
        status, factor = got.get(loaded.name, ("blocked", "maintenance"))
        request.report_dir.mkdir(parents=True)
        (request.report_dir / "index.html").write_text("report")
        return report(verdict(status, factor)), request.report_dir

    monkeypatch.setattr(ci, "diagnose_scenario", fake)
    monkeypatch.setattr(ci, "find_browser", _fake_chromium)
    # Fake results must not land on a real GitHub Actions job page.
    for name in ("GITHUB_STEP_SUMMARY", "GITHUB_OUTPUT", "GITHUB_ACTIONS"):
        monkeypatch.delenv(name, raising=False)
    yield seen


def test_run_goes_on_after_a_failed_diagnosis_and_writes_everything(
    scenario_dir: Path, tmp_path: Path, fake_diagnoses: list[str]
) -> None:
    lines: list[str] = []
    summary = ci.run_ci(
        ci.CiOptions(
            jobs=2,
            directory=scenario_dir,
            report_dir=tmp_path / "out",
            junit=tmp_path / "junit.xml",
        ),
        progress=lines.append,
    )
    assert sorted(fake_diagnoses) == ["healthy", "maintenance", "portal-dies", "rate-limited"]
    assert (summary.passed, summary.failed) == (2, 2)
    by_name = {r.name: r for r in summary.results}
    assert by_name["portal-dies"].error == "the embedded portal could not listen on 127.0.0.1:0"
    assert by_name["rate-limited"].mismatch == (
        "expected blocked / rate-limited, got blocked / maintenance"
    )
    assert [r.name for r in summary.results] == sorted(by_name)
    assert summary.index == tmp_path / "out" / "index.html" and summary.index.is_file()
    assert ET.parse(tmp_path / "junit.xml").getroot().get("tests") == "4"
    assert len(lines) == 5  # the header, then one line per scenario as it finishes
    assert any("✘ rate-limited" in line for line in lines)


def test_only_and_shard_choose_what_runs(
    scenario_dir: Path, tmp_path: Path, fake_diagnoses: list[str]
) -> None:
    ci.run_ci(ci.CiOptions(directory=scenario_dir, report_dir=tmp_path / "a", shard="2/2"))
    assert sorted(fake_diagnoses) == ["maintenance", "rate-limited"]
    fake_diagnoses.clear()
    ci.run_ci(ci.CiOptions(directory=scenario_dir, report_dir=tmp_path / "b", only=["healthy"]))
    assert fake_diagnoses == ["healthy"]


def test_a_crash_in_probe_is_a_failed_scenario_with_its_traceback_kept(
    scenario_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(
        loaded: Scenario,
        request: Any,
        progress: Any = None,
        *,
        chromium: Any = None,
        driver: Any = None,
        profiles: Any = None,
    ) -> tuple[Report, Path]:
        raise KeyError("oops")

    monkeypatch.setattr(ci, "diagnose_scenario", crash)
    monkeypatch.setattr(ci, "find_browser", _fake_chromium)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    summary = ci.run_ci(
        ci.CiOptions(directory=scenario_dir, report_dir=tmp_path / "out", only=["healthy"])
    )
    assert summary.failed == 1
    error = summary.results[0].error or ""
    assert error.startswith("probe crashed: KeyError")
    assert "KeyError" in (tmp_path / "out" / "healthy" / "error.txt").read_text()


def test_cli_exits_1_when_a_verdict_differs_and_0_when_all_match(
    scenario_dir: Path, tmp_path: Path, fake_diagnoses: list[str]
) -> None:
    runner = CliRunner()
    args = ["ci", "--dir", str(scenario_dir), "--report-dir", str(tmp_path / "out")]
    failing = runner.invoke(app, [*args, "--only", "rate-limited"], env={"COLUMNS": "200"})
    assert failing.exit_code == 1, failing.output
    assert "0 passed, 1 failed" in failing.output
    passing = runner.invoke(app, [*args, "--only", "healthy", "--only", "maintenance"])
    assert passing.exit_code == 0, passing.output


def test_cli_refuses_a_bad_shard_before_running_anything(
    scenario_dir: Path, fake_diagnoses: list[str]
) -> None:
    result = CliRunner().invoke(app, ["ci", "--dir", str(scenario_dir), "--shard", "3/2"])
    assert result.exit_code == 2
    assert "--shard 3/2" in result.output
    assert fake_diagnoses == []


def test_github_summary_is_a_markdown_table_appended_only_on_actions(tmp_path: Path) -> None:
    summary = results(tmp_path)
    assert append_scenarios_summary(summary.results, env={}) is False
    target = tmp_path / "step-summary.md"
    target.write_text("before\n")
    assert append_scenarios_summary(summary.results, env={"GITHUB_STEP_SUMMARY": str(target)})
    text = target.read_text()
    assert text.startswith("before\n### ❌ probe ci: 1 passed, 2 failed")
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    assert len(rows) == 3
    assert rows[1].startswith("| `maintenance` | blocked / maintenance | blocked / rate-limited — ")
    assert rows[1].count(" | ") == 5  # no stray pipe splits a row


# ------------------------------------------------- GitHub Actions: step outputs, annotations


def test_step_outputs_hold_the_counts_and_every_verdict_as_json(tmp_path: Path) -> None:
    summary = results(tmp_path)
    assert append_github_outputs(summary.results, summary.index, env={}) is False
    target = tmp_path / "output"
    assert append_github_outputs(summary.results, summary.index, env={"GITHUB_OUTPUT": str(target)})
    outputs = dict(line.split("=", 1) for line in target.read_text().splitlines())
    assert (outputs["passed"], outputs["failed"]) == ("1", "2")
    assert json.loads(outputs["failed-scenarios"]) == ["maintenance", "rate-limited"]
    assert json.loads(outputs["verdicts"]) == {
        "healthy": "ok / none",
        "maintenance": "blocked / rate-limited",
        "rate-limited": "error",
    }
    assert outputs["index"] == str(summary.index)


def test_annotations_name_each_differing_scenario_and_its_file(tmp_path: Path) -> None:
    summary = results(tmp_path)
    lines = github_annotations(summary.results, {"maintenance": "scenarios/maintenance.toml"})
    assert lines == [
        "::error file=scenarios/maintenance.toml,title=probe ci%3A maintenance::"
        "expected blocked / maintenance, got blocked / rate-limited",
        "::error title=probe ci%3A rate-limited::expected blocked / rate-limited, got error: "
        "the embedded portal could not listen",
    ]


def test_an_annotation_is_one_line_whatever_the_message_holds() -> None:
    broken = ci.ScenarioResult(
        scenario("x", "ok", "none"), 1.0, error="line one\nline two, 100% sure: yes"
    )
    [line] = github_annotations([broken], {"x": "a,b:c.toml"})
    assert "\n" not in line
    assert line.startswith("::error file=a%2Cb%3Ac.toml,title=")
    assert line.endswith("got error: line one%0Aline two, 100%25 sure: yes")


def test_cli_on_actions_prints_annotations_pointing_at_the_scenario_files(
    scenario_dir: Path,
    tmp_path: Path,
    fake_diagnoses: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)  # the "repository": scenario_dir is tmp_path/scenarios
    output = tmp_path / "github-output"
    args = ["ci", "--dir", str(scenario_dir), "--report-dir", str(tmp_path / "out")]
    result = CliRunner().invoke(
        app,
        [*args, "--only", "rate-limited", "--only", "healthy"],
        env={"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": str(output)},
    )
    assert result.exit_code == 1, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("::error")]
    assert errors == [
        "::error file=scenarios/rate-limited.toml,title=probe ci%3A rate-limited::"
        "expected blocked / rate-limited, got blocked / maintenance"
    ]
    assert "failed=1" in output.read_text().splitlines()
    off_actions = CliRunner().invoke(app, [*args, "--only", "rate-limited"])
    assert "::error" not in off_actions.output


def test_cli_quiet_prints_only_the_counts(
    scenario_dir: Path, tmp_path: Path, fake_diagnoses: list[str]
) -> None:
    args = ["-q", "ci", "--dir", str(scenario_dir), "--report-dir", str(tmp_path / "out")]
    result = CliRunner().invoke(app, [*args, "--only", "healthy"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == ["probe ci: 1 passed, 0 failed"]
