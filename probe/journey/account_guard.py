"""Keeps a diagnosis from locking the account it tests, tripping the portal's rate limit,
or sending the person security codes nobody asked for.

All runs of one diagnosis share one ``AccountGuard``; each run talks to it through its
own ``RunGate``. Credentials are submitted one run at a time (the security code read
from the outbox must be that run's: only the latest code is valid). The person's own
browser (``current``) submits first, so that its answer is the one on record; a run that
would only resubmit credentials the portal already rejected is skipped, and at most
``MAX_REJECTED_SUBMISSIONS`` rejected passwords are sent per diagnosis. An answer probe
does not understand (an error page, no answer, a refusal in words no rule explains)
counts as a possible rejection: whatever the description says and in every browser,
no more than ``MAX_REJECTED_SUBMISSIONS`` such submissions are made. A login stopped
before it left the browser (nothing sent, or stopped on purpose by a narrowing run
that only asks whether the form sends) is no submission. ``submissions`` counts the
logins that may have reached the portal; the report says it.

Security codes: on a portal that sends one after each accepted login, when probe cannot
read it itself (the person types it, ``second-factor.source = "prompt"``, or no source is
declared), a ``CodeBudget`` bounds the logins: after ``allowed`` accepted ones (default
1, ``--max-codes``), a run that would log in again, and so make the portal send another
SMS or e-mail, is not started past the CAPTCHA; its skip says so and how to allow it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from probe.description.model import PortalDescription
from probe.description.target import Target
from probe.journey.credentials import Credentials
from probe.journey.login import SkipRun
from probe.models import Detail, Symptom, Term

# Answers about the account itself: submitting again would only repeat (or worsen) them.
ACCOUNT_ANSWERS: frozenset[str] = frozenset(
    {"account-locked", "rights-not-open", "stale-provisional-code"}
)
MAX_REJECTED_SUBMISSIONS = 2
# Answers that say the portal did not judge the password (yet): not a possible rejection.
NOT_JUDGED: frozenset[str] = frozenset(
    {
        "maintenance",
        "rate-limited",
        "headers-too-large",
        "captcha-blocked",
        "captcha-missing",
        "captcha-never-completes",
        "captcha-rejected",
        "automation-refused",
        "cookies-refused",
        "session-lost",
        "stale-form",
        "certificate-refused",
        "portal-unreachable",
        "javascript-disabled",
    }
)
LEADER = "current"  # the run of the person's browser as it is
MAX_CODES_OPTION = "--max-codes"


@dataclass(frozen=True)
class CodeBudget:
    """How many security codes a diagnosis may make the portal send, and why it counts."""

    allowed: int  # accepted logins (each one sends a code)
    typed: bool  # the person types each code (prompt); else probe cannot read them

    @property
    def why(self) -> Detail:
        return Detail(key="detail.code-typed" if self.typed else "detail.code-unread")

    def skip_reason(self) -> Detail:
        return Detail(
            key="detail.skip-code-budget",
            params={"why": self.why, "allowed": self.allowed, "option": MAX_CODES_OPTION},
        )

    def announcement(self) -> Detail:
        """Said before the runs start."""
        key = "detail.code-budget-typed" if self.typed else "detail.code-budget-unread"
        return Detail(key=key, params={"allowed": self.allowed, "option": MAX_CODES_OPTION})

    def afterword(self, skipped: int) -> Detail:
        """Said after the diagnosis, when runs were stopped for it."""
        return Detail(
            key="detail.code-budget-afterword",
            params={
                "skipped": skipped,
                "why": self.why,
                "option": MAX_CODES_OPTION,
                "allowed": self.allowed + skipped,
            },
        )


def code_budget(
    description: PortalDescription, target: Target, *, no_submit: bool, allowed: int
) -> CodeBudget | None:
    """The budget a diagnosis of ``target`` needs; None when codes cost nothing (probe reads
    them from an outbox, a Mailpit server or a TOTP secret) or none is asked for."""
    if no_submit or description.second_factor is None:
        return None
    source = target.code_source
    if source is None and target.outbox_url is not None:
        return None
    if source is not None and source.kind != "prompt":
        return None
    return CodeBudget(allowed=max(1, allowed), typed=source is not None)


class AccountGuard:
    """Shared by the runs of one diagnosis."""

    def __init__(self, leader: str | None = None, codes: CodeBudget | None = None) -> None:
        self._lock = asyncio.Lock()
        self.leader = leader
        self._leader_done = asyncio.Event()
        self.rejected: set[tuple[str, str]] = set()
        self.rejections = 0  # rejected or possibly rejected submissions
        self.submissions = 0  # logins that may have reached the portal
        self.account_answer: Symptom | None = None
        self.codes = codes
        self.codes_sent = 0  # accepted logins while ``codes`` counts them
        self.code_skips = 0  # runs stopped because they would have sent one more

    def view(self, run: str) -> RunGate:
        """The gate one run uses (``CredentialGate`` of the journey)."""
        return RunGate(self, run)

    async def enter(self, credentials: Credentials, run: str = LEADER) -> None:
        if self.leader is not None and run != self.leader:
            await self._leader_done.wait()
        await self._lock.acquire()
        reason: Detail | None = None
        answer: Symptom | None = None
        if self.account_answer is not None:
            answer = self.account_answer
            reason = Detail(
                key="detail.skip-account-answer",
                params={"answer": Term(table="symptom", id=self.account_answer)},
            )
        elif credentials.key in self.rejected:
            answer = "invalid-credentials"
            reason = Detail(key="detail.skip-rejected")
        elif self.rejections >= MAX_REJECTED_SUBMISSIONS:
            reason = Detail(key="detail.skip-too-many", params={"count": self.rejections})
        elif self.codes is not None and self.codes_sent >= self.codes.allowed:
            reason = self.codes.skip_reason()
            self.code_skips += 1
        if reason is not None:
            self._lock.release()
            raise SkipRun(reason, answer)

    def answer(
        self,
        credentials: Credentials,
        symptom: Symptom | None,
        run: str = LEADER,
        *,
        sent: bool = True,
    ) -> None:
        """The portal's answer to one login (``sent``: it may have reached the portal)."""
        if sent:
            self._count(credentials, symptom)
        if run == self.leader:
            self._leader_done.set()

    def _count(self, credentials: Credentials, symptom: Symptom | None) -> None:
        self.submissions += 1
        if symptom == "invalid-credentials":
            self.rejected.add(credentials.key)
            self.rejections += 1
        elif symptom in ACCOUNT_ANSWERS:
            self.account_answer = symptom
        elif symptom is not None and symptom not in NOT_JUDGED:
            self.rejections += 1  # not understood: perhaps a rejection
        if symptom is None and self.codes is not None:
            # Accepted (or the answer is unknown): the portal may have sent a code.
            self.codes_sent += 1

    def confirm(self, credentials: Credentials) -> None:
        """A login counted as perhaps rejected (``UNCONFIRMED``) reached the logged-in page."""
        self.rejections = max(0, self.rejections - 1)
        if self.codes is not None:
            self.codes_sent += 1

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

    def answer(
        self, credentials: Credentials, symptom: Symptom | None, *, sent: bool = True
    ) -> None:
        self.guard.answer(credentials, symptom, self.run, sent=sent)

    def confirm(self, credentials: Credentials) -> None:
        self.guard.confirm(credentials)

    def leave(self) -> None:
        self.guard.leave()

    def close(self) -> None:
        self.guard.run_ended(self.run)
