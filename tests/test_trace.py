"""Traces keep the secrets out: every typed value is masked in every text entry."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from probe.trace import MASK, redact, typed_values

PASSWORD = "Ameli-Demo-2026!"
CODE = "482913"


def fake_trace(path: Path) -> None:
    events = [
        {"type": "before", "method": "fill", "params": {"selector": "#pw", "value": PASSWORD}},
        {"type": "before", "method": "fill", "params": {"selector": "#code", "value": CODE}},
        {"type": "frame-snapshot", "snapshot": {"html": [f'<input value="{CODE}">']}},
    ]
    network = {"request": {"postData": {"text": "mot_de_passe=Ameli-Demo-2026%21&code=482913"}}}
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
    for secret in (PASSWORD, "Ameli-Demo-2026%21", CODE):
        assert secret.encode() not in blob, secret
    assert blob.count(MASK) >= 5
    assert set(texts) == {"trace.trace", "trace.network", "resources/page.html"}
    # Pictures are left byte for byte (a replacement could break them; no text lives there).
    assert image == b"\xff\xd8\xff" + CODE.encode()
