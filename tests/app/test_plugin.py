"""The pytest plugin, exercised the way a portal team would: a test file run by pytester.

The fixtures that diagnose or drive a page are tested in test_plugin_browser.py.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

pytest_plugins = ["pytester"]
# Inner runs go to a subprocess: an in-process run restores sys.modules afterwards,
# leaving httpx holding a stale httpcore whose errors no longer map to httpx errors.


def test_importing_the_plugin_loads_nothing_heavy() -> None:
    code = (
        "import sys, probe.app.pytest_plugin\n"
        "heavy = [m for m in ('playwright', 'starlette', 'uvicorn', 'probe.mock_portal',"
        " 'probe.diagnosis.session', 'probe.app.setup', 'probe.app.ci', 'pydantic') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == ""


def test_plugin_is_registered_through_its_entry_point(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("--fixtures", "-p", "no:playwright")
    assert result.ret == 0
    output = result.stdout.str()
    assert "fixtures defined from probe.app.pytest_plugin" in output
    listed = {line.split(" ")[0] for line in result.stdout.lines}
    assert {
        "probe_portal",
        "probe_portal_factory",
        "probe_profile_factory",
        "probe_diagnose",
    } <= listed


def test_a_run_without_playwright_or_probe_fixtures_is_untouched(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile("def test_plain():\n    assert 1 + 1 == 2\n")
    result = pytester.runpytest_subprocess("-p", "no:playwright", "--strict-markers", "-W", "error")
    result.assert_outcomes(passed=1)


def test_portal_fixtures_serve_the_state_each_test_asks_for(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import httpx
        import pytest

        def get(portal, path="connexion"):
            # *.localhost is loopback for browsers; Python must be told.
            return httpx.get(f"http://127.0.0.1:{portal.port}/{path}",
                             headers={"Host": f"portal.localhost:{portal.port}"})

        def test_default_state_shows_the_login_form(probe_portal):
            answer = get(probe_portal)
            assert answer.status_code == 200 and 'id="login-form"' in answer.text

        @pytest.mark.probe_portal(maintenance={"enabled": True})
        def test_marker_sets_the_state(probe_portal):
            assert get(probe_portal).status_code == 503

        @pytest.mark.probe_portal(scenario="account-locked", captcha={"mode": "never"})
        def test_marker_takes_a_scenario_state_and_overrides(probe_portal):
            account = probe_portal.runtime.accounts["1850775123456"]
            assert account.status == "locked"
            assert probe_portal.runtime.config.captcha.mode == "never"

        def test_factory_starts_portals_side_by_side(probe_portal_factory):
            up = probe_portal_factory()
            down = probe_portal_factory({"maintenance": {"enabled": True}})
            assert up.port != down.port
            assert (get(up).status_code, get(down).status_code) == (200, 503)

        def test_a_wrong_state_is_one_clear_error(probe_portal_factory):
            from probe.errors import BadInput
            with pytest.raises(BadInput, match="captcha.mode"):
                probe_portal_factory(captcha={"mode": "sometimes"})
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:playwright", "--strict-markers")
    result.assert_outcomes(passed=5)


def test_profile_factory_builds_and_removes_profiles(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import json
        from pathlib import Path

        BUILT = []

        def test_build(probe_profile_factory):
            profile = probe_profile_factory(
                {"extensions": ["ad-shield"], "settings": ["javascript"]}
            )
            BUILT.append(profile)
            prefs = json.loads((profile / "Default" / "Preferences").read_text())
            assert prefs["profile"]["default_content_setting_values"]["javascript"] == 2
            assert len(list((profile / "Default" / "Extensions").iterdir())) == 1

        def test_removed_after_the_test():
            assert BUILT and not BUILT[0].exists()
        """
    )
    pytester.runpytest_subprocess("-p", "no:playwright", "-p", "no:randomly").assert_outcomes(
        passed=2
    )


# ------------------------------------------------- options on a par with pytest-playwright

