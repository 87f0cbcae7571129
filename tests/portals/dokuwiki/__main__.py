"""Start the DokuWiki test portal by hand: ``python -m tests.portals.dokuwiki``."""

from __future__ import annotations

from tests.helpers.by_hand import serve_by_hand

from .server import DEMO_PASSWORD, DEMO_USERNAME, DokuWikiPortal

if __name__ == "__main__":
    serve_by_hand(
        __doc__,
        8003,
        lambda port: DokuWikiPortal(port=port),
        lambda portal: [
            f"Login page:   {portal.login_url}",
            f"Demo account: {DEMO_USERNAME} / {DEMO_PASSWORD}   (Ctrl-C stops)",
        ],
    )
