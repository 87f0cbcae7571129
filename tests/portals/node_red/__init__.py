"""The Node-RED test portal: the editor's stock login dialog (npm ``node-red``).

See README.md beside this file for what is stock and what was added.
"""

from __future__ import annotations

from .server import DEMO_PASSWORD, DEMO_USERNAME, HOST, NodeRedPortal, missing

__all__ = ["DEMO_PASSWORD", "DEMO_USERNAME", "HOST", "NodeRedPortal", "missing"]
