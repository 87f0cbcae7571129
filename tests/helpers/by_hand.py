"""Serving a test portal by hand (``python -m tests.portals.NAME --port N``) until Ctrl-C."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any


def serve_by_hand(
    doc: str | None,
    default_port: int,
    portal_at: Callable[[int], AbstractContextManager[Any]],
    lines: Callable[[Any], list[str]],
) -> None:
    """Parse ``--port``, start the portal, print ``lines(portal)``, wait for Ctrl-C."""
    parser = argparse.ArgumentParser(description=doc)
    parser.add_argument(
        "--port", type=int, default=default_port, help="loopback port (0: any free one)"
    )
    args = parser.parse_args()
    with portal_at(args.port) as portal:
        for line in lines(portal):
            print(line)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            print("Stopped.")
