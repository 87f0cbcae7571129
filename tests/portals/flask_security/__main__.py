"""Start the Flask-Security test portal by hand: ``python -m tests.portals.flask_security``."""

from __future__ import annotations

import argparse
import time

from .server import DEMO_EMAIL, DEMO_PASSWORD, FlaskSecurityPortal


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8005, help="loopback port (0: any free one)")
    args = parser.parse_args()
    with FlaskSecurityPortal(port=args.port) as portal:
        print(f"Login page:   {portal.login_url}")
        print(f"Demo account: {DEMO_EMAIL} / {DEMO_PASSWORD}   (Ctrl-C stops)")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            print("Stopped.")


if __name__ == "__main__":
    main()
