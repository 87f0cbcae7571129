"""Where probe's shipped data lives: the scenario files and the test fixtures.

``scenarios/`` and ``fixtures/`` sit at the top of the repository, and the wheel carries
them as the packages ``probe.app._data.scenarios`` and ``probe.app._data.fixtures`` (pyproject.toml
maps the names onto the folders, so an editable install finds the repository's copies).
Every lookup goes through ``importlib.resources`` here, never through ``__file__``, so
probe works the same from a clone and from a wheel installed anywhere.
"""

from importlib.resources import files
from pathlib import Path

from probe.errors import ProbeError

SCENARIOS = "probe.app._data.scenarios"
FIXTURES = "probe.app._data.fixtures"


def _folder(package: str) -> Path:
    try:
        root = files(package)
    except ModuleNotFoundError as exc:
        raise ProbeError(f"probe's {package} data is missing; reinstall probe") from exc
    # Chromium loads extensions from a real folder and the loaders glob, so the data must be
    # on disk: true for a wheel installed by pip or uv and for an editable install (a zipped
    # install would not be).
    if not isinstance(root, Path) or not root.is_dir():
        raise ProbeError(
            f"probe's {package} data is not a folder on disk ({root}); reinstall probe"
        )
    return root


def scenarios_dir() -> Path:
    """The folder of the scenario files shipped with probe."""
    return _folder(SCENARIOS)


def fixtures_dir() -> Path:
    """The folder of the fixtures shipped with probe (extensions, cookie jars)."""
    return _folder(FIXTURES)
