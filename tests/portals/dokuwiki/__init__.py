"""The DokuWiki test portal: the wiki's stock login page, from Debian's packages.

See README.md beside this file for what is stock and what was added.
"""

from __future__ import annotations

from .server import DEMO_PASSWORD, DEMO_USERNAME, HOST, DokuWikiPortal, missing

__all__ = ["DEMO_PASSWORD", "DEMO_USERNAME", "HOST", "DokuWikiPortal", "missing"]
