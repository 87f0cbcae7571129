"""A person's browser profile: reading it, copying it safely, and making run folders from it.

``locate_profile`` reads a Chromium/Chrome user-data-dir (or one profile folder in it)
without changing anything: the extensions installed, and the settings that can stop a
login. ``snapshot_profile`` copies the parts that matter for logging in once into a
private folder, never writing to the source, even while a browser is using it.
``prepare_run_dir`` then makes, for each browser run, a user-data-dir from that copy
with or without cookies, site data and settings.

What the settings mean, measured in Debian's Chromium 156 (``tests/browsers/chromium/test_settings_effects_browser.py``):

- ``javascript``: ``profile.default_content_setting_values.javascript == 2``; no script runs.
- ``cookies``: ``profile.default_content_setting_values.cookies == 2``; neither
  ``Set-Cookie`` nor ``document.cookie`` keeps anything.
- ``third-party-cookies``: ``profile.cookie_controls_mode == 1``; a cookie set inside a
  cross-site iframe is neither kept nor sent. Upstream Chromium's default is 2 (block in
  private windows only), but Debian's Chromium defaults to 1, so a Debian profile without
  the preference blocks them too: that is the browser's default, not a setting of the
  person, and is not reported. Resetting this setting therefore *writes* 2 (upstream's
  default) instead of removing the preference, so the reset means the same everywhere.
  The old ``profile.block_third_party_cookies`` preference is ignored by Chromium 156
  (``true`` next to mode 0 still lets them through), so it is not read.
- ``proxy``: a ``proxy`` preference in mode ``fixed_servers`` or ``pac_script``. Chromium
  never sends ``localhost``, ``*.localhost`` or loopback addresses through a proxy
  (its implicit bypass rules), so this setting cannot be reproduced against the
  embedded portal; it still fails requests to other hosts (``ERR_PROXY_CONNECTION_FAILED``).

Blocked pop-ups are not a setting here: Chromium blocks pop-ups opened without a user
gesture by default, so a profile that blocks them behaves like a fresh one, and
Playwright's default ``--disable-popup-blocking`` lets every pop-up through whatever the
preference says (measured: ``window.open`` returns a window with the preference at 2).

Extensions: a snapshot copies every installed extension, also unpacked ones kept
outside the profile, because Chromium writes into the folder of an extension it loads
with ``--load-extension`` (``_metadata/generated_indexed_rulesets`` for blocking rules).
A key-less unpacked extension gets another id from its copy (the id of such an
extension is derived from its path); ``Extension.id`` keeps the id the person's browser
knows. ``extension_launch_args`` loads exactly the ones a run needs, and
``--disable-extensions-except`` keeps every other one off. A run folder registers those
extensions again (``prepare_run_dir(extensions=...)``) with the person's Preferences entry,
dynamic rules, storage and IndexedDB, so that each behaves as in the person's browser:
Chromium 156 loads a ``--load-extension`` folder whose id has an entry as a reinstall and
keeps the entry, but without the entry's ``dnr_dynamic_ruleset`` checksum it discards the
dynamic rules (measured: a user filter of uBlock Origin Lite survives only with it).
Session rules live in memory and die with the person's browser too; content scripts an
extension registered are cleared by every ``--load-extension`` start (measured, even on
the profile that registered them), and so are the static rulesets it turned on or off
(``dnr_enabled_ruleset_ids`` goes back to the manifest's): a run turns those back through
the extension's worker (``probe.browsers.chromium.extension_state``); the scripts are told as a limitation.

Run folders are plain copies, not hard links: SQLite databases and LevelDB logs are
written in place, so a hard link would let one run change the snapshot for the next.
The copied set is small (no caches) and takes a few tens of milliseconds.

Cookies: probe's Chromium runs with ``--password-store=basic``: it reads Linux
Chromium's "v10" values (a fixed key) and drops values encrypted with the desktop keyring
("v11"), by Windows (DPAPI, "v20" app-bound) or with the macOS Keychain. ``snapshot_profile``
asks the system for those keys, read-only (``cookie_keys``: Secret Service, KWallet,
DPAPI, Keychain), and re-encrypts the copy's values with the fixed key
(``cookie_crypto``); the values it still cannot read are noted
(``cookies-undecryptable``, with their names), recognising a Windows or macOS profile by
its Local State and Preferences.
"""

from probe._util.files import CopyLimits
from probe.browsers.chromium.profile.reading import (
    SETTING_NAMES,
    Extension,
    Setting,
    SettingId,
    SourceProfile,
    describe_profile,
    extension_id,
    locate_profile,
    read_settings,
)
from probe.browsers.chromium.profile.rundir import (
    UPSTREAM_COOKIE_CONTROLS_MODE,
    extension_launch_args,
    prepare_run_dir,
)
from probe.browsers.chromium.profile.snapshot import (
    SITE_DATA_DIRS,
    CookieRef,
    read_cookies,
    snapshot_profile,
)

__all__ = [
    "SETTING_NAMES",
    "SITE_DATA_DIRS",
    "UPSTREAM_COOKIE_CONTROLS_MODE",
    "CookieRef",
    "CopyLimits",
    "Extension",
    "Setting",
    "SettingId",
    "SourceProfile",
    "describe_profile",
    "extension_id",
    "extension_launch_args",
    "locate_profile",
    "prepare_run_dir",
    "read_cookies",
    "read_settings",
    "snapshot_profile",
]
