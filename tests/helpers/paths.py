"""Where things are, for tests that read the repository's files."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PROBE = REPO / "probe"
EXTENSIONS = REPO / "fixtures" / "extensions"
FIXTURE_SCENARIOS = REPO / "fixtures" / "scenarios"  # scenarios for tests and benchmarks only
# The second test portal (django-allauth + ALTCHA), a folder of its own under tests/.
ALLAUTH_ALTCHA = REPO / "tests" / "portals" / "allauth_altcha"
BOTD_PORTAL = REPO / "tests" / "portals" / "botd_portal"
