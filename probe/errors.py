"""The one exception family of probe. Only the CLI turns these into exit codes."""


class ProbeError(Exception):
    """Base of every error probe reports to a person as one line."""

    exit_code = 3


class BadInput(ProbeError):
    """Something the person gave us (a path, a file, an option) cannot be used."""

    exit_code = 2


class BrowserFailure(ProbeError):
    """Chromium is missing, crashed, or could not be driven."""

    exit_code = 3


class PortalFailure(ProbeError):
    """The portal could not be reached or does not look like a login portal."""

    exit_code = 3


class ChromiumMissing(ProbeError):
    """No browser to drive (Chromium, or Firefox when asked for) was found on this machine."""

    exit_code = 2


class NoSpaceLeft(ProbeError):
    """The disk filled up while probe copied a profile or prepared a run."""

    exit_code = 3
