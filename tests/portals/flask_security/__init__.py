"""The Flask-Security test portal: Flask-Security-Too's stock login page (PyPI).

See README.md beside this file for what is stock and what was added.
"""

from __future__ import annotations

from .server import DEMO_EMAIL, DEMO_PASSWORD, HOST, FlaskSecurityPortal, ReceivedLogin

__all__ = ["DEMO_EMAIL", "DEMO_PASSWORD", "HOST", "FlaskSecurityPortal", "ReceivedLogin"]
