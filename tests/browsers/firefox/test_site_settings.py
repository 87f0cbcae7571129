"""Firefox's per-site cookie blocks (permissions.sqlite) as setting components, dropped alone."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from probe.browsers.base import RunSpec
from probe.browsers.firefox.engine import plan_of, take_inventory
from probe.browsers.firefox.profile import read_profile
from probe.browsers.firefox.rundir import prepare_run_dir

ROWS = [
    ("http://portal.localhost:8000", "cookie", 2),  # Block, the portal's own origin
    ("https://portal.localhost", "cookie", 2),
    ("http://tracker.example", "cookie", 2),  # another site
    ("http://portal.localhost:8000", "popup", 2),  # not a cookie block
    ("https://allowed.localhost", "cookie", 1),  # Allow: never stops a login
]


def make(root: Path) -> None:
    root.mkdir()
    (root / "prefs.js").write_text("")
    grants = sqlite3.connect(root / "permissions.sqlite")
    grants.execute(
        "CREATE TABLE moz_perms (id INTEGER PRIMARY KEY, origin TEXT, type TEXT,"
        " permission INTEGER, expireType INTEGER, expireTime INTEGER, modificationTime INTEGER)"
    )
    grants.executemany(
        "INSERT INTO moz_perms (origin, type, permission, expireType, expireTime,"
        " modificationTime) VALUES (?, ?, ?, 0, 0, 0)",
        ROWS,
    )
    grants.commit()
    grants.close()


def rows(database: Path) -> list[tuple[str, str, int]]:
    connection = sqlite3.connect(database)
    try:
        return connection.execute("SELECT origin, type, permission FROM moz_perms").fetchall()
    finally:
        connection.close()


def test_a_cookie_block_for_the_portal_is_one_setting_dropped_alone(tmp_path: Path) -> None:
    make(tmp_path / "person")
    profile = read_profile(tmp_path / "person")
    sites = ("portal.localhost", "allowed.localhost")
    inventory = take_inventory(profile, sites)
    assert [(c.id, c.name) for c in inventory.of_kind("setting")] == [
        ("site-cookies:portal.localhost", "Cookies blocked for portal.localhost")
    ]
    kept = prepare_run_dir(
        profile, tmp_path / "kept", plan_of(inventory, profile, RunSpec(inventory.ids, tmp_path))
    )
    assert rows(kept.path / "permissions.sqlite") == ROWS
    spec = RunSpec(frozenset(), tmp_path, sites=sites)
    dropped = prepare_run_dir(profile, tmp_path / "dropped", plan_of(inventory, profile, spec))
    assert rows(dropped.path / "permissions.sqlite") == [ROWS[2], ROWS[3], ROWS[4]]
    assert rows(tmp_path / "person" / "permissions.sqlite") == ROWS  # the original unchanged
