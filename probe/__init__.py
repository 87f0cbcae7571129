"""probe: finds out why a person cannot log in to a web portal."""

__version__ = "0.1.0"
