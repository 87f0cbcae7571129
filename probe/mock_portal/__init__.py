"""The embedded mock login portal (an ameli "Mon Compte"-like site) that probe drives.

``create_app(config)`` builds the Starlette app; ``EmbeddedPortal`` serves it on a free
loopback port. The default state has a demo account that works out of the box:
``DEMO_IDENTIFIER`` / ``DEMO_PASSWORD`` from ``probe.mock_portal.state``.
"""

from probe.mock_portal.app import create_app
from probe.mock_portal.server import EmbeddedPortal
from probe.mock_portal.state import DEMO_IDENTIFIER, DEMO_PASSWORD, PortalConfig

__all__ = ["DEMO_IDENTIFIER", "DEMO_PASSWORD", "EmbeddedPortal", "PortalConfig", "create_app"]
