"""From runs to a verdict: which variants to try, in what order, and what their outcomes mean.

1. ``current`` (the person's browser as it is) and ``fresh`` (a brand-new profile) run
   side by side. ``current`` passes: access works.
2. Both fail: nothing in the browser is to blame; the portal's answer says what is
   (maintenance, locked account, ...). A slip in the typed credentials is tried first.
3. Only ``fresh`` passes: the checklist variants run, smallest change first, and the
   smallest one that passes names the factor; delta debugging then narrows it down to
   the culprit components (which extension, which cookie, which setting).

Every conclusion comes from what the browser observed; no portal configuration is read.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from probe.credentials import Credentials
from probe.ddmin import ddmin
from probe.errors import PortalFailure
from probe.models import Component, Culprit, DrillNode, Factor, Status, Symptom, VariantRun, Verdict
from probe.observation import Target
from probe.remedies import remedies, summary
from probe.variants import Environment, Inventory

SERVER_FACTORS: dict[str, Factor] = {
    "maintenance": "maintenance",
    "rate-limited": "rate-limited",
    "account-locked": "account-locked",
    "invalid-credentials": "invalid-credentials",
    "rights-not-open": "rights-not-open",
    "stale-provisional-code": "stale-provisional-code",
    "security-code-undelivered": "security-code-undelivered",
    "security-code-expired": "security-code-expired",
    "identity-provider-error": "identity-provider",
    "captcha-never-completes": "captcha-provider",
    "captcha-rejected": "captcha-provider",
    "captcha-missing": "captcha-provider",
}

# The kind of component a symptom points at: trying that first saves a round of runs.
SYMPTOM_HINTS: dict[str, str] = {
    "captcha-blocked": "extension",
    "captcha-missing": "extension",
    "form-broken": "extension",
    "headers-too-large": "cookie",
    "stale-form": "site-data",
    "javascript-disabled": "setting",
    "cookies-refused": "setting",
}

KIND_FACTORS: dict[str, Factor] = {
    "extension": "extension",
    "cookie": "cookies",
    "site-data": "site-data",
    "setting": "browser-setting",
    "credential": "credentials",
}


class EnvironmentRunner(Protocol):
    """What the diagnosis needs of a runner: ``probe.variants.Runner``, or a fake in tests."""

    @property
    def target(self) -> Target: ...

    async def run(self, env: Environment) -> VariantRun: ...


@dataclass
class Outcome:
    verdict: Verdict
    runs: list[VariantRun]
    drilldown: list[DrillNode]


def _culprits(components: Sequence[Component]) -> list[Culprit]:
    return [Culprit(kind=c.kind, id=c.id, name=c.name) for c in components]


def _symptom_note(symptom: Symptom, detail: str = "") -> str:
    if symptom in ("captcha-blocked", "captcha-missing", "captcha-never-completes"):
        return "stops the security check from appearing"
    if symptom == "form-broken":
        return "breaks the login form"
    if symptom == "headers-too-large":
        return "headers-too-large"
    return detail


def make_verdict(
    status: Status, factor: Factor, culprits: Sequence[Culprit], note: str = ""
) -> Verdict:
    en, fr = summary(status, factor, culprits, note)
    steps, fallback = remedies(factor, culprits, note)
    return Verdict(
        status=status,
        factor=factor,
        culprits=list(culprits),
        summary_en=en,
        summary_fr=fr,
        remedies=steps,
        if_that_fails=fallback,
    )


class Diagnosis:
    """Decides which environments to run and reads the verdict from their outcomes."""

    def __init__(
        self,
        runner: EnvironmentRunner,
        inventory: Inventory,
        credentials: Credentials,
        *,
        jobs: int = 2,
        max_drill_runs: int = 16,
        no_submit: bool = False,
    ) -> None:
        self.runner = runner
        self.inventory = inventory
        self.credentials = credentials
        self.jobs = max(1, jobs)
        self.max_drill_runs = max_drill_runs
        self.no_submit = no_submit  # runs stop after the CAPTCHA: a pass says only that much
        self.runs: list[VariantRun] = []
        self.drilldown: list[DrillNode] = []
        self._slots = asyncio.Semaphore(self.jobs)

    # -- the variants of the checklist ------------------------------------------

    def env(self, name: str, description: str, kept: frozenset[str], **kw: object) -> Environment:
        credentials = kw.pop("credentials", self.credentials)
        assert isinstance(credentials, Credentials)
        return Environment(name, description, kept, credentials, fresh=bool(kw.get("fresh")))

    def fresh_env(self) -> Environment:
        return self.env("fresh", "A brand-new profile", frozenset(), fresh=True)

    def checklist(self) -> list[tuple[Environment, str]]:
        """The single-change variants, smallest change first, with the kind each removes."""
        everything = self.inventory.ids
        inv = self.inventory
        kinds = [
            ("cookies-cleared", "The portal's cookies deleted", "cookie"),
            ("site-data-cleared", "The portal's site data and cache deleted", "site-data"),
            ("no-extensions", "All extensions turned off", "extension"),
            ("settings-reset", "Browser settings back to their defaults", "setting"),
        ]
        out = []
        for name, description, kind in kinds:
            if inv.of_kind(kind):
                removed = {c.id for c in inv.of_kind(kind)}
                out.append((self.env(name, description, everything - removed), kind))
        incognito = {e.id for e in inv.profile.extensions if e.incognito}
        private_kept = frozenset(
            c.id for c in inv.components if c.kind == "setting" or c.id in incognito
        )
        if private_kept != everything:
            out.append((self.env("private", "A private window", private_kept), "mixed"))
        return out

    async def run(self, env: Environment) -> VariantRun:
        async with self._slots:
            result = await self.runner.run(env)
        self.runs.append(result)
        return result

    # -- the decision ------------------------------------------------------------

    async def decide(self) -> Verdict:
        everything = self.inventory.ids
        current = await self.run(self.env("current", "Your browser as it is", everything))
        if current.outcome == "pass":
            return make_verdict("ok", "none", [], "no-submit" if self.no_submit else "")

        # Next, side by side: a brand-new profile (is the browser to blame at all?) and
        # the variant the symptom points at (typed credentials, or one kind of component).
        normalized = self.credentials.normalized()
        second: Environment | None = None
        hinted: tuple[Environment, str] | None = None
        if normalized != self.credentials and current.symptom == "invalid-credentials":
            second = self.env(
                "credentials-normalized",
                "Credentials without stray spaces",
                everything,
                credentials=normalized,
            )
        else:
            kind = SYMPTOM_HINTS.get(current.symptom)
            hinted = next(((e, k) for e, k in self.checklist() if k == kind), None)
            second = hinted[0] if hinted else None
        fresh_task = asyncio.create_task(self.run(self.fresh_env()))
        second_run = await self.run(second) if second is not None else None
        if hinted is not None and second_run is not None and second_run.outcome == "pass":
            # Removing one kind of component fixed it: the browser is to blame for sure,
            # and the brand-new profile has nothing more to tell.
            fresh_task.cancel()
            await asyncio.gather(fresh_task, return_exceptions=True)
            return await self._browser_side(current, {hinted[0].name: second_run})
        fresh = await fresh_task
        self._refuse_unusable_portal(current, fresh)
        if "browser-crashed" in (current.symptom, fresh.symptom):
            return make_verdict("inconclusive", "unknown", [], "browser-crashed")
        if hinted is None and second_run is not None and second_run.outcome == "pass":
            return make_verdict("blocked", "credentials", self._credential_culprits())
        if fresh.outcome != "pass":
            return self._server_side(current, fresh)
        tried = {hinted[0].name: second_run} if hinted and second_run else {}
        return await self._browser_side(current, tried)

    def _refuse_unusable_portal(self, current: VariantRun, fresh: VariantRun) -> None:
        """No browser reached a login form: there is nothing to diagnose."""
        unusable = {"portal-unreachable", "login-form-missing"}
        if current.symptom in unusable and fresh.symptom in unusable:
            url = self.runner.target.login_url
            if fresh.symptom == "portal-unreachable":
                detail = next((s.detail for s in fresh.steps if s.detail), "") or ""
                raise PortalFailure(f"{url}: the portal cannot be reached. {detail}".strip())
            raise PortalFailure(
                f"{url}: no login form there; check the URL (probe expects the login page)"
            )

    def _credential_culprits(self) -> list[Culprit]:
        culprits = []
        for field, value in (
            ("identifier", self.credentials.identifier),
            ("password", self.credentials.password),
        ):
            if value != value.strip():
                where = (
                    "space"
                    + (" before" if value[:1].isspace() else "")
                    + (" after" if value[-1:].isspace() else "")
                )
                culprits.append(
                    Culprit(kind="credential", id=field, name=f"{field} typed with a {where}")
                )
        return culprits

    def _server_side(self, current: VariantRun, fresh: VariantRun) -> Verdict:
        evidence = fresh if fresh.outcome == "fail" else current
        factor = SERVER_FACTORS.get(evidence.symptom)
        if factor is None and current.outcome == "fail":
            factor = SERVER_FACTORS.get(current.symptom)
        if factor is None:
            return make_verdict("inconclusive", "unknown", [])
        note = ""
        if factor == "security-code-undelivered":
            details = " ".join(s.detail or "" for s in evidence.steps)
            note = "spam" if "spam" in details else ""
        return make_verdict("blocked", factor, [], note)

    async def _browser_side(self, current: VariantRun, tried: dict[str, VariantRun]) -> Verdict:
        checklist = self.checklist()
        winner = next(
            ((e, k) for e, k in checklist if tried.get(e.name) and tried[e.name].outcome == "pass"),
            None,
        )
        rest = [(e, k) for e, k in checklist if e.name not in tried]
        # Smallest change first; once one passes, larger changes are not needed.
        for start in range(0, len(rest) if winner is None else 0, self.jobs):
            batch = rest[start : start + self.jobs]
            outcomes = await asyncio.gather(*(self.run(env) for env, _ in batch))
            winner = next(
                ((e, k) for (e, k), o in zip(batch, outcomes, strict=True) if o.outcome == "pass"),
                None,
            )
            if winner is not None:
                break
        note = _symptom_note(current.symptom)
        if winner is not None and winner[1] != "mixed":
            kind = winner[1]
            suspects = self.inventory.of_kind(kind)
            culprits = await self._narrow(suspects, current, keep_others=True)
            return make_verdict("blocked", KIND_FACTORS[kind], _culprits(culprits), note)
        # No single kind explains it: search the whole environment.
        culprits = await self._narrow(self.inventory.components, current, keep_others=False)
        if not culprits:
            return make_verdict("inconclusive", "unknown", [])
        kinds = [c.kind for c in culprits]
        # The most frequent kind; a tie goes to the kind named first (culprits come in
        # inventory order), never to a set's order, which changes with the hash seed.
        factor = KIND_FACTORS[max(dict.fromkeys(kinds), key=kinds.count)]
        return make_verdict("blocked", factor, _culprits(culprits), note)

    async def _narrow(
        self, suspects: Sequence[Component], current: VariantRun, *, keep_others: bool
    ) -> list[Component]:
        """Delta debugging over ``suspects``; the other components stay as they are."""
        if len(suspects) <= 1:
            return list(suspects)
        suspect_ids = {c.id for c in suspects}
        base = self.inventory.ids - suspect_ids if keep_others else frozenset()
        counter = 0

        async def fails(kept: list[Component]) -> bool:
            nonlocal counter
            counter += 1
            env = dataclasses.replace(
                self.env(
                    f"drill-{counter}",
                    "Narrowing down: keeps " + ", ".join(c.name for c in kept),
                    base | {c.id for c in kept},
                ),
                stop_after=current.failed_step,
                photographed=False,
            )
            result = await self.run(env)
            self.drilldown.append(
                DrillNode(run=env.name, kept=sorted(env.kept), outcome=result.outcome)
            )
            return result.outcome == "fail" and result.symptom == current.symptom

        found = await ddmin(
            list(suspects), fails, max_tests=self.max_drill_runs, parallel=self.jobs
        )
        return found.culprits
