"""The second test portal: django-allauth's stock sign-in page with an ALTCHA CAPTCHA.

See README.md beside this file for what is stock and what was added.
"""

from __future__ import annotations

from .recording import ReceivedLogin
from .server import DEMO_PASSWORD, DEMO_USERNAME, AllauthAltchaPortal
from .settings import APP_HOST, CAPTCHA_HOST

__all__ = [
    "APP_HOST",
    "CAPTCHA_HOST",
    "DEMO_PASSWORD",
    "DEMO_USERNAME",
    "AllauthAltchaPortal",
    "ReceivedLogin",
]
