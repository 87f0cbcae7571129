"""What the tests share: paths, portals, profiles, probe ci runs, reports."""
