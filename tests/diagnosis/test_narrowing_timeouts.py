"""How long a narrowing-down run waits for the CAPTCHA widget (``narrowing_timeouts``), and
that its wait for a form to send is the usual one."""

from __future__ import annotations

import pytest

from probe.description.target import Timeouts
from probe.diagnosis.runner import CAPTCHA_APPEAR_FLOOR_MS, narrowing_timeouts
from probe.journey.observation import Quickness


@pytest.mark.parametrize("sent_after", [None, 0.02, 0.15, 0.9])
def test_the_wait_for_the_form_to_send_is_never_learned_from_a_faster_run(
    sent_after: float | None,
) -> None:
    # Under load, a form that sends a little later than a faster run did is still a form
    # that sends: "sent nothing" is decided from events with the usual wait (issue 23).
    seen = Quickness(sent_after=sent_after)
    assert narrowing_timeouts(Timeouts(sent_within=2_000), seen).sent_within == 2_000


def test_a_portal_that_turned_the_short_wait_off_keeps_it_off() -> None:
    assert narrowing_timeouts(Timeouts(sent_within=0), Quickness(sent_after=0.02)).sent_within == 0


@pytest.mark.parametrize(
    ("captcha_after", "expected"),
    [
        (None, 5_000),  # no widget seen rendering yet: the usual wait
        (0.05, CAPTCHA_APPEAR_FLOOR_MS),  # ten times 50 ms is under the floor
        (0.31, 3_100),  # ten times what the widget took where it worked
        (0.8, 5_000),  # never more than the usual wait
    ],
)
def test_the_captcha_wait_follows_how_soon_the_widget_rendered(
    captcha_after: float | None, expected: int
) -> None:
    shorter = narrowing_timeouts(
        Timeouts(captcha_appear=5_000), Quickness(captcha_after=captcha_after)
    )
    assert shorter.captcha_appear == expected
    assert shorter.sent_within == Timeouts().sent_within  # each wait learns from its own


def test_the_other_waits_are_left_as_they_are() -> None:
    base = Timeouts(submit=9_000, navigation=12_000, captcha_token=7_000)
    shorter = narrowing_timeouts(base, Quickness(sent_after=0.01, captcha_after=0.01))
    assert (shorter.submit, shorter.navigation, shorter.captcha_token) == (9_000, 12_000, 7_000)


def test_the_slowest_of_the_working_runs_is_kept() -> None:
    seen = Quickness()
    seen.add(Quickness(sent_after=0.2))
    seen.add(Quickness(sent_after=0.05, captcha_after=0.3))
    seen.add(Quickness())
    assert (seen.sent_after, seen.captcha_after) == (0.2, 0.3)
