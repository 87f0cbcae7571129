"""Traces keep the secrets out: every typed value is masked in every text entry."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from probe.journey.trace import MASK, redact, typed_values

PASSWORD = "Ameli-Demo-2026!"
CODE = "482913"
SESSION = "173mMTl2hU5ZX9gA1Nc_CoVE7L4BW84Hmsny17oZLcY"


def fake_trace(path: Path) -> None:
    events = [
        {"type": "before", "method": "fill", "params": {"selector": "#pw", "value": PASSWORD}},
        {"type": "before", "method": "fill", "params": {"selector": "#code", "value": CODE}},
        {"type": "frame-snapshot", "snapshot": {"html": [f'<input value="{CODE}">']}},
        {
            "type": "after",
            "result": {"cookies": [{"name": "session_portail", "value": SESSION}]},
        },
        {"type": "after", "result": {"cookies": [{"name": "langue", "value": "fr"}]}},
        {
            "type": "before",
            "method": "goto",
            "params": {"url": "http://p/cb?code=OIDC-9f8e&lang=fr"},
        },
    ]
    network = {
        "snapshot": {
            "request": {
                "headers": [{"name": "Cookie", "value": f"session_portail={SESSION}; langue=fr"}],
                "postData": {"text": "mot_de_passe=Ameli-Demo-2026%21&code=482913"},
                "cookies": [{"name": "langue", "value": "fr"}],
            },
            "response": {
                "headers": [{"name": "set-cookie", "value": f"session_portail={SESSION}; Path=/"}]
            },
        }
    }
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("trace.trace", "\n".join(json.dumps(e) for e in events))
        archive.writestr("trace.network", json.dumps(network))
        archive.writestr("resources/page.html", f"<p>{json.dumps(PASSWORD)}</p>")
        archive.writestr("resources/shot.jpeg", b"\xff\xd8\xff" + CODE.encode())


def test_typed_values_are_read_from_the_trace(tmp_path: Path) -> None:
    fake_trace(tmp_path / "raw.zip")
    with zipfile.ZipFile(tmp_path / "raw.zip") as archive:
        assert typed_values(archive) == {PASSWORD, CODE}


def test_every_form_of_a_typed_secret_is_masked(tmp_path: Path) -> None:
    fake_trace(tmp_path / "raw.zip")
    redact(tmp_path / "raw.zip", tmp_path / "trace.zip", ["1850775123456"])
    with zipfile.ZipFile(tmp_path / "trace.zip") as archive:
        texts = {n: archive.read(n) for n in archive.namelist() if not n.endswith(".jpeg")}
        image = archive.read("resources/shot.jpeg")
    blob = b"\n".join(texts.values())
    for secret in (PASSWORD, "Ameli-Demo-2026%21", CODE, SESSION):
        assert secret.encode() not in blob, secret
    # Cookie values too short to mask everywhere are masked where they sit.
    assert b'"value":"fr"' not in blob and b"langue=fr" not in blob
    assert b"session_portail=[redacted]; Path=/" in blob  # what the cookie was stays readable
    assert b"OIDC-9f8e" not in blob and b"lang=fr" in blob
    assert blob.count(MASK) >= 5
    assert set(texts) == {"trace.trace", "trace.network", "resources/page.html"}
    # Pictures are left byte for byte (a replacement could break them; no text lives there).
    assert image == b"\xff\xd8\xff" + CODE.encode()


def test_the_masked_trace_is_still_a_trace(tmp_path: Path) -> None:
    # The viewer reads the event files line by line as JSON: masking must keep them so.
    fake_trace(tmp_path / "raw.zip")
    redact(tmp_path / "raw.zip", tmp_path / "trace.zip", [])
    with zipfile.ZipFile(tmp_path / "trace.zip") as archive:
        for name in ("trace.trace", "trace.network"):
            events = [json.loads(line) for line in archive.read(name).splitlines()]
            assert events and all(isinstance(e, dict) for e in events)
        first = json.loads(archive.read("trace.trace").splitlines()[0])
    assert first["params"] == {"selector": "#pw", "value": "[redacted]"}
