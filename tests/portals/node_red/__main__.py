"""Start the Node-RED test portal by hand: ``python -m tests.portals.node_red``."""

from __future__ import annotations

from tests.helpers.by_hand import serve_by_hand

from .server import DEMO_PASSWORD, DEMO_USERNAME, NodeRedPortal

if __name__ == "__main__":
    serve_by_hand(
        __doc__,
        8004,
        lambda port: NodeRedPortal(port=port),
        lambda portal: [
            f"Login page:   {portal.login_url}",
            f"Demo account: {DEMO_USERNAME} / {DEMO_PASSWORD}   (Ctrl-C stops)",
        ],
    )
