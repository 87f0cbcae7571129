"""Data shipped with probe: ``scenarios/`` and ``fixtures/`` from the top of the repository.

The wheel carries them as the subpackages ``probe.app._data.scenarios`` and
``probe.app._data.fixtures`` (a ``package-dir`` mapping in pyproject.toml); an editable install
maps the same names onto the repository's folders. Read them through ``probe.app.resources``.
"""
