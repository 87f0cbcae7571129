"""Which engine diagnoses a profile, which profile of a folder holding several, and the
one place where an engine's name becomes its browser (``find_browser``) and its engine
(``person_engine``, ``fresh_engine``).

``--browser`` says the engine; without it the folder ``--profile`` points at says it (a
Firefox profile or profiles folder, a Chromium user-data-dir or profile folder), and with
no ``--profile`` it is Chromium. A profile of the other engine than ``--browser`` is a
one-line error. ``--profile-name`` picks a profile in a folder holding several (Firefox:
the name profiles.ini gives it, or its folder's name; Chromium: its folder, ``Profile 1``,
or the name Chromium shows, from Local State); without it, the one last used.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable
from pathlib import Path

from probe._util.files import is_real_dir, is_regular, read_text
from probe.browsers.base import ENGINE_LABELS, BrowserEngine, EngineName
from probe.browsers.chromium.discovery import (
    ENV_VAR,
    Chromium,
    find_channel,
    find_chromium,
    find_installed_channel,
)
from probe.browsers.chromium.engine import ChromiumEngine
from probe.browsers.chromium.installs import channel_product, profile_channel
from probe.browsers.chromium.profile import SourceProfile, describe_profile, locate_profile
from probe.browsers.chromium.profile.reading import chromium_roots, default_user_data_dir
from probe.browsers.firefox.discovery import (
    Firefox,
    choose_profile,
    find_firefox,
    find_profile,
    is_firefox_profile,
)
from probe.browsers.firefox.engine import FirefoxEngine, FirefoxProfileKind
from probe.errors import BadInput
from probe.models import Detail, ParamValue

# A browser found on this machine; ``browser.engine`` says which.
Browser = Chromium | Firefox


def find_browser(
    name: EngineName,
    *,
    chromium_path: str | None = None,
    firefox_path: str | None = None,
    chromium: Chromium | None = None,
) -> Browser:
    """The browser of engine ``name`` on this machine: the one given with ``--chromium`` or
    ``--firefox`` (``*_path``), else the one found; ``chromium``: one already found."""
    if name == "firefox":
        return find_firefox(firefox_path)
    return chromium or find_chromium(chromium_path)


def person_chromium(
    profile: Path | None,
    *,
    chromium_path: str | None = None,
    channel: str | None = None,
) -> Chromium:
    """The browser a person's Chromium-family profile runs in.

    ``--chromium`` (or ``PROBE_CHROMIUM``) and ``--channel`` name it. Otherwise the
    browser that wrote the profile (from its folder: ``profile``, or the person's default
    one) when it is installed here; when it is not, Chromium stands in for it and the
    report says so.
    """
    if chromium_path or os.environ.get(ENV_VAR):
        return find_chromium(chromium_path)
    if channel:
        return find_channel(channel)
    wanted = _profile_channel(profile)
    if wanted is None:
        return find_chromium()
    product = channel_product(wanted)
    own = find_installed_channel(wanted) if wanted != "chromium" else None
    if own is not None:
        return dataclasses.replace(own, person_product=product)
    found = find_chromium()
    if found.product == product:
        return dataclasses.replace(found, role="own", person_product=product)
    return dataclasses.replace(found, role="stand-in", person_product=product)


def _profile_channel(profile: Path | None) -> str | None:
    """The channel of the browser that wrote ``profile`` (None: the person's default
    profile's), from its folder; None when the folder says nothing."""
    folder = profile.expanduser().absolute() if profile is not None else default_user_data_dir()
    return profile_channel(folder) if folder is not None else None


def fresh_engine(
    name: EngineName,
    *,
    chromium_path: str | None = None,
    firefox_path: str | None = None,
    chromium: Chromium | None = None,
) -> BrowserEngine:
    """The engine ``name`` with no profile of the person's: it only starts brand-new ones
    (the other browser of a diagnosis). ``ProbeError`` when it is not installed."""
    browser = find_browser(
        name, chromium_path=chromium_path, firefox_path=firefox_path, chromium=chromium
    )
    if browser.engine == "firefox":
        return FirefoxEngine(browser, None, "fresh")
    return ChromiumEngine(browser, None)


def person_engine(
    browser: Browser,
    profile: Path | None,
    profile_name: str | None,
    *,
    from_recipe: bool,
    note: Callable[[str | Detail], None],
    before_reading: Callable[[], object],
    trust_home: Path | None = None,
) -> BrowserEngine:
    """The engine of ``browser`` on the person's profile: ``profile`` (``--profile``, None:
    the person's default), the one named ``profile_name`` in it; located and checked.

    ``from_recipe``: ``profile`` was built from a scenario's recipe. ``note`` is told
    what was chosen and what the diagnosis cannot do; ``before_reading`` is called once
    the profile is chosen, before it is read (the report folder is made then).
    ``trust_home``: a HOME whose NSS database Chromium's runs trust instead of the
    person's (a scenario's person, who trusts the CA of its HTTPS portal).
    """
    if browser.engine == "firefox":
        before_reading()
        folder, kind, line = firefox_profile(profile, None if from_recipe else profile_name)
        note(Detail(key="progress.profile.recipe") if from_recipe else line)
        return FirefoxEngine(browser, folder, kind)
    if not from_recipe:
        profile = chromium_profile_folder(profile, profile_name)
    before_reading()
    located = _locate(profile, browser, note, from_recipe=from_recipe)
    return ChromiumEngine(browser, located, trust_home=trust_home)


def _locate(
    path: Path | None,
    chromium: Chromium,
    note: Callable[[str | Detail], None],
    *,
    from_recipe: bool,
) -> SourceProfile:
    profile = locate_profile(path)
    if profile.made_by_newer_browser(chromium.version):
        raise BadInput(
            f"{profile.profile_dir} was last used by Chromium {profile.chromium_version}, newer "
            f"than {chromium.describe()}; point --chromium (or --channel) at that version or newer"
        )
    for warning in profile.warnings:
        note(f"Note: {warning}")
    note(describe_profile(profile, from_recipe=from_recipe))
    return profile


def detect_engine(folder: Path) -> EngineName | None:
    """The engine whose profile (or folder of profiles) ``folder`` is, None if neither."""
    folder = folder.expanduser()
    if not is_real_dir(folder):
        return None
    if is_firefox_profile(folder) or is_regular(folder / "profiles.ini"):
        return "firefox"
    if is_regular(folder / "Preferences") or is_regular(folder / "Local State"):
        return "chromium"
    if is_regular(folder / "Default" / "Preferences"):
        return "chromium"
    return None


def choose_engine(browser: EngineName | None, profile: Path | None) -> EngineName:
    """``--browser``, checked against the profile given; else the profile's; else Chromium."""
    found = detect_engine(profile) if profile is not None else None
    if browser is None:
        return found or "chromium"
    if found is not None and found != browser:
        raise BadInput(
            f"--profile {profile} is a {ENGINE_LABELS[found]} profile, not a "
            f"{ENGINE_LABELS[browser]} one: drop --browser {browser}, or use "
            f"--browser {found}"
        )
    return browser


def firefox_profile(
    path: Path | None, profile_name: str | None
) -> tuple[Path | None, FirefoxProfileKind, Detail]:
    """The Firefox profile folder to read, its kind, and a line saying which and why.

    ``(None, "fresh", ...)`` when the person has no Firefox profile at all.
    """
    if path is None:
        choice = find_profile(profile_name)
        if choice is None:
            if profile_name is not None:
                raise BadInput(
                    f"--profile-name {profile_name}: no Firefox profiles folder found; "
                    "give it with --profile"
                )
            return None, "fresh", Detail(key="progress.profile.firefox-fresh")
        return choice.entry.path, "default-firefox", _chosen(choice.entry.name, choice.reason)
    path = path.expanduser().absolute()
    if not path.exists():
        raise BadInput(f"profile folder not found: {path}")
    if not is_real_dir(path):
        raise BadInput(f"{path} is not a folder: give a Firefox profile folder")
    if is_regular(path / "profiles.ini"):
        choice = choose_profile(path, profile_name)
        return choice.entry.path, "given", _chosen(choice.entry.name, choice.reason)
    if profile_name is not None:
        raise BadInput(
            f"--profile-name {profile_name}: {path} is one Firefox profile, not a folder of "
            "profiles (with profiles.ini); drop --profile-name"
        )
    if not is_firefox_profile(path):
        raise BadInput(
            f"{path} is not a Firefox profile: no prefs.js, times.json or compatibility.ini "
            "in it, and no profiles.ini"
        )
    return path, "given", Detail(key="progress.profile.given", params={"where": str(path)})


def _chosen(name: str, reason: str) -> Detail:
    """Which profile of a Firefox profiles folder, and why (``ProfileChoice.reason``)."""
    why = reason.replace(" ", "-")  # "install default" -> progress.profile.why.install-default
    known = ("named", "only", "install-default", "last-used", "default")
    params: dict[str, ParamValue] = {"name": repr(name)}
    if why in known:
        params["why"] = Detail(key=f"progress.profile.why.{why}")
    else:
        params["why"] = reason
    return Detail(key="progress.profile.firefox", params=params)


def chromium_profile_folder(path: Path | None, profile_name: str | None) -> Path | None:
    """The Chromium profile folder ``--profile-name`` names in the user-data-dir ``path``
    (default: the person's Chromium folder); ``path`` itself without a name."""
    if profile_name is None:
        return path
    if path is None:
        path = next((p for _, p in chromium_roots() if is_real_dir(p)), None)
        if path is None:
            raise BadInput(
                f"--profile-name {profile_name}: no Chromium, Chrome, Edge or Brave folder "
                "found; give it with --profile"
            )
    path = path.expanduser().absolute()
    if is_regular(path / "Preferences"):
        raise BadInput(
            f"--profile-name {profile_name}: {path} is one Chromium profile, not a "
            "user-data folder holding several; drop --profile-name"
        )
    names = _chromium_profile_names(path)
    for folder, shown in names.items():
        if profile_name in (folder, shown) and is_regular(path / folder / "Preferences"):
            return path / folder
    listed = ", ".join(repr(n) for n in names.values()) or "none"
    raise BadInput(f"no Chromium profile named {profile_name!r} in {path} (there are: {listed})")


def _chromium_profile_names(user_data_dir: Path) -> dict[str, str]:
    """Profile folder -> the name Chromium shows (Local State), for the folders there."""
    shown: dict[str, str] = {}
    try:
        state = json.loads(read_text(user_data_dir / "Local State", 32 * 1024 * 1024))
    except (OSError, ValueError, RecursionError, BadInput):
        state = {}
    profile = state.get("profile") if isinstance(state, dict) else None
    cache = profile.get("info_cache") if isinstance(profile, dict) else None
    folders = [p.name for p in sorted(user_data_dir.iterdir()) if is_real_dir(p)]
    for folder in folders:
        if not is_regular(user_data_dir / folder / "Preferences"):
            continue
        entry = cache.get(folder) if isinstance(cache, dict) else None
        name = entry.get("name") if isinstance(entry, dict) else None
        shown[folder] = name if isinstance(name, str) and name else folder
    return shown
