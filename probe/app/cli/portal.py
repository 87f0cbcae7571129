"""``probe portal``: draft and check a portal's description, serve the embedded mock."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from probe.app import console
from probe.app.cli.base import ChromiumOption, complete_scenario, portal_app, reports_errors
from probe.errors import BadInput

if TYPE_CHECKING:
    from probe.mock_portal import EmbeddedPortal


@portal_app.command("draft")
@reports_errors
def portal_draft(
    url: Annotated[str, typer.Argument(help="The login page's URL (where the password is typed).")],
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", metavar="FILE", help="Write it there (default: print it)."),
    ] = None,
    chromium: ChromiumOption = None,
    user: Annotated[
        str | None,
        typer.Option(
            metavar="ID",
            help="Learn by logging in as ID: one wrong password, then yours (PROBE_PASSWORD or a prompt).",
        ),
    ] = None,
    password: Annotated[
        str | None,
        typer.Option(
            metavar="TEXT",
            help="Password for --user (lands in your shell history: prefer PROBE_PASSWORD or the prompt).",
            envvar="PROBE_PASSWORD",
            show_envvar=True,
        ),
    ] = None,
    yes: Annotated[
        bool, typer.Option("--yes", help="Log in without asking first (with --user).")
    ] = False,
) -> None:
    """Write a starting description of a portal from its login page.

    Without --user nothing is typed or sent: every value is a guess with a comment. With
    --user, probe also logs in twice (a wrong password, then yours) and writes what the
    answers showed: new page or in-page, where the rejection appears and what it says,
    what only a logged-in person sees, a security-code step. Check the file with 'probe
    portal check FILE', then run 'probe browser --portal FILE'.

    Example: PROBE_PASSWORD=... probe portal draft https://example.org/login --user me -o my-portal.toml
    """
    import os

    from probe.app.portal.draft import Login, draft_description
    from probe.app.portal.trying import ATTEMPTS
    from probe.app.portal_choice import check_url
    from probe.browsers.chromium.discovery import find_chromium

    os.environ.pop("PROBE_PASSWORD", None)  # the browser must not inherit it
    login: Login | None = None
    if user is not None:
        if not user.strip():
            raise BadInput("--user is empty: give the identifier you log in with")
        login = Login(user, password if password is not None else _ask_password())
        console.line(
            f"probe will log in {ATTEMPTS} times at {url} as {user}: once with a wrong "
            "password, then with yours. A portal that locks an account after a few failed "
            "logins counts the wrong one."
        )
        if not yes:
            if not console.is_interactive():
                raise BadInput("--user without a terminal to confirm: add --yes to log in")
            if not typer.confirm("Go on?", default=False):
                raise typer.Exit(1)
    check_url(url, url)
    text = draft_description(url, find_chromium(chromium), login)
    if output is None:
        console.document(text)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise BadInput(f"-o {output}: cannot write there ({exc.strerror})") from exc
    console.line(f"wrote {output}; next: probe portal check {output}")


def _ask_password() -> str:
    if not console.is_interactive():
        raise BadInput("--user without a password: set PROBE_PASSWORD or pass --password")
    answer: str = typer.prompt("Password", hide_input=True)
    return answer


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
        str | None,
        typer.Option(
            autocompletion=complete_scenario, help="Serve the portal in a scenario's state."
        ),
    ] = None,
) -> None:
    """Serve the mock portal for a person to click through, until Ctrl-C.

    Example: probe portal serve --port 8000 --scenario maintenance
    """
    import time

    from probe.app.scenarios import embedded_state
    from probe.mock_portal import EmbeddedPortal

    config = embedded_state(scenario)
    try:
        running = EmbeddedPortal(config, port=port).start()
    except OSError as exc:
        raise BadInput(
            f"--port {port}: cannot listen there ({exc.strerror}); try --port 0"
        ) from exc
    _print_addresses(running)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        running.stop()


def _print_addresses(running: EmbeddedPortal) -> None:
    from probe.mock_portal.state import DEMO_IDENTIFIER, DEMO_PARTNER_PASSWORD, DEMO_PASSWORD

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
