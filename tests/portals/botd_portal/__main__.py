"""``python -m tests.portals.botd_portal --port 8002``: the bot-guarded portal by hand."""

from __future__ import annotations

import argparse
import time

from .server import BotdPortal


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8002)
    port = parser.parse_args().port
    with BotdPortal(port=port) as portal:
        print(f"{portal.login_url}  (demo / Clover-73; Ctrl-C stops it)", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
