"""Test portals other than the one probe ships (see each one's README)."""
