"""Marks this folder as the package ``probe.app._data.scenarios`` (see pyproject.toml).

The scenario files are data, read through ``probe.app.resources``; this file only lets an
editable install and the wheel find them under the same name.
"""
