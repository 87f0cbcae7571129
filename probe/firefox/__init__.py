"""Firefox as a second engine: find it, read its profiles, prepare run folders.

Firefox is driven through WebDriver BiDi (Playwright's ``moz-firefox`` channel), so a
stock Firefox (Debian's ``firefox-esr``) is used as it is; see ``launch.py``.
"""
