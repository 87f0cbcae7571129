"""``probe browser``: diagnose why logging in fails in one browser profile."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from probe.app import console
from probe.app.cli.base import (
    EXIT_FOR_STATUS,
    ChannelOption,
    ChromiumOption,
    FirefoxOption,
    app,
    check_outputs,
    complete_browser,
    complete_lang,
    complete_scenario,
    reports_errors,
)
from probe.app.request import Asking, BrowserOptions, DiagnosisRequest, browser_request

if TYPE_CHECKING:
    from probe.models import Lang, Report


ProfileOption = Annotated[
    Path | None,
    typer.Option(
        metavar="PATH",
        help="The browser profile: a Chromium/Chrome user-data-dir or one profile folder in it (Default, 'Profile 1'), or a Firefox profile folder or profiles folder (with profiles.ini). Default: your Chromium, then Chrome profile (your Firefox one with --browser firefox), else a brand-new one. Never modified: probe works on a private copy.",
    ),
]
BrowserNameOption = Annotated[
    str | None,
    typer.Option(
        "--browser",
        metavar="firefox|chromium",
        autocompletion=complete_browser,
        help="The browser to diagnose in. Default: the one whose profile --profile is, else Chromium.",
    ),
]
ProfileNameOption = Annotated[
    str | None,
    typer.Option(
        "--profile-name",
        metavar="NAME",
        help="In a folder holding several profiles: the one to read (Firefox: its name in profiles.ini; Chromium: its folder, 'Profile 1', or the name it shows). Default: the last used one.",
    ),
]
PortalOption = Annotated[
    str | None,
    typer.Option(
        metavar="FILE|URL",
        help="The portal: its description file (see 'probe portal draft'), or its login page's URL (a description is then drafted on the fly). Default: the embedded mock portal, started on loopback.",
    ),
]
PortalUrlOption = Annotated[
    str | None,
    typer.Option(
        "--portal-url",
        metavar="URL",
        help="Where the described portal is, when not at its file's login_url (another host or port); with --scenario, where the portal its portal_description describes runs.",
    ),
]
FederationOption = Annotated[
    str | None,
    typer.Option(
        metavar="PARTNER",
        help="Log in through the portal's identity federation (FranceConnect-like) at this partner; --user and the password are the partner's. 'default': the description's default partner.",
    ),
]
NoSubmitOption = Annotated[
    bool,
    typer.Option(
        "--no-submit",
        help="Run every variant up to and including the CAPTCHA and never type credentials (for a portal that is not a test double).",
    ),
]
ScenarioOption = Annotated[
    str | None,
    typer.Option(
        metavar="NAME",
        autocompletion=complete_scenario,
        help="Run a scenario from scenarios/: sets the embedded portal's state and builds its browser profile (see 'probe scenarios list').",
    ),
]
UserOption = Annotated[
    str | None,
    typer.Option(
        metavar="ID",
        help="Identifier to log in with. Default: the embedded portal's demo account.",
    ),
]
PasswordOption = Annotated[
    str | None,
    typer.Option(
        metavar="TEXT",
        help="Password (lands in your shell history: prefer PROBE_PASSWORD or the prompt).",
        envvar="PROBE_PASSWORD",
        show_envvar=True,
    ),
]
ReportDirOption = Annotated[
    Path | None,
    typer.Option(
        metavar="DIR",
        help="Where to write index.html and report.json. Default: reports/<timestamp>/.",
    ),
]
LangOption = Annotated[
    str | None,
    typer.Option(
        metavar="fr|en",
        autocompletion=complete_lang,
        help="Report language: fr or en. Default: from your locale.",
    ),
]
HeadedOption = Annotated[bool, typer.Option("--headed", help="Show the browser windows.")]
JobsOption = Annotated[int, typer.Option(min=1, max=8, help="Browser runs at once.")]
ReuseOption = Annotated[
    bool,
    typer.Option(
        "--reuse/--no-reuse",
        help="Let runs that differ only in extensions, cookies or site data reuse running "
        "browsers (at most --jobs); --no-reuse starts a new browser for every run.",
    ),
]
JunitOption = Annotated[
    Path | None, typer.Option(help="Also write JUnit XML here (one test case per variant).")
]
OutboxOption = Annotated[
    str | None,
    typer.Option(
        metavar="URL",
        help="With --portal: a Mailpit-like outbox URL to read security codes from.",
    ),
]
MaxCodesOption = Annotated[
    int,
    typer.Option(
        "--max-codes",
        metavar="N",
        min=1,
        max=20,
        help="When you type the security codes (second-factor.source = prompt) or probe cannot read them: how many runs may log in, each making the portal send one. The others stop before logging in and say so.",
    ),
]
TraceOption = Annotated[
    bool,
    typer.Option(
        "--trace/--no-trace",
        help="Write Playwright traces of your browser's run and of the run proving the verdict.",
    ),
]
OtherBrowserOption = Annotated[
    bool,
    typer.Option(
        "--other-browser/--no-other-browser",
        help="When your browser and a brand-new profile of it both fail, try a brand-new profile of the other browser installed (Firefox or Chromium) and say whether switching browsers helps.",
    ),
]


@app.command()
@reports_errors
def browser(
    profile: ProfileOption = None,
    browser_name: BrowserNameOption = None,
    profile_name: ProfileNameOption = None,
    portal: PortalOption = None,
    portal_url: PortalUrlOption = None,
    federation: FederationOption = None,
    no_submit: NoSubmitOption = False,
    scenario: ScenarioOption = None,
    user: UserOption = None,
    password: PasswordOption = None,
    report_dir: ReportDirOption = None,
    lang: LangOption = None,
    chromium: ChromiumOption = None,
    channel: ChannelOption = None,
    firefox: FirefoxOption = None,
    headed: HeadedOption = False,
    jobs: JobsOption = 2,
    reuse: ReuseOption = True,
    junit: JunitOption = None,
    outbox: OutboxOption = None,
    max_codes: MaxCodesOption = 1,
    trace: TraceOption = True,
    other_browser: OtherBrowserOption = True,
) -> None:
    """Diagnose why logging in fails in this browser profile, and write a report.

    Runs the whole login (CAPTCHA, password, security code, a check after login) in
    real Chromium or Firefox with your profile as it is and with variants of it (fresh
    profile, private window, no extensions, cookies or site data cleared, settings
    reset), then narrows down to the extension, cookie or setting to blame. Exit code: 0
    access works, 1 blocked (diagnosed), 2 bad input, 3 inconclusive.

    Examples: probe browser --scenario extensions-clash ;
    probe browser --profile ~/.config/chromium --lang fr ;
    probe browser --browser firefox --profile-name default-release ;
    probe browser --profile ~/.config/google-chrome --channel chrome
    """
    # Read once above; the Playwright driver and every Chromium would inherit it.
    os.environ.pop("PROBE_PASSWORD", None)
    options = BrowserOptions(
        profile=profile,
        browser=browser_name,
        profile_name=profile_name,
        portal=portal,
        portal_url=portal_url,
        federation=federation,
        no_submit=no_submit,
        scenario=scenario,
        user=user,
        password=password,
        report_dir=report_dir,
        lang=lang,
        chromium=chromium,
        channel=channel,
        firefox=firefox,
        headed=headed,
        jobs=jobs,
        reuse=reuse,
        outbox=outbox,
        max_codes=max_codes,
        trace=trace,
        other_browser=other_browser,
    )
    request = browser_request(options, _asking())
    check_outputs(junit)
    report, out_dir = _diagnose(request, scenario)
    _print(report, out_dir, request.lang, junit)
    raise typer.Exit(EXIT_FOR_STATUS[report.verdict.status])


def _asking() -> Asking:
    """Ask the person for a password or a security code only when a terminal lets us."""
    if not console.is_interactive():
        return Asking(warn=console.warning)
    return Asking(password=_ask_password, code=_ask_code, warn=console.warning)


def _ask_password() -> str:
    answer: str = typer.prompt("Password", hide_input=True)
    return answer


def _diagnose(request: DiagnosisRequest, scenario: str | None) -> tuple[Report, Path]:
    """The diagnosis, its progress shown live; the report and its folder."""
    from probe.app import setup

    with console.LiveProgress(lang=request.lang) as progress:
        if scenario is not None:
            from probe.app.ci import diagnose_scenario

            return diagnose_scenario(scenario, request, progress)
        return setup.run_diagnosis(request, progress)


def _print(report: Report, out_dir: Path, lang: Lang, junit: Path | None) -> None:
    """The verdict on the terminal; the JUnit file and GitHub's job summary when asked."""
    from probe.report import append_github_summary, write_junit

    console.verdict_panel(report, out_dir, lang)
    if junit is not None:
        write_junit([report], junit)
    append_github_summary(report)


def _ask_code(question: str) -> str:
    answer: str = typer.prompt(question)
    return answer
