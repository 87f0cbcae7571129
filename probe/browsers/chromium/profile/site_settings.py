"""Per-site settings: the content-setting exceptions that block the portal's own hosts.

Chromium's site settings (chrome://settings/content/cookies, "Sites that can never use
cookies"; the page's lock icon > Site settings) keep one exception per pattern under
``profile.content_settings.exceptions.<type>`` in Preferences, e.g.::

    "cookies": {"[*.]wiki.example,*": {"last_modified": "1332...", "setting": 2}}

The key is ``primary,secondary``; ``[*.]`` means the host and every host under it; a
pattern may carry a scheme and a port (``https://wiki.example:443,*``). ``setting`` 2 is
"block" (1 allow, 4 cookies cleared on exit: neither stops a login). An exception that
blocks one of the portal's hosts is a setting component of its own,
``site-cookies:wiki.example``, so narrowing and ``settings-reset`` can take it out alone:
a run that drops it removes just those patterns from the run folder's Preferences.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

SiteSettingType = Literal["cookies", "javascript"]
SITE_SETTING_TYPES: tuple[SiteSettingType, ...] = ("cookies", "javascript")
# Chromium's ContentSetting value for "block".
BLOCK = 2
PREFIX = "site-"

_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
_PORT = re.compile(r":(\d+|\*)$")

SITE_SETTING_NAMES: dict[SiteSettingType, str] = {
    "cookies": "Cookies blocked for {host}",
    "javascript": "JavaScript blocked for {host}",
}


@dataclass(frozen=True)
class SiteSetting:
    """One per-site block that applies to the portal: its component id and plain name."""

    type: SiteSettingType
    host: str  # the pattern's host, as the person's site settings show it

    @property
    def id(self) -> str:
        return f"{PREFIX}{self.type}:{self.host}"

    @property
    def name(self) -> str:
        return SITE_SETTING_NAMES[self.type].format(host=self.host)


def parse_site_setting_id(component_id: str) -> SiteSetting | None:
    """``site-cookies:wiki.example`` as a ``SiteSetting``; None for any other id."""
    kind, sep, host = component_id.partition(":")
    kind = kind.removeprefix(PREFIX)
    if not sep or not component_id.startswith(PREFIX) or not host:
        return None
    for known in SITE_SETTING_TYPES:
        if kind == known:
            return SiteSetting(known, host)
    return None


def _pattern_host(pattern: str) -> tuple[str, bool] | None:
    """``(host, with subdomains)`` of a primary pattern; None when it names no host."""
    rest = _SCHEME.sub("", pattern.strip()).split("/", 1)[0]
    rest = _PORT.sub("", rest)
    wildcard = rest.startswith("[*.]")
    host = rest.removeprefix("[*.]").lower().rstrip(".")
    if not host or "*" in host or "[" in host:
        return None
    return host, wildcard


def _applies(host: str, wildcard: bool, site: str) -> bool:
    return site == host or (wildcard and site.endswith("." + host))


def _blocking(prefs: dict[str, Any], kind: SiteSettingType) -> Iterable[tuple[str, str, bool]]:
    """``(key, host, wildcard)`` of each exception of ``kind`` that blocks, for every site."""
    exceptions = prefs.get("profile", {}) if isinstance(prefs, dict) else {}
    exceptions = exceptions.get("content_settings", {}) if isinstance(exceptions, dict) else {}
    exceptions = exceptions.get("exceptions", {}) if isinstance(exceptions, dict) else {}
    patterns = exceptions.get(kind) if isinstance(exceptions, dict) else None
    if not isinstance(patterns, dict):
        return
    for key, value in patterns.items():
        if not isinstance(value, dict) or value.get("setting") != BLOCK:
            continue
        primary, _, secondary = str(key).partition(",")
        if secondary.strip() not in ("", "*"):
            continue  # an embedded-site rule (third-party context): not the portal itself
        parsed = _pattern_host(primary)
        if parsed is not None:
            yield str(key), *parsed


def read_site_settings(prefs: dict[str, Any], sites: Iterable[str]) -> list[SiteSetting]:
    """The per-site blocks in a parsed Preferences file that apply to any of ``sites``."""
    wanted = [s.lower() for s in sites]
    found: dict[str, SiteSetting] = {}
    for kind in SITE_SETTING_TYPES:
        for _, host, wildcard in _blocking(prefs, kind):
            if any(_applies(host, wildcard, site) for site in wanted):
                setting = SiteSetting(kind, host)
                found.setdefault(setting.id, setting)
    return list(found.values())


def drop_site_settings(prefs: dict[str, Any], settings: Iterable[SiteSetting]) -> None:
    """Remove from ``prefs`` every blocking exception behind ``settings`` (nothing else)."""
    for setting in settings:
        keys = [key for key, host, _ in _blocking(prefs, setting.type) if host == setting.host]
        patterns = prefs["profile"]["content_settings"]["exceptions"][setting.type] if keys else {}
        for key in keys:
            del patterns[key]
