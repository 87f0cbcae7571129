"""The pytest plugin's fixtures that diagnose or drive a page, in real Chromium, run by pytester.

The plugin's other tests (entry point, portal and profile fixtures) are in tests/app/test_plugin.py.
"""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]
# Inner runs go to a subprocess: an in-process run restores sys.modules afterwards,
# leaving httpx holding a stale httpcore whose errors no longer map to httpx errors.


def test_probe_diagnose_returns_the_verdict_of_a_scenario_and_of_a_set_up(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        def test_scenario(probe_diagnose):
            report = probe_diagnose("maintenance")
            assert (report.verdict.status, report.verdict.factor) == ("blocked", "maintenance")
            assert report.portal.scenario == "maintenance"

        def test_set_up(probe_diagnose):
            report = probe_diagnose(
                portal={"second_factor": {"delivery": "undelivered"}},
                credentials=("1850775123456", "Ameli-Demo-2026!"),
            )
            assert report.verdict.factor == "security-code-undelivered"
        """
    )
    pytester.runpytest_subprocess("-p", "no:playwright").assert_outcomes(passed=2)


def test_portal_fixture_works_beside_pytest_playwright_page(pytester: pytest.Pytester) -> None:
    # pytest-playwright is told which Chromium to drive on this machine, as a portal
    # team's conftest.py would; the page fixture is pytest-playwright's own.
    pytester.makeconftest(
        """
        import pytest
        from probe.browsers.chromium.discovery import launch_args

        @pytest.fixture(scope="session")
        def browser_type_launch_args(browser_type_launch_args, probe_chromium):
            return {**browser_type_launch_args,
                    "executable_path": str(probe_chromium.executable), "args": launch_args()}
        """
    )
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.probe_portal(maintenance={"enabled": True})
        def test_maintenance_page_says_when_to_come_back(page, probe_portal):
            page.goto(probe_portal.url + "connexion")
            assert "momentanément indisponible" in page.locator("#message").inner_text()
        """
    )
    # In a subprocess: pytest-playwright cannot run nested inside this session's own.
    pytester.runpytest_subprocess().assert_outcomes(passed=1)
