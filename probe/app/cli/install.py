"""``probe install``: a browser for probe to drive, from Playwright or the distribution."""

from __future__ import annotations

from typing import Annotated

import typer

from probe.app import console
from probe.app.cli.base import app, complete_browser, reports_errors
from probe.errors import BadInput


@app.command()
@reports_errors
def install(
    name: Annotated[
        str,
        typer.Argument(
            metavar="chromium|firefox",
            autocompletion=complete_browser,
            help="The browser to install.",
        ),
    ],
    with_deps: Annotated[
        bool,
        typer.Option(
            "--with-deps",
            help="Also install the system libraries Playwright's build needs (Linux, as root; "
            "what a fresh CI runner or container wants).",
        ),
    ] = False,
) -> None:
    """Install a browser for probe: Playwright's build, else the distribution's package.

    Runs Playwright's installer with the Python probe runs under (right inside a uv tool
    or pipx install). Where the download is not possible, installs Debian's chromium or
    firefox-esr with apt as root, or prints the exact command to run as root. Exit code:
    0 installed (or already there), 3 not installed.

    Examples: probe install chromium ; probe install firefox --with-deps (as root in CI)
    """
    from probe.app.install import install_browser

    if name not in ("chromium", "firefox"):
        raise BadInput(f"probe install {name}: use 'chromium' or 'firefox'")
    quiet = console.verbosity() < 0
    installed = install_browser(
        "firefox" if name == "firefox" else "chromium",
        say=(lambda _text: None) if quiet else console.line,
        quiet=quiet,
        with_deps=with_deps,
    )
    console.line(f"ready: {installed.browser.describe()}")
