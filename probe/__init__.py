"""probe: finds out why a person cannot log in to a web portal."""

from importlib.metadata import version

# pyproject.toml holds the version; this reads it back from the installed metadata.
__version__ = version("probe-login")