PLUMBING_CONFTEST = """
import pytest


@pytest.fixture(autouse=True)
def no_browser(monkeypatch):
    # What probe_diagnose asks for, said instead of run (no browser in this tier).
    def said(request, *args, **kwargs):
        case = kwargs.get("case")
        (request.report_dir / "report.json").write_text("{}")  # a report, then a failure
        raise AssertionError(
            f"asked: headed={request.headed} lang={request.lang} browser={request.browser} "
            f"trace={request.trace} engine={case.engine if case else None}"
        )

    monkeypatch.setattr("probe.app.setup.run_diagnosis", said)
"""

PLUMBING_TEST = """
def test_diagnose(probe_diagnose):
    probe_diagnose(portal={}, profile={}, credentials=("1", "p"))
"""


@pytest.mark.parametrize("playwright", [True, False], ids=["with-pytest-playwright", "alone"])
def test_browser_headed_and_lang_reach_the_diagnosis(
    pytester: pytest.Pytester, playwright: bool
) -> None:
    pytester.makeconftest(PLUMBING_CONFTEST)
    pytester.makepyfile(test_plumbing=PLUMBING_TEST)
    alone = [] if playwright else ["-p", "no:playwright"]
    result = pytester.runpytest_subprocess(
        *alone, "--browser", "firefox", "--browser", "chromium", "--headed", "--probe-lang", "fr"
    )
    result.assert_outcomes(failed=2)
    output = result.stdout.str()
    for engine in ("firefox", "chromium"):
        assert f"test_diagnose[{engine}]" in output
        assert f"asked: headed=True lang=fr browser={engine} trace=True engine={engine}" in output


def test_without_options_it_is_headless_chromium_in_english(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(PLUMBING_CONFTEST)
    pytester.makepyfile(test_plumbing=PLUMBING_TEST)
    result = pytester.runpytest_subprocess("-p", "no:playwright")
    result.assert_outcomes(failed=1)
    assert "test_diagnose[chromium]" in result.stdout.str()
    assert "asked: headed=False lang=en browser=chromium" in result.stdout.str()


def test_the_options_are_in_the_help_with_or_without_pytest_playwright(
    pytester: pytest.Pytester,
) -> None:
    alone = " ".join(pytester.runpytest_subprocess("-p", "no:playwright", "--help").stdout.lines)
    assert "probe:" in alone
    for option in ("--browser={chromium,firefox}", "--headed", "--output=OUTPUT", "--probe-lang"):
        assert option in alone
    shared = " ".join(pytester.runpytest_subprocess("--help").stdout.lines)
    # pytest-playwright's own options, once: probe adds only --probe-lang beside them.
    assert shared.count("--headed ") == 1
    assert "--browser={chromium,firefox,webkit}" in shared and "--probe-lang" in shared


def test_webkit_from_pytest_playwright_skips_probe_diagnose(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(PLUMBING_CONFTEST)
    pytester.makepyfile(test_plumbing=PLUMBING_TEST)
    result = pytester.runpytest_subprocess("--browser", "webkit", "-rs")
    result.assert_outcomes(skipped=1)
    assert "probe drives chromium and firefox, not webkit" in result.stdout.str()


@pytest.mark.parametrize("playwright", [True, False], ids=["with-pytest-playwright", "alone"])
def test_a_failing_test_s_reports_go_to_one_folder_named_after_its_id(
    pytester: pytest.Pytester, playwright: bool
) -> None:
    # The same folder name as pytest-playwright's (python-slugify of the node id), with it
    # (its output_path) or without it (probe's own slug).
    pytester.makeconftest(PLUMBING_CONFTEST)
    pytester.makepyfile(test_plumbing=PLUMBING_TEST)
    alone = [] if playwright else ["-p", "no:playwright"]
    pytester.runpytest_subprocess(*alone, "--output", "out").assert_outcomes(failed=1)
    kept = pytester.path / "out" / "test-plumbing-py-test-diagnose-chromium" / "probe-diagnosis"
    assert (kept / "report.json").read_text() == "{}"
