"""Start the Flask-Security test portal by hand: ``python -m tests.portals.flask_security``."""

from __future__ import annotations

from tests.helpers.by_hand import serve_by_hand

from .server import DEMO_EMAIL, DEMO_PASSWORD, FlaskSecurityPortal

if __name__ == "__main__":
    serve_by_hand(
        __doc__,
        8005,
        lambda port: FlaskSecurityPortal(port=port),
        lambda portal: [
            f"Login page:   {portal.login_url}",
            f"Demo account: {DEMO_EMAIL} / {DEMO_PASSWORD}   (Ctrl-C stops)",
        ],
    )
