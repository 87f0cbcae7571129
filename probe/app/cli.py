"""The ``probe`` command: parse options, make one call into the core, print the result.

Exit codes: 0 access works, 1 access blocked and diagnosed, 2 bad input,
3 inconclusive or browser failure; 130 Ctrl-C, 143 SIGTERM, 129 SIGHUP (cleaned up alike).
"""

from __future__ import annotations

import contextlib
import errno
import functools
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Annotated, Any, TypeVar

import typer

from probe import __version__
from probe.app import console
from probe.errors import BadInput, ProbeError

app = typer.Typer(
    name="probe",
    help=(
        "Find out why someone cannot log in to a web portal.\n\n"
        "probe replays the login in real Chromium under several browser set-ups (your "
        "profile as it is, a private window, no extensions, cookies cleared, a brand-new "
        "profile, ...), compares them and names what blocks access: an extension, a "
        "cookie, a setting, or the portal itself.\n\n"
        "Start with:  probe browser --scenario ad-blocker-hides-captcha"
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
portal_app = typer.Typer(
    help="Portals: describe your own (draft, check), or serve the embedded mock.",
    no_args_is_help=True,
)
scenarios_app = typer.Typer(
    help="Scenario files: portal states and browser set-ups.", no_args_is_help=True
)
app.add_typer(portal_app, name="portal")
app.add_typer(scenarios_app, name="scenarios")

F = TypeVar("F", bound=Callable[..., Any])
ChromiumOption = Annotated[
    str | None,
    typer.Option(
        metavar="PATH",
        help="Chromium executable to drive (default: Playwright's Chromium, then the system's).",
        envvar="PROBE_CHROMIUM",
        show_envvar=True,
    ),
]
FirefoxOption = Annotated[
    str | None,
    typer.Option(
        metavar="PATH",
        help="Firefox executable to drive (default: Playwright's Firefox, then the system's firefox-esr, firefox).",
        envvar="PROBE_FIREFOX",
        show_envvar=True,
    ),
]
ScenarioDirOption = Annotated[
    Path | None, typer.Option("--dir", metavar="DIR", help="Scenario folder. Default: scenarios/.")
]
EXIT_FOR_STATUS = {"ok": 0, "blocked": 1, "inconclusive": 3}


_STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)
_received: list[int] = []


def _as_ctrl_c(signum: int, frame: FrameType | None) -> None:
    # Raised wherever the main thread is, as Python raises Ctrl-C's KeyboardInterrupt:
    # asyncio then cancels every task (browsers close), every ``finally`` runs (the
    # profile copy and a partial report folder are removed). Cancelling the main task
    # instead, as asyncio does on SIGINT, is not enough: the run may finish anyway.
    if _in_finalizer(frame):
        # An exception raised in a ``__del__`` is printed and dropped: the run would go
        # on. The signal is sent again in a moment, to land elsewhere.
        threading.Timer(0.05, os.kill, (os.getpid(), signum)).start()
        return
    _received.append(signum)
    _quiet_shutdown()
    raise KeyboardInterrupt


def _in_finalizer(frame: FrameType | None) -> bool:
    while frame is not None:
        if frame.f_code.co_name == "__del__":
            return True
        frame = frame.f_back
    return False


def _quiet_shutdown() -> None:
    # Stopping mid-run leaves Playwright's driver pipes to be collected after the event
    # loop closed; asyncio then logs warnings and "Exception ignored" tracebacks that say
    # nothing to a person who asked probe to stop.
    logging.getLogger("asyncio").disabled = True
    sys.unraisablehook = lambda _unraisable: None


@contextlib.contextmanager
def _stop_signals_like_ctrl_c() -> Iterator[None]:
    """SIGTERM and SIGHUP (a CI job cancelled, a terminal closed) clean up like Ctrl-C."""
    try:
        previous = {number: signal.signal(number, _as_ctrl_c) for number in _STOP_SIGNALS}
    except ValueError:  # not the main thread: signals are not ours to handle
        yield
        return
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _unexpected(exc: Exception) -> str:
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        where = f" ({exc.filename})" if exc.filename else ""
        return f"no space left on the disk{where}: free some space, then run probe again"
    detail = " ".join(str(exc).split())[:200]
    return (
        f"probe stopped on an unexpected error ({type(exc).__name__}"
        f"{': ' + detail if detail else ''}); temporary copies were removed. "
        "Run it again; if it happens again, report it with this line"
    )


def reports_errors(func: F) -> F:
    """Turn probe's errors into one line and an exit code; never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        _received.clear()
        try:
            with _stop_signals_like_ctrl_c():
                return func(*args, **kwargs)
        except ProbeError as exc:
            console.error(str(exc))
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            # Ctrl-C also stops Playwright's driver; futures it failed are collected
            # later and asyncio would print "Future exception was never retrieved".
            _quiet_shutdown()
            signum = _received[0] if _received else signal.SIGINT
            with contextlib.suppress(OSError):  # SIGHUP: the terminal may be gone
                what = (
                    "interrupted"
                    if signum == signal.SIGINT
                    else f"stopped by {signal.Signals(signum).name}"
                )
                console.error(f"{what}; temporary copies were removed")
            raise typer.Exit(128 + signum) from None
        except (typer.Exit, typer.Abort):
            raise
        except Exception as exc:
            # Exit 1 means "blocked and diagnosed": a crash must not read as a verdict.
            console.error(_unexpected(exc))
            raise typer.Exit(3) from None

    return wrapper  # type: ignore[return-value]


def _check_outputs(junit: Path | None) -> None:
    """Output files that cannot be written fail now, not after the whole diagnosis."""
    from probe.report.files import check_output_file

    if junit is not None:
        check_output_file(junit, "--junit")
    summary = os.environ.get("GITHUB_STEP_SUMMARY", "")
    if summary:
        check_output_file(Path(summary), "GITHUB_STEP_SUMMARY")


def _lang(value: str | None) -> Any:
    from probe.report import default_lang

    if value is None:
        return default_lang()
    if value not in ("fr", "en"):
        raise BadInput(f"--lang {value}: use 'fr' or 'en'")
    return value


def _browser(value: str | None) -> Any:
    if value is None or value in ("firefox", "chromium"):
        return value
    raise BadInput(f"--browser {value}: use 'firefox' or 'chromium'")


@app.command()
@reports_errors
def browser(
    profile: Annotated[
        Path | None,
        typer.Option(
            metavar="PATH",
            help="The browser profile: a Chromium/Chrome user-data-dir or one profile folder in it (Default, 'Profile 1'), or a Firefox profile folder or profiles folder (with profiles.ini). Default: your Chromium, then Chrome profile (your Firefox one with --browser firefox), else a brand-new one. Never modified: probe works on a private copy.",
        ),
    ] = None,
    browser_name: Annotated[
        str | None,
        typer.Option(
            "--browser",
            metavar="firefox|chromium",
            help="The browser to diagnose in. Default: the one whose profile --profile is, else Chromium.",
        ),
    ] = None,
    profile_name: Annotated[
        str | None,
        typer.Option(
            "--profile-name",
            metavar="NAME",
            help="In a folder holding several profiles: the one to read (Firefox: its name in profiles.ini; Chromium: its folder, 'Profile 1', or the name it shows). Default: the last used one.",
        ),
    ] = None,
    portal: Annotated[
        str | None,
        typer.Option(
            metavar="FILE|URL",
            help="The portal: its description file (see 'probe portal draft'), or its login page's URL (a description is then drafted on the fly). Default: the embedded mock portal, started on loopback.",
        ),
    ] = None,
    portal_url: Annotated[
        str | None,
        typer.Option(
            "--portal-url",
            metavar="URL",
            help="Where the described portal is, when not at its file's login_url (another host or port); with --scenario, where the portal its portal_description describes runs.",
        ),
    ] = None,
    federation: Annotated[
        str | None,
        typer.Option(
            metavar="PARTNER",
            help="Log in through the portal's identity federation (FranceConnect-like) at this partner; --user and the password are the partner's. 'default': the description's default partner.",
        ),
    ] = None,
    no_submit: Annotated[
        bool,
        typer.Option(
            "--no-submit",
            help="Run every variant up to and including the CAPTCHA and never type credentials (for a portal that is not a test double).",
        ),
    ] = False,
    scenario: Annotated[
        str | None,
        typer.Option(
            metavar="NAME",
            help="Run a scenario from scenarios/: sets the embedded portal's state and builds its browser profile (see 'probe scenarios list').",
        ),
    ] = None,
    user: Annotated[
        str | None,
        typer.Option(
            metavar="ID",
            help="Identifier to log in with. Default: the embedded portal's demo account.",
        ),
    ] = None,
    password: Annotated[
        str | None,
        typer.Option(
            metavar="TEXT",
            help="Password (lands in your shell history: prefer PROBE_PASSWORD or the prompt).",
            envvar="PROBE_PASSWORD",
            show_envvar=True,
        ),
    ] = None,
    report_dir: Annotated[
        Path | None,
        typer.Option(
            metavar="DIR",
            help="Where to write index.html and report.json. Default: reports/<timestamp>/.",
        ),
    ] = None,
    lang: Annotated[
        str | None,
        typer.Option(metavar="fr|en", help="Report language: fr or en. Default: from your locale."),
    ] = None,
    chromium: ChromiumOption = None,
    firefox: FirefoxOption = None,
    headed: Annotated[bool, typer.Option("--headed", help="Show the browser windows.")] = False,
    jobs: Annotated[int, typer.Option(min=1, max=8, help="Browser runs at once.")] = 2,
    reuse: Annotated[
        bool,
        typer.Option(
            "--reuse/--no-reuse",
            help="Let runs that differ only in extensions, cookies or site data reuse running "
            "browsers (at most --jobs); --no-reuse starts a new browser for every run.",
        ),
    ] = True,
    junit: Annotated[
        Path | None, typer.Option(help="Also write JUnit XML here (one test case per variant).")
    ] = None,
    outbox: Annotated[
        str | None,
        typer.Option(
            metavar="URL",
            help="With --portal: a Mailpit-like outbox URL to read security codes from.",
        ),
    ] = None,
    max_codes: Annotated[
        int,
        typer.Option(
            "--max-codes",
            metavar="N",
            min=1,
            max=20,
            help="When you type the security codes (second-factor.source = prompt) or probe cannot read them: how many runs may log in, each making the portal send one. The others stop before logging in and say so.",
        ),
    ] = 1,
    trace: Annotated[
        bool,
        typer.Option(
            "--trace/--no-trace",
            help="Write Playwright traces of your browser's run and of the run proving the verdict.",
        ),
    ] = True,
    other_browser: Annotated[
        bool,
        typer.Option(
            "--other-browser/--no-other-browser",
            help="When your browser and a brand-new profile of it both fail, try a brand-new profile of the other browser installed (Firefox or Chromium) and say whether switching browsers helps.",
        ),
    ] = True,
) -> None:
    """Diagnose why logging in fails in this browser profile, and write a report.

    Runs the whole login (CAPTCHA, password, security code, a check after login) in
    real Chromium or Firefox with your profile as it is and with variants of it (fresh
    profile, private window, no extensions, cookies or site data cleared, settings
    reset), then narrows down to the extension, cookie or setting to blame. Exit code: 0
    access works, 1 blocked (diagnosed), 2 bad input, 3 inconclusive.

    Examples: probe browser --scenario extensions-clash ;
    probe browser --profile ~/.config/chromium --lang fr ;
    probe browser --browser firefox --profile-name default-release
    """
    from probe.diagnosis.session import DiagnosisRequest
    from probe.journey.credentials import Credentials

    # Read once above; the Playwright driver and every Chromium would inherit it.
    os.environ.pop("PROBE_PASSWORD", None)
    language = _lang(lang)
    engine = _browser(browser_name)
    if scenario is not None and profile_name is not None:
        raise BadInput("--scenario builds its own profile: drop --profile-name")
    if scenario is not None and (user is not None or portal is not None or profile is not None):
        raise BadInput(
            "--scenario brings its own portal, profile and credentials: "
            "drop --user/--portal/--profile, or drop --scenario"
        )
    credentials = None
    if user is not None:
        if password is None:
            if not console.is_interactive():
                raise BadInput(
                    "--user given without a password: set PROBE_PASSWORD or pass --password"
                )
            password = typer.prompt("Password", hide_input=True)
        credentials = Credentials(user, password)
        if federation is not None:
            partner = None if federation == "default" else federation
            credentials = Credentials(user, password, method="franceconnect", partner=partner)
    elif federation is not None:
        raise BadInput("--federation needs --user (and a password): the partner's account")
    elif no_submit:
        credentials = Credentials("", "")  # never typed
    elif portal is not None:
        raise BadInput(
            "--portal needs --user (and a password): probe knows no account there "
            "(or --no-submit, which types none)"
        )
    description, source = None, None
    if scenario is None and (portal is not None or portal_url is not None):
        from probe.app.portal_choice import choose_portal

        choice = choose_portal(portal, portal_url, chromium_path=chromium)
        if choice.note():
            console.warning(str(choice.note()))
        description, source = choice.description, choice.source
    request = DiagnosisRequest(
        profile=profile.expanduser() if profile else None,
        # With --scenario: where the described portal it targets runs.
        portal_url=portal_url if scenario is not None else None,
        portal_description=description,
        portal_source=source,
        no_submit=no_submit,
        ask_code=_ask_code if console.is_interactive() else None,
        max_codes=max_codes,
        outbox_url=outbox,
        credentials=credentials,
        report_dir=report_dir,
        lang=language,
        chromium_path=chromium,
        firefox_path=firefox,
        browser=engine,
        profile_name=profile_name,
        other_browser=other_browser,
        headed=headed,
        jobs=jobs,
        reuse_browsers=reuse,
        trace=trace,
    )
    _check_outputs(junit)
    with console.LiveProgress(lang=language) as progress:
        if scenario is not None:
            from probe.app.ci import diagnose_scenario

            report, out_dir = diagnose_scenario(scenario, request, progress)
        else:
            from probe.app.setup import run_diagnosis

            report, out_dir = run_diagnosis(request, progress)
    console.verdict_panel(report, out_dir, language)
    if junit is not None:
        from probe.report import write_junit

        write_junit([report], junit)
    from probe.report import append_github_summary

    append_github_summary(report)
    raise typer.Exit(EXIT_FOR_STATUS[report.verdict.status])


@app.command()
@reports_errors
def report(
    report_dir: Annotated[Path, typer.Argument(help="A folder holding a report.json.")],
    lang: Annotated[
        str | None, typer.Option(help="fr or en. Default: the report's own language.")
    ] = None,
) -> None:
    """Render index.html again from a report.json, e.g. in the other language.

    Example: probe report reports/20261126-204501 --lang fr
    """
    from probe.report import rerender

    path = rerender(report_dir, lang=_lang(lang) if lang else None)
    console.line(f"wrote {path}")


def _ask_code(question: str) -> str:
    answer: str = typer.prompt(question)
    return answer


@app.command()
@reports_errors
def schema(
    what: Annotated[
        str, typer.Argument(metavar="report|portal", help="Which file's schema.")
    ] = "report",
) -> None:
    """Print the JSON Schema of report.json, or of a portal description (probe schema portal).

    Example: probe schema > report.schema.json ; probe schema portal > portal.schema.json
    """
    if what == "portal":
        from probe.description.model import json_schema as portal_schema

        console.out.print_json(json.dumps(portal_schema()))
        return
    if what != "report":
        raise BadInput(f"probe schema {what}: use 'report' or 'portal'")
    from probe.report import json_schema

    console.out.print_json(json.dumps(json_schema()))


@portal_app.command("draft")
@reports_errors
def portal_draft(
    url: Annotated[str, typer.Argument(help="The login page's URL (where the password is typed).")],
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", metavar="FILE", help="Write it there (default: print it)."),
    ] = None,
    chromium: ChromiumOption = None,
) -> None:
    """Write a starting description of a portal from its login page; nothing is typed or sent.

    Every value is a guess with a comment: check it with 'probe portal check FILE', correct
    it, then run 'probe browser --portal FILE'.

    Example: probe portal draft https://example.org/accounts/login/ -o my-portal.toml
    """
    from probe.app.portal.draft import draft_description
    from probe.app.portal_choice import check_url
    from probe.browsers.chromium.discovery import find_chromium

    check_url(url, url)
    text = draft_description(url, find_chromium(chromium))
    if output is None:
        console.document(text)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise BadInput(f"-o {output}: cannot write there ({exc.strerror})") from exc
    console.line(f"wrote {output}; next: probe portal check {output}")


@portal_app.command("check")
@reports_errors
def portal_check(
    file: Annotated[Path, typer.Argument(help="A portal description file.")],
    portal_url: Annotated[
        str | None,
        typer.Option("--portal-url", metavar="URL", help="Check it at this URL instead."),
    ] = None,
    chromium: ChromiumOption = None,
) -> None:
    """Load the login page in a fresh browser and say, for each declared element, whether it is there.

    Submits nothing. Exit code 0 when every element was found, 1 when one is missing.

    Example: probe portal check my-portal.toml
    """
    from probe.app.portal.check import check_description
    from probe.app.portal_choice import choose_portal
    from probe.browsers.chromium.discovery import find_chromium

    choice = choose_portal(str(file), portal_url)
    result = check_description(choice.description, choice.source, find_chromium(chromium))
    console.line(f"{choice.source}: {result.url}", "bold")
    for text in result.lines():
        console.line(text)
    raise typer.Exit(0 if result.all_found else 1)


@portal_app.command("serve")
@reports_errors
def portal_serve(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (0: a free one).")] = 8000,
    scenario: Annotated[
        str | None, typer.Option(help="Serve the portal in a scenario's state.")
    ] = None,
) -> None:
    """Serve the mock portal for a person to click through, until Ctrl-C.

    Example: probe portal serve --port 8000 --scenario maintenance
    """
    import time

    from probe.mock_portal import EmbeddedPortal
    from probe.mock_portal.state import (
        DEMO_IDENTIFIER,
        DEMO_PARTNER_PASSWORD,
        DEMO_PASSWORD,
        PortalConfig,
    )

    config = PortalConfig()
    if scenario is not None:
        from probe.app.scenarios import load_scenario

        loaded = load_scenario(scenario)
        if loaded.target is not None:
            raise BadInput(
                f"--scenario {scenario}: it targets the portal described by "
                f"{loaded.target[1]}, which you run yourself, not the embedded one"
            )
        config = loaded.portal
    try:
        running = EmbeddedPortal(config, port=port).start()
    except OSError as exc:
        raise BadInput(
            f"--port {port}: cannot listen there ({exc.strerror}); try --port 0"
        ) from exc
    console.line(f"Portal:         {running.url}connexion", "bold")
    console.line(f"CAPTCHA vendor: {running.captcha_url}")
    console.line(f"Identity (FC):  {running.idp_url}")
    console.line(f"Outbox:         {running.url}_outbox")
    console.line(f"Demo account:   {DEMO_IDENTIFIER} / {DEMO_PASSWORD}")
    console.line(f"FranceConnect:  any identifier / {DEMO_PARTNER_PASSWORD} at every partner")
    console.line(
        "Open the portal URL in Chromium (names under .localhost need no set-up). Ctrl-C stops.",
        "dim",
    )
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        running.stop()


@scenarios_app.command("list")
@reports_errors
def scenarios_list(
    directory: ScenarioDirOption = None,
) -> None:
    """List the scenarios: what each reproduces and the verdict it expects.

    Example: probe scenarios list
    """
    from probe.app.scenarios import load_all

    scenarios = load_all(directory)
    console.table(
        f"{len(scenarios)} scenarios",
        ["name", "reproduces", "expected"],
        ((s.name, s.description, f"{s.expect.status} / {s.expect.factor}") for s in scenarios),
    )


@app.command()
@reports_errors
def ci(
    jobs: Annotated[
        int, typer.Option(min=1, max=8, help="Browsers at once, across all the scenarios.")
    ] = 2,
    shard: Annotated[
        str | None,
        typer.Option(metavar="I/N", help="Run only shard I of N, e.g. 1/2 (for a CI matrix)."),
    ] = None,
    junit: Annotated[Path | None, typer.Option(help="Write JUnit XML here.")] = None,
    report_dir: Annotated[
        Path | None,
        typer.Option(
            help="Where each scenario's report and the index go. Default: reports/ci-<timestamp>/."
        ),
    ] = None,
    directory: ScenarioDirOption = None,
    only: Annotated[
        list[str] | None,
        typer.Option("--only", metavar="NAME", help="Run just these scenarios (repeatable)."),
    ] = None,
    chromium: ChromiumOption = None,
    firefox: FirefoxOption = None,
    browser_names: Annotated[
        list[str] | None,
        typer.Option(
            "--browser",
            metavar="firefox|chromium",
            help="Run the scenarios only in this browser (repeatable). Default: each in the browsers its 'browsers' field lists (Chromium when it lists none); Firefox runs are left out, with a line saying so, when Firefox is not installed.",
        ),
    ] = None,
    trace: Annotated[
        bool, typer.Option("--trace", help="Keep Playwright traces (trace.zip) in each report.")
    ] = False,
    portal_url: Annotated[
        str | None,
        typer.Option(
            "--portal-url",
            metavar="URL",
            help="Where the portal that scenarios with portal_description target runs, when not at its file's login_url (e.g. another port).",
        ),
    ] = None,
) -> None:
    """Run every scenario and check each verdict against the expected one (exit 1 if any differs).

    A scenario targets the embedded portal in the state its [portal] table sets, or, with
    portal_description = "FILE", your own portal (set up by you) described by that file.

    Examples: probe ci --jobs 2 --junit reports/junit.xml ; probe ci --browser firefox ;
    probe ci --dir my-scenarios --portal-url http://staging.example:8001/accounts/login/
    """
    from probe.app.ci import run_ci

    _check_outputs(junit)
    summary = run_ci(
        jobs=jobs,
        shard=shard,
        junit=junit,
        report_dir=report_dir,
        directory=directory,
        only=only or None,
        chromium_path=chromium,
        progress=console.line,
        trace=trace,
        portal_url=portal_url,
        browsers=[_browser(b) for b in browser_names] if browser_names else None,
        firefox_path=firefox,
    )
    console.table(
        f"probe ci: {summary.passed} passed, {summary.failed} failed",
        ["scenario", "expected", "got", "runs", "time", "result"],
        summary.rows,
    )
    console.line(f"index: {summary.index}")
    raise typer.Exit(0 if summary.failed == 0 else 1)


def version_callback(value: bool) -> None:
    if value:
        console.line(f"probe {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=version_callback, is_eager=True, help="Show the version."
        ),
    ] = False,
) -> None:
    """Find out why someone cannot log in to a web portal."""


def main() -> None:
    os.environ.setdefault("PYTHONIOENCODING", "utf-8")
    app()
