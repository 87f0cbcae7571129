"""The person's profile is sacred: a diagnosis never writes to it, even while it is in use.

Three pieces of evidence, each of which a careless change would break:

1. Every file and folder of the profile (path, size, sha256, mode, mtime) is the same
   after a diagnosis that ran every variant and the drill-down over extensions, cookies,
   site data and a setting. The profile is made read-only first (as root that stops no
   write, hence the hashes).
2. No write by probe's own process under the profile (a Python audit hook sees every
   ``open`` for writing, rename, removal, chmod and SQLite connection), and no Chromium
   probe started was pointed at the profile (every launch is recorded).
3. With another Chromium holding the profile, the diagnosis still works, its copy holds
   none of that browser's lock files, and those lock files are untouched.

Copies live in a private folder (0700) in TMPDIR, watched while the diagnosis runs,
and nothing is left there afterwards.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import BrowserType
from playwright.sync_api import sync_playwright

import probe.browsers.chromium.engine
import probe.browsers.chromium.profile
import probe.diagnosis.session
from probe.app.recipes.chromium import ProfileRecipe, build_profile, load_cookie_jar
from probe.app.request import DiagnosisRequest
from probe.app.setup import run_diagnosis
from probe.browsers.chromium.discovery import Chromium, launch_args
from probe.browsers.chromium.profile import SourceProfile
from probe.mock_portal import EmbeddedPortal
from tests.helpers.profiles import no_writes_under

CHECKLIST = {"cookies-cleared", "site-data-cleared", "no-extensions", "settings-reset", "private"}


def inventory(root: Path) -> dict[str, tuple[Any, ...]]:
    """Everything a write could change: each entry's kind, size, hash, mode and mtime."""
    found: dict[str, tuple[Any, ...]] = {}
    for folder, dirs, names in os.walk(root):
        for name in sorted(dirs + names):
            path = Path(folder) / name
            info = path.lstat()
            relative = str(path.relative_to(root))
            if stat.S_ISLNK(info.st_mode):
                found[relative] = ("link", os.readlink(path), info.st_ino, info.st_mtime_ns)
            elif stat.S_ISDIR(info.st_mode):
                found[relative] = ("dir", stat.S_IMODE(info.st_mode), info.st_mtime_ns)
            else:
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
                mode = stat.S_IMODE(info.st_mode)
                found[relative] = ("file", info.st_size, digest, mode, info.st_mtime_ns)
    top = root.lstat()
    found["."] = ("dir", stat.S_IMODE(top.st_mode), top.st_mtime_ns)
    return found


