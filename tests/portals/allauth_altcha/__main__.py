"""Start the second test portal by hand: ``python -m tests.portals.allauth_altcha --port 8001``."""

from __future__ import annotations

import argparse
import time

from .server import DEMO_PASSWORD, DEMO_USERNAME, AllauthAltchaPortal


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8001, help="loopback port (0: any free one)")
    args = parser.parse_args()
    with AllauthAltchaPortal(port=args.port) as portal:
        print(f"Sign-in page: {portal.login_url}")
        print(f"CAPTCHA host: {portal.captcha_origin}")
        print(f"Demo account: {DEMO_USERNAME} / {DEMO_PASSWORD}   (Ctrl-C stops)")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            print("Stopped.")


if __name__ == "__main__":
    main()
