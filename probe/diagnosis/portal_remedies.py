"""A portal's own remedy texts over probe's generic ones.

probe's remedies (``probe/diagnosis/remedies.py``) speak of "the portal's support"; a description
may say who that is and what to have at hand (``[remedies.<id>]``, en and fr). A remedy
that needs a step the portal does not have (logging in through an identity federation)
is left out.
"""

from __future__ import annotations

from probe.description.model import PortalDescription
from probe.models import Remedy, Verdict

# Remedies that only make sense when the portal offers that way in.
NEEDS_FEDERATION = frozenset({"federation", "other-partner"})


def _own(remedies: list[Remedy], description: PortalDescription) -> list[Remedy]:
    out = []
    for remedy in remedies:
        if remedy.id in NEEDS_FEDERATION and description.federation is None:
            continue
        text = description.remedies.get(remedy.id)
        out.append(Remedy(id=remedy.id, en=text.en, fr=text.fr) if text else remedy)
    return out


def with_portal_texts(verdict: Verdict, description: PortalDescription) -> Verdict:
    """The verdict with the portal's remedy texts where it has its own."""
    return verdict.model_copy(
        update={
            "remedies": _own(verdict.remedies, description),
            "if_that_fails": _own(verdict.if_that_fails, description),
        }
    )
