"""Start the Node-RED test portal by hand: ``python -m tests.portals.node_red``."""

from __future__ import annotations

import argparse
import time

from .server import DEMO_PASSWORD, DEMO_USERNAME, NodeRedPortal


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8004, help="loopback port (0: any free one)")
    args = parser.parse_args()
    with NodeRedPortal(port=args.port) as portal:
        print(f"Login page:   {portal.login_url}")
        print(f"Demo account: {DEMO_USERNAME} / {DEMO_PASSWORD}   (Ctrl-C stops)")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            print("Stopped.")


if __name__ == "__main__":
    main()
