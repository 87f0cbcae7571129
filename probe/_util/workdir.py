"""The private temporary folder a diagnosis copies profiles into, removed whatever happens."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from probe._util.process import stop_children, wait_until_unused


@contextlib.contextmanager
def private_workdir() -> Iterator[Path]:
    """A 0700 temporary folder for profile copies, removed whatever happens.

    The name is chosen before the folder is made, and made inside the ``try``: a signal
    landing between the two (``tempfile.mkdtemp`` returns only after its ``mkdir``) would
    otherwise leave an empty ``probe-*`` folder behind.
    """
    parent = Path(tempfile.gettempdir())
    path = parent / f"probe-{secrets.token_hex(6)}"
    try:
        while True:
            try:
                path.mkdir(mode=0o700)
                break
            except FileExistsError:
                path = parent / f"probe-{secrets.token_hex(6)}"
        os.chmod(path, 0o700)
        yield path
    except KeyboardInterrupt:
        # Stopped by Ctrl-C or a signal: Playwright's driver, a child of this process,
        # may still be starting a Chromium into this folder; it stops its browsers.
        stop_children()
        raise
    finally:
        # Chromium shutting down still writes into its profile copy: remove the folder
        # once no process uses it any more.
        wait_until_unused(path)
        _remove(path)


def _remove(path: Path, seconds: float = 3.0) -> None:
    # A browser process started with its HOME in the folder (but not named on its command
    # line) may still add a file while the folder is removed: try again for a moment.
    deadline = time.monotonic() + seconds
    shutil.rmtree(path, ignore_errors=True)
    while path.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
        shutil.rmtree(path, ignore_errors=True)