class TempWatch:
    """Polls TMPDIR while a diagnosis runs: what appears there, and with which mode."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.seen: dict[str, int] = {}  # name -> mode of every top-level entry ever seen
        self.work_dirs_seen = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        while not self._stop.is_set():
            for entry in list(self.folder.iterdir()) if self.folder.is_dir() else []:
                try:
                    mode = stat.S_IMODE(entry.lstat().st_mode)
                except FileNotFoundError:
                    continue
                if entry.name.startswith("probe-") and (entry / "snapshot").is_dir():
                    self.work_dirs_seen += 1
                self.seen[entry.name] = mode
            time.sleep(0.05)

    def __enter__(self) -> TempWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


@pytest.fixture
def private_tmp(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A TMPDIR of the test's own, for probe, Playwright and Chromium alike (kept short:
    Chromium's singleton socket path must fit in 108 bytes)."""
    folder = Path(tempfile.mkdtemp(prefix="sp-", dir="/tmp"))
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def launches(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The user-data-dir and flags of every Chromium the diagnosis starts, as one line each."""
    seen: list[str] = []
    real = BrowserType.launch_persistent_context

    async def recording(self: BrowserType, user_data_dir: Any, **kwargs: Any) -> Any:
        seen.append(" ".join([str(user_data_dir), *kwargs.get("args", [])]))
        return await real(self, user_data_dir, **kwargs)

    monkeypatch.setattr(BrowserType, "launch_persistent_context", recording)
    return seen


def plant_cookies(user_data_dir: Path, chromium: Chromium, jar: str) -> None:
    """Add a fixture cookie jar to a built profile, the way Chromium stores cookies."""
    expires = time.time() + 365 * 24 * 3600
    cookies: list[Any] = [
        {
            "name": seed.name,
            "value": seed.value(),
            "domain": seed.domain,
            "path": seed.path,
            "expires": expires,
            "sameSite": "Lax",
        }
        for seed in load_cookie_jar(jar).cookies
    ]
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(user_data_dir),
            executable_path=str(chromium.executable),
            headless=True,
            args=launch_args(),
        )
        try:
            context.add_cookies(cookies)
        finally:
            context.close()


@pytest.fixture
def lived_in_profile(tmp_path: Path, probe_chromium: Chromium) -> Path:
    """Extensions (one that blocks the CAPTCHA), the portal's site data (its service
    worker), a setting, then cookies whose header is too large for the portal."""
    recipe = ProfileRecipe(
        extensions=["ad-shield", "harmless/notes", "harmless/calculator", "harmless/world-clock"],
        settings=["third-party-cookies"],
        visit=["{portal}/connexion"],
    )
    with EmbeddedPortal() as portal:
        # Visited before the cookies are planted: with them, the page would be a 431.
        built = build_profile(
            recipe, tmp_path / "person", chromium=probe_chromium, portal_url=portal.url
        )
    # Playwright's sync API refuses a thread where pytest-playwright keeps its loop running.
    with ThreadPoolExecutor(max_workers=1) as worker:
        worker.submit(plant_cookies, built, probe_chromium, "oversized.json").result()
    return built


def make_read_only(root: Path) -> None:
    for folder, dirs, names in os.walk(root, topdown=False):
        for name in dirs + names:
            path = Path(folder) / name
            if not path.is_symlink():
                path.chmod(stat.S_IMODE(path.lstat().st_mode) & ~0o222)
    root.chmod(stat.S_IMODE(root.stat().st_mode) & ~0o222)


def make_writable(root: Path) -> None:
    for folder, dirs, names in os.walk(root):
        for name in dirs + names:
            path = Path(folder) / name
            if not path.is_symlink():
                path.chmod(stat.S_IMODE(path.lstat().st_mode) | 0o200)
    root.chmod(stat.S_IMODE(root.stat().st_mode) | 0o200)


def test_every_variant_and_the_drill_down_leave_a_read_only_profile_byte_for_byte_unchanged(
    lived_in_profile: Path,
    probe_chromium: Chromium,
    private_tmp: Path,
    launches: list[str],
    tmp_path: Path,
) -> None:
    profile = lived_in_profile
    make_read_only(profile)
    before = inventory(profile)
    try:
        with no_writes_under(profile) as writes, TempWatch(private_tmp) as watch:
            report, _ = run_diagnosis(
                DiagnosisRequest(profile=profile, report_dir=tmp_path / "report"),
                chromium=probe_chromium,
            )
        after = inventory(profile)
    finally:
        make_writable(profile)

    # The diagnosis really went through everything a profile holds.
    kinds = {c.kind for c in report.profile.components}
    assert kinds == {"extension", "cookie", "site-data", "setting"}, kinds
    ran = [run for run in report.variants if run.outcome != "skipped"]
    names = {run.name for run in ran}
    assert {"current", "fresh"} <= names, names
    # Evidence first and several blockers mean not every checklist variant runs; what
    # matters here is that the runs together dropped every kind of component (cookies
    # cleared, site data left out, settings reset, extensions left out) and that a
    # run stopping early (a narrowing-down or confirming run) was among them.
    for kind in kinds:
        of_kind = {c.id for c in report.profile.components if c.kind == kind}
        assert any(of_kind - set(run.kept) for run in ran if run.name != "fresh"), kind
    assert names & CHECKLIST, names
    assert any(n.startswith(("drill-", "suspects-only")) for n in names), names
    assert report.profile.source == str(profile / "Default")

    # 1. Byte for byte, mode for mode, mtime for mtime.
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    assert changed == []
    # 2. Not one write attempt from probe's process, and no Chromium pointed at it.
    assert writes == []
    # Runs reuse running browsers: every browser started is counted, none unaccounted for.
    assert len(launches) == report.browsers_started
    assert report.browsers_started is not None
    assert report.browsers_started <= report.browser_runs
    assert not [line for line in launches if str(profile) in line]
    # 3. Copies only in a private folder, gone afterwards.
    assert watch.work_dirs_seen > 0, "the copy was never seen in TMPDIR"
    probe_dirs = {name: mode for name, mode in watch.seen.items() if name.startswith("probe-")}
    assert probe_dirs and set(probe_dirs.values()) == {0o700}, probe_dirs
    readable = {name: oct(mode) for name, mode in watch.seen.items() if mode & 0o077}
    assert readable == {}, "something in TMPDIR was open to other users"
    assert sorted(p.name for p in private_tmp.iterdir()) == []


@pytest.fixture
def held_profile(tmp_path: Path, probe_chromium: Chromium) -> Iterator[Path]:
    """A profile the person's own Chromium has open (as a separate program, not Playwright)."""
    recipe = ProfileRecipe(extensions=["harmless/notes"], cookie_jars=["harmless.json"])
    profile = build_profile(recipe, tmp_path / "in-use", chromium=probe_chromium)
    browser = subprocess.Popen(
        [
            str(probe_chromium.executable),
            *launch_args(),
            "--headless",
            f"--user-data-dir={profile}",
            "--remote-debugging-port=0",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while not (profile / "SingletonLock").is_symlink():
            assert browser.poll() is None, "the person's Chromium did not start"
            assert time.monotonic() < deadline, "the person's Chromium never locked its profile"
            time.sleep(0.1)
        yield profile
    finally:
        browser.terminate()
        try:
            browser.wait(timeout=10)
        except subprocess.TimeoutExpired:
            browser.kill()
            browser.wait()


def test_a_profile_in_use_by_a_running_chromium_is_diagnosed_without_touching_its_locks(
    held_profile: Path,
    probe_chromium: Chromium,
    private_tmp: Path,
    launches: list[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    profile = held_profile
    locks = {
        str(p.relative_to(profile)): (os.readlink(p), p.lstat().st_ino)
        for p in profile.glob("Singleton*")
    }
    assert set(locks) == {"SingletonLock", "SingletonSocket", "SingletonCookie"}
    copied: list[str] = []
    real_snapshot = probe.browsers.chromium.profile.snapshot_profile

    def snapshot_and_list(src: SourceProfile, dest_root: Path) -> SourceProfile:
        made = real_snapshot(src, dest_root)
        copied.extend(str(p.relative_to(dest_root)) for p in dest_root.rglob("*"))
        return made

    monkeypatch.setattr(probe.browsers.chromium.engine, "snapshot_profile", snapshot_and_list)

    with no_writes_under(profile) as writes:
        report, _ = run_diagnosis(
            DiagnosisRequest(profile=profile, report_dir=tmp_path / "report"),
            chromium=probe_chromium,
        )

    assert report.verdict.status == "ok", report.verdict
    # The running browser keeps some site data of its own, next to the recipe's parts.
    assert {"extension", "cookie"} <= {c.kind for c in report.profile.components}
    assert copied, "nothing was copied"
    lock_names = ("Singleton", "LOCK", "lockfile")
    assert [p for p in copied if Path(p).name.startswith(lock_names)] == []
    # The person's browser still holds its profile exactly as before.
    after = {
        str(p.relative_to(profile)): (os.readlink(p), p.lstat().st_ino)
        for p in profile.glob("Singleton*")
    }
    assert after == locks
    assert writes == []
    assert not [line for line in launches if str(profile) in line]
    assert sorted(p.name for p in private_tmp.glob("probe-*")) == []
