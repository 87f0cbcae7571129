"""The bot-guarded test portal (BotD in the sign-in page): ``server.BotdPortal``."""

from .server import DEMO_PASSWORD, DEMO_USERNAME, ROBOTS_REFUSED, BotdPortal

__all__ = ["DEMO_PASSWORD", "DEMO_USERNAME", "ROBOTS_REFUSED", "BotdPortal"]
