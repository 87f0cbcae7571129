"""Firefox as a second engine: find it, read its profiles, prepare run folders.

- ``discovery``: the executable (``--firefox``, ``PROBE_FIREFOX``, Playwright's
  download, the system's ``firefox-esr``) and the person's profile (``profiles.ini``,
  ``installs.ini``) on Linux, macOS and Windows.
- ``profile``: a profile's inventory (settings, add-ons, site exceptions, cookies
  named and sized, site data), read without following links or trusting sizes.
- ``rundir``: a private copy keeping some components, and side-loading add-ons.
- ``launch``: Playwright's WebDriver BiDi driver (``moz-firefox``) on a run folder.

Firefox is driven through WebDriver BiDi, so a stock Firefox is used as it is.
"""
