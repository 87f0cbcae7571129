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
