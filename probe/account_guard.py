"""Keeps a diagnosis from locking the account it tests or tripping the portal's rate limit.

All runs of one diagnosis share one ``AccountGuard``; each run talks to it through its
own ``RunGate``. Credentials are submitted one run at a time (the security code read
from the outbox must be that run's: only the latest code is valid). The person's own
browser (``current``) submits first, so that its answer is the one on record; a run that
would only resubmit credentials the portal already rejected is skipped, and at most
``MAX_REJECTED_SUBMISSIONS`` rejected passwords are sent per diagnosis.
"""

from __future__ import annotations

import asyncio

from probe.credentials import Credentials
from probe.journey import SkipRun
from probe.models import Symptom

# Answers about the account itself: submitting again would only repeat (or worsen) them.
ACCOUNT_ANSWERS: frozenset[str] = frozenset(
    {"account-locked", "rights-not-open", "stale-provisional-code"}
)
MAX_REJECTED_SUBMISSIONS = 2
LEADER = "current"  # the run of the person's browser as it is


class AccountGuard:
    """Shared by the runs of one diagnosis."""

    def __init__(self, leader: str | None = None) -> None:
        self._lock = asyncio.Lock()
        self.leader = leader
        self._leader_done = asyncio.Event()
        self.rejected: set[tuple[str, str]] = set()
        self.rejections = 0
        self.account_answer: Symptom | None = None

    def view(self, run: str) -> RunGate:
        """The gate one run uses (``CredentialGate`` of the journey)."""
        return RunGate(self, run)

    async def enter(self, credentials: Credentials, run: str = LEADER) -> None:
        if self.leader is not None and run != self.leader:
            await self._leader_done.wait()
        await self._lock.acquire()
        reason = None
        answer: Symptom | None = None
        if self.account_answer is not None:
            answer = self.account_answer
            reason = (
                f"the portal already answered '{self.account_answer}' for this account; "
                "submitting again would change nothing"
            )
        elif credentials.key in self.rejected:
            answer = "invalid-credentials"
            reason = (
                "the portal already rejected these exact credentials; "
                "submitting them again could lock the account"
            )
        elif self.rejections >= MAX_REJECTED_SUBMISSIONS:
            reason = f"already {self.rejections} rejected logins in this diagnosis"
        if reason is not None:
            self._lock.release()
            raise SkipRun(reason, answer)

    def answer(self, credentials: Credentials, symptom: Symptom | None, run: str = LEADER) -> None:
        if symptom == "invalid-credentials":
            self.rejected.add(credentials.key)
            self.rejections += 1
        elif symptom in ACCOUNT_ANSWERS:
            self.account_answer = symptom
        if run == self.leader:
            self._leader_done.set()

    def leave(self) -> None:
        self._lock.release()

    def run_ended(self, run: str) -> None:
        # The leader may stop before reaching the credentials (e.g. the CAPTCHA was
        # blocked): the others must not wait for an answer that will never come.
        if run == self.leader:
            self._leader_done.set()


class RunGate:
    """One run's side of the ``AccountGuard``."""

    def __init__(self, guard: AccountGuard, run: str) -> None:
        self.guard = guard
        self.run = run

    async def enter(self, credentials: Credentials) -> None:
        await self.guard.enter(credentials, self.run)

    def answer(self, credentials: Credentials, symptom: Symptom | None) -> None:
        self.guard.answer(credentials, symptom, self.run)

    def leave(self) -> None:
        self.guard.leave()

    def close(self) -> None:
        self.guard.run_ended(self.run)
