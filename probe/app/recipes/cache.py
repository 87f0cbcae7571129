"""Profiles built from recipes, built once and reused: ``probe ci`` and the test suite
build the same recipes again and again (a recipe with cookies costs a Chromium launch).

``ProfileCache.profile(recipe, ...)`` builds the profile with ``probe.app.recipes.chromium.build_profile``
the first time a recipe is asked for, into a folder named by ``recipe_key``, and hands
back that same folder afterwards. The key covers everything that changes what is built:
the recipe's fields, the content of the fixture files it names (extension folders, cookie
jars), the Chromium that built it, probe's version and, for a recipe that visits portal
pages (the only part of a build that talks to the portal), the portal's URL and state.

The folder is shared, so it is only ever read: a diagnosis reads a profile through a
snapshot copy and never writes to the original (``probe.browsers.chromium.profile.snapshot``), and
``copy`` makes a private copy for whoever will open it in a browser. Builds land in a
temporary folder renamed into place, so that threads and processes sharing a cache folder
(pytest-xdist workers) never see half a profile; a build raced by another is dropped.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

from probe import __version__
from probe.app.recipes.chromium import ProfileRecipe, build_profile, fixtures_dir
from probe.browsers.chromium.discovery import Chromium

_DONE = ".built"  # written last into a finished entry


def recipe_key(
    recipe: ProfileRecipe,
    *,
    chromium: Chromium,
    portal_url: str | None = None,
    portal_state: str = "",
) -> str:
    """What the profile built from ``recipe`` depends on, as a hex digest.

    ``portal_state``: the portal's state while the profile is built (e.g. its config as
    JSON); with ``portal_url``, it counts only when the recipe visits portal pages.
    """
    digest = hashlib.sha256()

    def add(label: str, value: str | bytes) -> None:
        data = value.encode() if isinstance(value, str) else value
        digest.update(f"{label}:{len(data)}:".encode() + data)

    add("probe", __version__)
    add("recipe", json.dumps(recipe.model_dump(mode="json"), sort_keys=True))
    add("chromium", f"{chromium.executable}|{chromium.product}|{chromium.version}")
    root = fixtures_dir()
    # A fixture that is not there makes the build fail with its own message.
    for name in recipe.extensions + recipe.disabled_extensions:
        for place, data in _files(root / "extensions" / name):
            add(f"extension {name}/{place}", data)
    for jar in recipe.cookie_jars:
        for place, data in _files(root / "cookies" / jar):
            add(f"cookie jar {jar}{place}", data)
    if recipe.visit:
        add("portal", portal_url or "")
        add("portal state", portal_state)
    return digest.hexdigest()[:32]


def _files(path: Path) -> Iterator[tuple[str, bytes]]:
    """Each file at or under ``path`` (its place under it, its bytes), in a stable order."""
    if path.is_file():
        yield "", path.read_bytes()
        return
    for found in sorted(path.rglob("*")) if path.is_dir() else ():
        if found.is_file():
            yield "/" + found.relative_to(path).as_posix(), found.read_bytes()


class ProfileCache:
    """Profiles built from recipes, kept in ``folder`` (which must be private to the run)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.builds = 0  # profiles this cache built (the rest were reused)
        self.reuses = 0
        self._guard = threading.Lock()
        self._building: dict[str, threading.Lock] = {}

    def profile(
        self,
        recipe: ProfileRecipe,
        *,
        chromium: Chromium,
        portal_url: str | None = None,
        portal_state: str = "",
    ) -> Path:
        """The user-data-dir built from ``recipe``: read it, never write to it (see ``copy``)."""
        key = recipe_key(
            recipe, chromium=chromium, portal_url=portal_url, portal_state=portal_state
        )
        entry = self.folder / key
        with self._guard:
            lock = self._building.setdefault(key, threading.Lock())
        with lock:  # one build per recipe in this process; the others wait for it
            if (entry / _DONE).exists():
                with self._guard:
                    self.reuses += 1
                return entry / "profile"
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            building = self.folder / f"{key}.{secrets.token_hex(4)}.partial"
            try:
                building.mkdir(mode=0o700)
                build_profile(
                    recipe, building / "profile", chromium=chromium, portal_url=portal_url
                )
                (building / _DONE).write_text("")
                try:
                    os.rename(building, entry)
                except OSError:  # another process finished the same build first
                    if not (entry / _DONE).exists():
                        raise
            finally:
                shutil.rmtree(building, ignore_errors=True)
            with self._guard:
                self.builds += 1
            return entry / "profile"

    def copy(
        self,
        recipe: ProfileRecipe,
        user_data_dir: Path,
        *,
        chromium: Chromium,
        portal_url: str | None = None,
        portal_state: str = "",
    ) -> Path:
        """A private copy of the profile built from ``recipe``, at ``user_data_dir``, to open."""
        built = self.profile(
            recipe, chromium=chromium, portal_url=portal_url, portal_state=portal_state
        )
        shutil.copytree(built, user_data_dir, symlinks=True)
        return user_data_dir
