"""``probe portal draft`` on hostile login pages: it writes a file that loads, or stops in one line.

Each page is served by a tiny local server and drafted the way a person runs the command
(``probe portal draft URL -o FILE``); then the file is loaded as ``probe browser --portal``
would load it. What each page holds: control characters TOML refuses raw (DEL, C1) and
a lone surrogate a script put in a label; 60,000 elements; markup nested 3,000 deep; an
image that never finishes (the load event never comes); a script that never lets go.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from probe.app.portal import login_page
from probe.description.model import load_description
from tests.helpers.portal_cli import invoke

FORM = (
    '<form id="login" action="/login" method="post">'
    '<label>{label}<input name="{name}" type=text></label>'
    "<label for=pw>Password</label><input id=pw name=pw type=password>"
    "<button type=submit>{button}</button></form>"
)
PAGES: dict[str, str] = {
    "/controls": '<html lang="en\x7f"><body><div class="alert\x85" role=alert></div>'
    '<form action="/log\x7fin" method="post">'
    '<label>Us\x7fer \x9b name<input name="us\x7fer\x01" type=text></label>'
    "<label>Password<input id=pw name=pw type=password></label>"
    "<button type=submit>Log\x7f in\x1b[2J</button></form>"
    "<script>document.querySelector('button').textContent = 'Log \\uD800 in';</script>"
    '<noscript><p id="nojs\x7f">Turn JavaScript on</p></noscript></body></html>',
    "/huge": "<html><body>"
    + "<div class=c><span>filler</span></div>" * 30_000
    + FORM.format(label="User", name="user", button="Log in")
    + "</body></html>",
    "/deep": "<html><body>"
    + "<div>" * 3_000
    + FORM.format(label="User", name="user", button="Log in")
    + "</div>" * 3_000
    + "</body></html>",
    "/never-loads": "<html><body>"
    + FORM.format(label="User", name="user", button="Log in")
    + '<img src="/endless.png"></body></html>',
    "/busy": "<html><body>"
    + FORM.format(label="User", name="user", button="Log in")
    + "<script>setTimeout(() => { for (;;) {} }, 200);</script></body></html>",
}


class _Pages(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        if self.path == "/endless.png":
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()
            time.sleep(40)  # never finishes within the draft's patience
            return
        body = PAGES.get(self.path, "").encode("utf-8", "surrogatepass")
        self.send_response(200 if body else 404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Pages)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://hostile.localhost:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _draft(url: str, out: Path) -> tuple[int, str]:
    result = invoke("portal", "draft", url, "-o", str(out))
    return result.exit_code, result.stderr


def test_control_characters_and_a_lone_surrogate_still_make_a_file_that_loads(
    site: str, tmp_path: Path
) -> None:
    out = tmp_path / "draft.toml"
    code, err = _draft(site + "/controls", out)
    assert code == 0, err
    description = load_description(out)  # loads: every raw control character escaped
    assert description.credentials.password == "#pw"
    assert description.open is not None
    assert description.open.form == 'form[action="/log\x7fin"]'  # as the page has it
    text = out.read_text(encoding="utf-8")
    assert "\x7f" not in text and "\x85" not in text
    assert "\\u007f" in text  # kept, escaped, where it was in a value


@pytest.mark.parametrize("page", ["/huge", "/deep"])
def test_huge_or_deep_markup_makes_a_file_that_loads(site: str, tmp_path: Path, page: str) -> None:
    out = tmp_path / "draft.toml"
    code, err = _draft(site + page, out)
    assert code == 0, err
    assert load_description(out).credentials.password == "#pw"


def test_a_page_whose_load_never_ends_is_read_as_it_stands(site: str, tmp_path: Path) -> None:
    out = tmp_path / "draft.toml"
    code, err = _draft(site + "/never-loads", out)
    assert code == 0, err
    assert load_description(out).credentials.submit == '#login button[type="submit"]'


def test_a_script_that_never_lets_go_stops_in_one_line(
    site: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(login_page, "READ_LIMIT_S", 20)
    out = tmp_path / "draft.toml"
    code, err = _draft(site + "/busy", out)
    if code == 0:  # read before the script took the page over: the file must load
        load_description(out)
        return
    assert code == 2
    [line] = err.strip().splitlines()
    assert "could not be read within 20 s" in line
    assert not out.exists()
