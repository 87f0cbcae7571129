"""A diagnosis on a test portal driven only by a description ``probe portal draft`` wrote.

No hand correction: the draft is made the way a person makes it (with ``--user``: one
wrong login, then theirs; or from the page alone), saved, loaded, and handed to the
diagnosis as it is.
"""

from __future__ import annotations

from pathlib import Path

from probe.app.portal.draft import Login, draft_portal
from probe.app.portal_choice import PortalChoice
from probe.app.recipes.chromium import ProfileRecipe, build_profile
from probe.app.request import DiagnosisRequest
from probe.app.setup import run_diagnosis
from probe.browsers.chromium.discovery import Chromium
from probe.description.model import load_description
from probe.journey.credentials import Credentials
from probe.models import Report


def drafted(url: str, folder: Path, chromium: Chromium, login: Login | None) -> Path:
    """The draft of the login page at ``url``, saved in ``folder`` as a person saves it."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / ("learned.toml" if login else "page-only.toml")
    path.write_text(draft_portal(url, chromium, login).text, encoding="utf-8")
    return path


def diagnose(
    description: Path,
    folder: Path,
    chromium: Chromium,
    credentials: Credentials,
    recipe: ProfileRecipe | None = None,
) -> Report:
    """``probe browser --portal FILE`` with a profile built from ``recipe``."""
    profile = build_profile(recipe or ProfileRecipe(), folder / "profile", chromium=chromium)
    request = DiagnosisRequest(
        profile=profile,
        portal=PortalChoice(load_description(description), str(description)),
        credentials=credentials,
        report_dir=folder / "report",
        screenshots=False,
    )
    report, _ = run_diagnosis(request, chromium=chromium)
    return report
