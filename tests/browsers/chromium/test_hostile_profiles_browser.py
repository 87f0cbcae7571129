"""Hostile and damaged profiles, with probe for real: nothing escapes, nothing hangs, no traceback.

The traps that need no browser are in tests/browsers/chromium/test_hostile_profiles.py.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

import probe.browsers.chromium.discovery
import probe.browsers.chromium.engine
import probe.browsers.chromium.profile.reading
from tests.helpers.hostile_profiles import (
    ERROR_PREFIX,
    entry,
    invoke,
    listing,
    one_error_line,
    unpacked_extension,
)
from tests.helpers.profiles import make_profile, register

FAKE_CHROMIUM = """#!/bin/sh
# Answers --version like Chromium, then never answers anything else.
case "$1" in --version) echo "Chromium 156.0.8078.108"; exit 0;; esac
exec sleep 600
"""


@pytest.fixture
def home(tmp_path: Path) -> Path:
    folder = tmp_path / "home"
    folder.mkdir()
    return folder


@pytest.fixture
def short_tmp() -> Iterator[Path]:
    """A TMPDIR short enough that Chromium keeps its own temporary folder in it (a deeper
    one is swapped for /tmp), so that the tests see Chromium's leftovers too."""
    folder = Path(tempfile.mkdtemp(prefix="hp-", dir="/tmp"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def run_probe(
    *args: str, home: Path, tmp: Path, drop: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PROBE_", "XDG_"))}
    env.update(HOME=str(home), TMPDIR=str(tmp), COLUMNS="200")
    for name in drop:
        env.pop(name, None)
    return subprocess.run(
        [sys.executable, "-m", "probe", "browser", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


def last_error_line(done: subprocess.CompletedProcess[str], expected_code: int) -> str:
    assert done.returncode == expected_code, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    lines = done.stderr.splitlines()
    assert lines and lines[-1].startswith(ERROR_PREFIX), done.stderr
    assert sum(line.startswith(ERROR_PREFIX) for line in lines) == 1, done.stderr
    return lines[-1].removeprefix(ERROR_PREFIX)


def test_a_diagnosis_writes_nothing_in_home_and_leaves_nothing_in_tmpdir(
    tmp_path: Path, home: Path, short_tmp: Path
) -> None:
    (home / ".config" / "chromium").mkdir(parents=True)  # the person's real folder
    (home / "notes.txt").write_text("mine")
    before = listing(home)

    done = run_probe(
        "--scenario", "healthy", "--report-dir", str(tmp_path / "report"), home=home, tmp=short_tmp
    )

    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "report" / "report.json").is_file()
    assert listing(home) == before  # no Crash Reports, no ~/.cache/dconf
    assert sorted(os.listdir(short_tmp)) == []


def test_a_diagnosis_runs_with_a_temporary_folder_too_deep_for_chromiums_socket(
    tmp_path: Path, home: Path
) -> None:
    # Chromium aborts ("Socket path too long") when $TMPDIR leaves its single-instance
    # socket's path over 107 bytes: a deep CI or test folder did this.
    deep = tmp_path / ("deep-" + "d" * 60)
    deep.mkdir()

    done = run_probe(
        "--scenario", "healthy", "--report-dir", str(tmp_path / "report"), home=home, tmp=deep
    )

    assert done.returncode == 0, done.stdout + done.stderr
    assert (
        json.loads((tmp_path / "report" / "report.json").read_text())["verdict"]["status"] == "ok"
    )
    assert [p for p in os.listdir(deep) if p.startswith("probe-")] == []


def test_headed_without_a_display_says_so(tmp_path: Path, home: Path, short_tmp: Path) -> None:
    done = run_probe(
        "--scenario",
        "healthy",
        "--headed",
        "--report-dir",
        str(tmp_path / "report"),
        home=home,
        tmp=short_tmp,
        drop=("DISPLAY", "WAYLAND_DISPLAY"),
    )

    message = last_error_line(done, 3)
    assert "--headed needs a display" in message, message
    assert "run it again" not in done.stdout + done.stderr
    assert sorted(os.listdir(short_tmp)) == []


def test_a_browser_that_never_answers_stops_at_probes_launch_deadline(
    tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tmp_path / "chromium"
    fake.write_text(FAKE_CHROMIUM)
    fake.chmod(0o755)
    monkeypatch.setattr(probe.browsers.chromium.engine, "LAUNCH_TIMEOUT_S", 2)
    monkeypatch.setattr(probe.browsers.chromium.discovery, "LAUNCH_TIMEOUT_S", 2)
    profile_dir = make_profile(tmp_path / "udd")

    result = invoke("browser", "--profile", str(profile_dir), "--chromium", str(fake), home=home)

    message = one_error_line(result, 3)
    assert message.startswith("Chromium did not answer within 2 s of being started"), message


def test_too_many_extensions_for_a_command_line_is_named(
    tmp_path: Path, home: Path, short_tmp: Path
) -> None:
    # Each folder's path appears in one --load-extension flag; past 128 KB Linux refuses it.
    profile_dir = make_profile(tmp_path / "udd")
    letters = "abcdefghijklmnop"
    entries: dict[str, dict[str, object]] = {}
    for n in range(1500):
        ext_id = "".join(letters[(n >> (4 * i)) & 15] for i in range(8)) + "a" * 24
        unpacked_extension(profile_dir / "Extensions" / ext_id / "1.0_0")
        entries[ext_id] = entry(f"{ext_id}/1.0_0", location=1)
    register(profile_dir, entries)
    fake = tmp_path / "chromium"
    fake.write_text(FAKE_CHROMIUM)
    fake.chmod(0o755)

    done = run_probe(
        "--profile",
        str(profile_dir),
        "--chromium",
        str(fake),
        "--report-dir",
        str(tmp_path / "report"),
        home=home,
        tmp=short_tmp,
    )

    message = last_error_line(done, 3)
    assert "E2BIG" in message and "1500 extension folders" in message, message
    assert sorted(os.listdir(short_tmp)) == []
