"""The ``probe`` command's Typer apps, shared options, and errors turned into exit codes.

Each command (``probe.app.cli.browser``, ``.portal``, ``.scenarios``, ``.report``) parses
its options into a typed object, makes one call into the app, and prints the result.

Exit codes: 0 access works, 1 access blocked and diagnosed, 2 bad input,
3 inconclusive or browser failure; 130 Ctrl-C, 143 SIGTERM, 129 SIGHUP (cleaned up alike).
"""

from __future__ import annotations

import contextlib
import errno
import functools
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
import typer.main
from typer.core import TyperCommand, TyperOption

from probe import __version__
from probe.app import console
from probe.errors import ProbeError

F = TypeVar("F", bound=Callable[..., Any])
ENV_PREFIX = "PROBE_"


def envvar_of(option: TyperOption) -> str | None:
    """``PROBE_`` and the option's long name: ``--report-dir`` reads ``PROBE_REPORT_DIR``."""
    long = next((o for o in option.opts if o.startswith("--")), None)
    return ENV_PREFIX + long[2:].replace("-", "_").upper() if long else None


_VERBOSE_HELP = "More detail: each run as it starts, and the traceback behind an unexpected error."
_QUIET_HELP = "Print only the verdict line (errors still go to stderr)."


def _opposite() -> typer.Exit:
    console.error("-v and -q ask for opposite things: give one of them")
    return typer.Exit(2)


def _set_verbose(value: bool) -> None:
    if value:
        if console.verbosity() < 0:
            raise _opposite()
        console.set_verbosity(1)


def _set_quiet(value: bool) -> None:
    if value:
        if console.verbosity() > 0:
            raise _opposite()
        console.set_verbosity(-1)


_verbosity_options = typer.Typer(add_completion=False)


@_verbosity_options.command()
def _after_the_command(
    verbose: Annotated[
        bool,
        typer.Option(
            "-v",
            "--verbose",
            "--debug",
            help=_VERBOSE_HELP,
            callback=_set_verbose,
            expose_value=False,
        ),
    ] = False,
    quiet: Annotated[
        bool,
        typer.Option("-q", "--quiet", help=_QUIET_HELP, callback=_set_quiet, expose_value=False),
    ] = False,
) -> None:
    """-v and -q after the command too (``probe browser -q``): its options, built by Typer."""


# Built once; every command gets them (click parameters hold no state of a run).
AFTER_THE_COMMAND = typer.main.get_command(_verbosity_options).params


class ProbeCommand(TyperCommand):
    """A command each of whose options also reads ``PROBE_<OPTION>``, shown in ``--help``;
    ``-v`` and ``-q`` are accepted after it too."""

    def __init__(self, name: str | None, **kwargs: Any) -> None:
        super().__init__(name, **kwargs)
        self.params.extend(AFTER_THE_COMMAND)
        for param in self.params:
            if isinstance(param, TyperOption) and param.envvar is None:
                param.envvar = envvar_of(param)
                param.show_envvar = param.envvar is not None


class ProbeTyper(typer.Typer):
    """A Typer app whose commands are ``ProbeCommand``s."""

    def command(self, *args: Any, **kwargs: Any) -> Callable[[F], F]:
        kwargs.setdefault("cls", ProbeCommand)
        return super().command(*args, **kwargs)


app = ProbeTyper(
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
    # --install-completion / --show-completion (bash, zsh, fish, PowerShell); option values
    # complete too: scenario names, browsers, languages.
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
portal_app = ProbeTyper(
    help="Portals: describe your own (draft, check), or serve the embedded mock.",
    no_args_is_help=True,
)
scenarios_app = ProbeTyper(
    help="Scenario files: portal states and browser set-ups.", no_args_is_help=True
)
app.add_typer(portal_app, name="portal")
app.add_typer(scenarios_app, name="scenarios")


def complete_scenario(incomplete: str) -> list[str]:
    """Scenario names (of ``scenarios/`` here, else the shipped ones) for shell completion."""
    from probe.app.scenarios import scenario_files
    from probe.errors import BadInput

    try:
        names = [path.stem for path in scenario_files()]
    except BadInput:
        return []
    return [name for name in names if name.startswith(incomplete)]


def complete_browser(incomplete: str) -> list[str]:
    return [name for name in ("chromium", "firefox") if name.startswith(incomplete)]


def complete_lang(incomplete: str) -> list[str]:
    return [lang for lang in ("en", "fr") if lang.startswith(incomplete)]


ChannelOption = Annotated[
    str | None,
    typer.Option(
        "--channel",
        metavar="chrome|msedge|brave|...",
        help="Run in this installed branded browser (Playwright's channel names: chrome, chrome-beta, chrome-dev, chrome-canary, msedge, msedge-beta, msedge-dev, msedge-canary; and brave). Default: the browser that wrote the profile when it is installed, else Chromium.",
        envvar="PROBE_CHANNEL",
        show_envvar=True,
    ),
]


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
        + (
            "Run it again; if it happens again, report it with the traceback above"
            if console.verbosity() > 0
            else "Run it again with -v to see where it happened; report it with what -v shows"
        )
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
            if console.verbosity() > 0:
                console.traceback(exc)
            console.error(_unexpected(exc))
            raise typer.Exit(3) from None

    return wrapper  # type: ignore[return-value]


def check_outputs(junit: Path | None) -> None:
    """Output files that cannot be written fail now, not after the whole diagnosis."""
    from probe.report.files import check_output_file

    if junit is not None:
        check_output_file(junit, "--junit")
    summary = os.environ.get("GITHUB_STEP_SUMMARY", "")
    if summary:
        check_output_file(Path(summary), "GITHUB_STEP_SUMMARY")


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
    verbose: Annotated[
        bool,
        typer.Option(
            "-v",
            "--verbose",
            "--debug",
            help=_VERBOSE_HELP,
            envvar="PROBE_VERBOSE",
            show_envvar=True,
        ),
    ] = False,
    quiet: Annotated[
        bool,
        typer.Option(
            "-q",
            "--quiet",
            help=_QUIET_HELP,
            envvar="PROBE_QUIET",
            show_envvar=True,
        ),
    ] = False,
) -> None:
    """Find out why someone cannot log in to a web portal."""
    if verbose and quiet:
        console.error("-v and -q ask for opposite things: give one of them")
        raise typer.Exit(2)
    console.set_verbosity(1 if verbose else -1 if quiet else 0)
