"""From runs to a verdict: which variants to try, in what order, and what their outcomes mean.

1. ``current`` (the person's browser as it is) runs first. It passes: access works.
2. Evidence first: when ``current`` saw an extension's own rules block a request (or its
   scripts in the portal's pages), those suspects are confirmed straight away: without
   them the failing step passes, with only them it fails.
3. Otherwise ``fresh`` (a brand-new profile) runs, side by side with the variant the
   symptom points at. ``fresh`` fails the same way: nothing in the browser is to blame,
   and the portal's answer says what is (maintenance, locked account, ...).
4. The browser is to blame: the checklist variants run, smallest change first; the one
   that passes, or that moves the failure to a later step (or changes the symptom),
   names the kind of culprit, and delta debugging narrows it down to the culprits.
5. Several blockers: the run without the culprits found so far becomes the new
   starting point, and the search goes on from it until login works or what is left
   is the portal's own answer. The verdict lists each blocker in the order a person
   meets them.

Every conclusion comes from what the browser observed; no portal configuration is read.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from probe.description.target import Target
from probe.diagnosis.ddmin import ddmin
from probe.diagnosis.remedies import remedies, summary
from probe.diagnosis.runner import Environment, Inventory
from probe.errors import PortalFailure
from probe.journey.credentials import Credentials
from probe.models import (
    STEP_NAMES,
    Blocker,
    Component,
    CookieGroup,
    Culprit,
    Detail,
    DrillNode,
    Evidence,
    Factor,
    Remedy,
    Status,
    Symptom,
    VariantRun,
    Verdict,
    cookie_name_host,
)
from probe.report.details import en_fr

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
    "certificate-refused": "certificate",
    # Refused as a robot even in a brand-new browser: this machine or network, not a CAPTCHA.
    "automation-refused": "automation-refused",
    # Refused in words no rule explains, or asked something the description does not know:
    # the portal's own answer when a brand-new browser meets it too.
    "login-refused": "login-refused",
    "login-question": "login-question",
    "session-lost": "session-lost",
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
    # What makes a person's browser look automated is most often an extension's script.
    "automation-refused": "extension",
    # A session or CSRF check fails when the portal's cookies are refused or stale.
    "session-lost": "setting",
}

KIND_FACTORS: dict[str, Factor] = {
    "extension": "extension",
    "cookie": "cookies",
    "site-data": "site-data",
    "setting": "browser-setting",
    "credential": "credentials",
}

# Symptoms that are one failure seen two ways: a hidden CAPTCHA is "blocked" when the
# blocked request was caught in time, "missing" when it was not.
SAME_FAILURE: dict[str, str] = {"captcha-missing": "captcha-blocked"}

# Symptoms where an extension's content scripts are worth suspecting.
SCRIPT_SYMPTOMS = frozenset(
    {"form-broken", "captcha-missing", "captcha-blocked", "page-error", "automation-refused"}
)

# Symptoms a style sheet alone can cause: the CAPTCHA's box rendered, then hidden.
STYLE_SYMPTOMS = frozenset({"captcha-missing"})

# The journey's note when the security code went to the spam folder (with or without more).
IN_SPAM = "detail.no-code-in-spam"

# The journey's note when the browser refused the portal's certificate.
CERTIFICATE_NOTE = "detail.certificate-refused"

# Verdicts whose meaning is the portal's own words: the summary quotes them.
QUOTED_FACTORS = frozenset({"login-refused", "login-question", "session-lost"})

MAX_BLOCKERS = 4
# More extensions than this running scripts in the portal's pages is no evidence at all.
MAX_SCRIPT_SUSPECTS = 4


class EnvironmentRunner(Protocol):
    """What the diagnosis needs of a runner: ``probe.diagnosis.runner.Runner``, or a fake in tests."""

    @property
    def target(self) -> Target: ...

    async def run(self, env: Environment) -> VariantRun: ...


@dataclass(frozen=True)
class Found:
    """One blocker, and the run without it that the search goes on from."""

    blocker: Blocker
    env: Environment
    run: VariantRun


def _culprits(components: Sequence[Component]) -> list[Culprit]:
    return [Culprit(kind=c.kind, id=c.id, name=c.name) for c in components]


def _symptom_note(symptom: Symptom, detail: str = "") -> str:
    if symptom in ("captcha-blocked", "captcha-missing", "captcha-never-completes"):
        return "captcha"
    if symptom == "form-broken":
        return "form"
    if symptom == "headers-too-large":
        return "headers-too-large"
    if symptom == "automation-refused":
        return "automated"
    return detail


def reached(run: VariantRun) -> tuple[int, str] | None:
    """How far a run got and how it stopped; None when a skip leaves that unknown.

    A run skipped at the credentials because the portal already answered them counts as
    having got that answer: whichever run submitted first, the reading is the same.
    """
    if run.outcome == "pass":
        return len(STEP_NAMES), "none"
    if run.outcome == "skipped":
        if run.answer_on_record is None:
            return None
        return STEP_NAMES.index("credentials"), run.answer_on_record
    step = STEP_NAMES.index(run.failed_step) if run.failed_step is not None else 0
    return step, SAME_FAILURE.get(run.symptom, run.symptom)


def fails_the_same(run: VariantRun, base: VariantRun) -> bool:
    mine, theirs = reached(run), reached(base)
    return mine is not None and mine == theirs


def _stopped_at(run: VariantRun) -> int:
    """The step a skipped run stopped at: it got through every step before it."""
    for step in run.steps:
        if step.outcome == "skipped" and step.note == run.skipped_because:
            return STEP_NAMES.index(step.name)
    return 0


def got_further(run: VariantRun, base: VariantRun) -> bool:
    """Login passes, or fails later, or fails differently at the same step.

    A run skipped on purpose (e.g. before a login that would send another security code)
    got further when ``base`` failed before the step it stopped at; otherwise it cannot say.
    """
    mine, theirs = reached(run), reached(base)
    if theirs is None:
        return False
    if mine is None:
        return _stopped_at(run) > theirs[0]
    return mine[0] > theirs[0] or (mine[0] == theirs[0] and mine[1] != theirs[1])


def symptom_of(run: VariantRun) -> Symptom:
    return (
        run.answer_on_record if run.outcome == "skipped" and run.answer_on_record else run.symptom
    )


def make_verdict(
    status: Status, factor: Factor, culprits: Sequence[Culprit], note: str = ""
) -> Verdict:
    said = summary(status, factor, culprits, note)
    en, fr = en_fr(said)
    steps, fallback = remedies(factor, culprits, note)
    blockers = []
    if status == "blocked":
        blockers.append(
            Blocker(
                factor=factor,
                culprits=list(culprits),
                summary=said,
                summary_en=en,
                summary_fr=fr,
                remedies=steps,
                if_that_fails=fallback,
            )
        )
    return Verdict(
        status=status,
        factor=factor,
        culprits=list(culprits),
        blockers=blockers,
        summary=said,
        summary_en=en,
        summary_fr=fr,
        remedies=steps,
        if_that_fails=fallback,
    )


def make_blocker(
    factor: Factor,
    culprits: Sequence[Culprit],
    run: VariantRun,
    *,
    note: str = "",
    evidence: Sequence[Evidence] = (),
    cookies: CookieGroup | None = None,
    also: Sequence[Detail] = (),
) -> Blocker:
    said = summary("blocked", factor, culprits, note, cookies=cookies, evidence=evidence)
    said += also
    en, fr = en_fr(said)
    steps, fallback = remedies(factor, culprits, note)
    return Blocker(
        factor=factor,
        culprits=list(culprits),
        step=run.failed_step if run.outcome == "fail" else "credentials",
        symptom=symptom_of(run),
        evidence=list(evidence),
        cookies=cookies,
        summary=said,
        summary_en=en,
        summary_fr=fr,
        remedies=steps,
        if_that_fails=fallback,
    )


def _merged(blockers: list[Blocker]) -> list[Blocker]:
    """Blockers of one kind met at the same step are one problem with several culprits."""
    out: list[Blocker] = []
    for blocker in blockers:
        last = out[-1] if out else None
        if (
            last is not None
            and last.factor == blocker.factor
            and last.step == blocker.step
            and blocker.culprits
        ):
            culprits = last.culprits + [c for c in blocker.culprits if c not in last.culprits]
            note = _symptom_note(last.symptom)
            out[-1] = make_blocker(
                last.factor,
                culprits,
                VariantRun(name="", outcome="fail", symptom=last.symptom, failed_step=last.step),
                note=note,
                evidence=last.evidence + blocker.evidence,
                cookies=last.cookies,
            )
        else:
            out.append(blocker)
    return out


def _unique_remedies(
    lists: Sequence[Sequence[Remedy]], avoid: Sequence[Remedy] = ()
) -> list[Remedy]:
    seen = {r.id for r in avoid}
    out = []
    for remedy in (r for rs in lists for r in rs):
        if remedy.id not in seen:
            seen.add(remedy.id)
            out.append(remedy)
    return out


def _later(blocker: Blocker) -> Blocker:
    """The portal's own answer, met once the browser's blockers are out of the way."""
    if blocker.factor != "invalid-credentials":
        return blocker
    said = summary("blocked", blocker.factor, [], "later")
    en, fr = en_fr(said)
    return blocker.model_copy(update={"summary": said, "summary_en": en, "summary_fr": fr})


def verdict_of(blockers: list[Blocker]) -> Verdict:
    """The verdict for blockers met in this order: the first gives the factor."""
    blockers = [b if i == 0 or b.culprits else _later(b) for i, b in enumerate(_merged(blockers))]
    first = blockers[0]
    said = list(first.summary)
    if len(blockers) > 1:
        said = [Detail(key="summary.several", params={"count": len(blockers)})]
        for number, blocker in enumerate(blockers, 1):
            said += [Detail(key="summary.number", params={"number": number}), *blocker.summary]
    en, fr = en_fr(said)
    steps = _unique_remedies([b.remedies for b in blockers])
    return Verdict(
        status="blocked",
        factor=first.factor,
        culprits=[c for b in blockers for c in b.culprits],
        blockers=blockers,
        summary=said,
        summary_en=en,
        summary_fr=fr,
        remedies=steps,
        if_that_fails=_unique_remedies([b.if_that_fails for b in blockers], avoid=steps),
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
        slots: asyncio.Semaphore | None = None,
    ) -> None:
        """``jobs``: runs side by side (the halves of a narrowing round...); ``slots``: the
        browsers that may run at once, shared with other diagnoses (default: ``jobs``)."""
        self.runner = runner
        self.inventory = inventory
        self.credentials = credentials
        self.jobs = max(1, jobs)
        self.max_drill_runs = max_drill_runs
        self.no_submit = no_submit  # runs stop after the CAPTCHA: a pass says only that much
        self.runs: list[VariantRun] = []
        self.drilldown: list[DrillNode] = []
        self.proof: str | None = None  # the run that shows the verdict's fix works
        self._slots = slots if slots is not None else asyncio.Semaphore(self.jobs)
        self._by_kept: dict[frozenset[str], VariantRun] = {}
        self._fresh: VariantRun | None = None
        self._counters: dict[str, int] = {}
        self._confirms = 0
        self._asked: set[frozenset[str]] = set()  # bases whose evidence was tried
        self._drills = 0

    # -- the variants of the checklist ------------------------------------------

    def env(self, name: str, description: str, kept: frozenset[str], **kw: object) -> Environment:
        credentials = kw.pop("credentials", self.credentials)
        assert isinstance(credentials, Credentials)
        return Environment(
            name,
            description,
            kept,
            credentials,
            fresh=bool(kw.get("fresh")),
            private=bool(kw.get("private")),
        )

    def fresh_env(self) -> Environment:
        return self.env("fresh", "A brand-new profile", frozenset(), fresh=True)

    def checklist(self, base: frozenset[str] | None = None) -> list[tuple[Environment, str]]:
        """The single-change variants of ``base``, smallest change first, with the kind each removes."""
        first = base is None or base == self.inventory.ids
        everything = self.inventory.ids if base is None else base
        inv = self.inventory
        kinds = [
            ("cookies-cleared", "The portal's cookies deleted", "cookie"),
            ("site-data-cleared", "The portal's site data and cache deleted", "site-data"),
            ("no-extensions", "All extensions turned off", "extension"),
            ("settings-reset", "Browser settings back to their defaults", "setting"),
        ]
        out = []
        for name, description, kind in kinds:
            removed = {c.id for c in inv.of_kind(kind)} & everything
            if removed:
                label = name if first else self._numbered(name)
                out.append((self.env(label, description, everything - removed), kind))
        private_kept = frozenset(
            c.id for c in inv.components if c.kind == "setting" or c.id in inv.private
        )
        if private_kept & everything != everything:
            label = "private" if first else self._numbered("private")
            env = self.env(label, "A private window", private_kept & everything, private=True)
            out.append((env, "mixed"))
        return out

    def _numbered(self, name: str) -> str:
        self._counters[name] = self._counters.get(name, 1) + 1
        return f"{name}-{self._counters[name]}"

    async def run(self, env: Environment) -> VariantRun:
        async with self._slots:
            result = await self.runner.run(env)
        self.runs.append(result)
        if env.stop_after is None and not env.fresh:
            self._by_kept.setdefault(env.kept, result)
        if env.fresh:
            self._fresh = result
        return result

    async def _run_once(self, env: Environment) -> VariantRun:
        """A whole journey in ``env``, unless one with the same components already ran."""
        known = self._by_kept.get(env.kept)
        return known if known is not None else await self.run(env)

    async def _fresh_run(self) -> VariantRun:
        return self._fresh if self._fresh is not None else await self.run(self.fresh_env())

    # -- the decision ------------------------------------------------------------

    async def decide(self) -> Verdict:
        everything = self.inventory.ids
        current_env = self.env("current", "Your browser as it is", everything)
        current = await self.run(current_env)
        if current.outcome == "pass":
            return make_verdict("ok", "none", [], "no-submit" if self.no_submit else "")

        blockers: list[Blocker] = []
        base: tuple[Environment, VariantRun] = (current_env, current)
        confirmed = await self._confirm_evidence(current_env, current)
        if confirmed is not None:
            blockers.append(confirmed.blocker)
            base = (confirmed.env, confirmed.run)
        else:
            early = await self._fresh_and_hinted(current_env, current)
            if isinstance(early, Verdict):
                return early
            if early is not None:
                blockers.append(early.blocker)
                base = (early.env, early.run)
        while base[1].outcome != "pass" and len(blockers) < MAX_BLOCKERS:
            found = await self._next_blocker(*base)
            if found is None:
                break
            blockers.append(found.blocker)
            base = (found.env, found.run)
        _, last = base
        if last is not current:
            self.proof = last.name
        if last.outcome != "pass":
            rest = self._portal_answer(last)
            if rest is not None:
                blockers.append(rest)
                if self._fresh is not None and self._fresh.outcome == "fail" and not blockers[:-1]:
                    self.proof = "fresh"  # a brand-new browser meets the same answer
            elif not blockers:
                stopped = any(
                    r.outcome == "skipped" and r.answer_on_record is None and _stopped_at(r) > 0
                    for r in self.runs
                )
                return make_verdict(
                    "inconclusive", "unknown", [], "runs-stopped" if stopped else ""
                )
            elif not (last.outcome == "skipped" and last.answer_on_record is None):
                # (A run stopped on purpose says nothing of what is left: nothing added.)
                blockers.append(make_blocker("unknown", [], last))
        return verdict_of(blockers)

    async def _fresh_and_hinted(
        self, current_env: Environment, current: VariantRun
    ) -> Verdict | Found | None:
        """A brand-new profile, side by side with the variant the symptom points at."""
        everything = current_env.kept
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
            if hinted is not None and len(self.inventory.of_kind(hinted[1])) > 1:
                # When it logs in, narrowing down among them starts from its browser.
                hinted = (dataclasses.replace(hinted[0], series=True), hinted[1])
            second = hinted[0] if hinted else None
        fresh_task = asyncio.create_task(self._fresh_run())
        second_run = await self.run(second) if second is not None else None
        if hinted is not None and second_run is not None and second_run.outcome == "pass":
            # Removing one kind of component fixed it: the browser is to blame for sure,
            # and the brand-new profile has nothing more to tell.
            fresh_task.cancel()
            await asyncio.gather(fresh_task, return_exceptions=True)
            return await self._kind_blocker(current_env, current, hinted[1], hinted[0], second_run)
        fresh = await fresh_task
        self._refuse_unusable_portal(current, fresh)
        if "browser-crashed" in (current.symptom, fresh.symptom):
            return make_verdict("inconclusive", "unknown", [], "browser-crashed")
        if hinted is None and second_run is not None and second_run.outcome == "pass":
            return make_verdict("blocked", "credentials", self._credential_culprits())
        if hinted is not None and second_run is not None and got_further(second_run, current):
            # That kind is one blocker; something else stops login further on.
            return await self._kind_blocker(current_env, current, hinted[1], hinted[0], second_run)
        return None

    async def _confirm_evidence(self, env: Environment, run: VariantRun) -> Found | None:
        """Try the extensions the browser caught in the act, before any elimination.

        Confirmed when, without them, login gets past where it failed and, with only
        them (none of the person's other components), it fails the same way.
        """
        suspects = self._suspects(run)
        if not suspects:
            return None
        ids = frozenset(c.id for c in suspects)
        if not ids <= env.kept or env.kept in self._asked:
            return None
        self._asked.add(env.kept)
        names = ", ".join(c.name for c in suspects)
        first = env.kept == self.inventory.ids
        without = self.env(
            "without-suspects" if first else self._numbered("without-suspects"),
            f"Without {names}",
            env.kept - ids,
        )
        alone = dataclasses.replace(
            self.env(
                "suspects-only" if first else self._numbered("suspects-only"), f"Only {names}", ids
            ),
            stop_after=run.failed_step,
            photographed=False,
        )
        result_without, result_alone = await asyncio.gather(self.run(without), self.run(alone))
        if not got_further(result_without, run) or not fails_the_same(result_alone, run):
            return None
        # Several suspects: only the ones needed (their rules may match a request that
        # does not matter, or their scripts be harmless).
        found = await self._narrow(suspects, env, run, keep_others=True)
        found_ids = {c.id for c in found}
        evidence = [e for e in run.evidence if e.component in found_ids]
        blocker = make_blocker(
            "extension",
            _culprits(found),
            run,
            note=_symptom_note(run.symptom),
            evidence=evidence,
        )
        return await self._without(env, found, blocker, (without, result_without))

    def _suspects(self, run: VariantRun) -> list[Component]:
        """Extensions named by what ``run`` saw: their rules blocked a request, else (a CAPTCHA
        that does not show) their style sheets in the portal's pages, else their scripts."""
        blocking = {e.component for e in run.evidence if e.kind == "blocks-request"}
        if not blocking and run.symptom in STYLE_SYMPTOMS:
            # A box hidden by a style sheet: the extensions styling the page come first,
            # however many others run scripts there.
            styling = {e.component for e in run.evidence if e.kind == "injects-css"}
            blocking = styling if len(styling) <= MAX_SCRIPT_SUSPECTS else set()
        if not blocking and run.symptom in SCRIPT_SYMPTOMS:
            injecting = {e.component for e in run.evidence if e.kind != "blocks-request"}
            blocking = injecting if len(injecting) <= MAX_SCRIPT_SUSPECTS else set()
        return [c for c in self.inventory.of_kind("extension") if c.id in blocking]

    async def _next_blocker(self, env: Environment, run: VariantRun) -> Found | None:
        """The next blocker in ``env``, where login fails as ``run`` shows; None when none is left."""
        if run.symptom == "browser-crashed":
            return None
        confirmed = await self._confirm_evidence(env, run)
        if confirmed is not None:
            return confirmed
        if symptom_of(run) in SERVER_FACTORS or self._fresh is not None:
            fresh = await self._fresh_run()
            if not got_further(fresh, run):
                return None  # a brand-new browser does no better: the portal's answer
        candidates = self.checklist(env.kept)
        kind = SYMPTOM_HINTS.get(run.symptom)
        candidates.sort(key=lambda pair: pair[1] != kind)  # the hinted kind first
        for start in range(0, len(candidates), self.jobs):
            batch = candidates[start : start + self.jobs]
            outcomes = await asyncio.gather(*(self._run_once(e) for e, _ in batch))
            for (variant, kind_removed), outcome in zip(batch, outcomes, strict=True):
                if got_further(outcome, run):
                    if kind_removed == "mixed":
                        return await self._mixed_blocker(env, run)
                    return await self._kind_blocker(env, run, kind_removed, variant, outcome)
        fresh = await self._fresh_run()
        if not got_further(fresh, run):
            return None
        return await self._mixed_blocker(env, run)

    async def _kind_blocker(
        self,
        env: Environment,
        run: VariantRun,
        kind: str,
        variant: Environment,
        variant_run: VariantRun,
    ) -> Found | None:
        """Removing every component of ``kind`` got further: which of them are needed."""
        suspects = [c for c in self.inventory.of_kind(kind) if c.id in env.kept]
        cookies: CookieGroup | None = None
        if kind == "cookie" and run.symptom == "headers-too-large":
            # An amount, not a culprit: name the host's whole group and what was sent.
            found, cookies = await self._cookie_groups(env, run, suspects)
        else:
            found = await self._narrow(suspects, env, run, keep_others=True)
        if not found:
            return None
        culprits = _culprits(found)
        blocker = make_blocker(
            KIND_FACTORS[kind],
            culprits,
            run,
            note=_symptom_note(run.symptom),
            evidence=[e for e in run.evidence if e.component in {c.id for c in found}],
            cookies=cookies,
        )
        return await self._without(env, found, blocker, (variant, variant_run))

    async def _mixed_blocker(self, env: Environment, run: VariantRun) -> Found | None:
        """No single kind explains it: search the whole environment.

        Extensions are suspects only when the run without any of them does not fail the
        same way: otherwise they are not the cause, whatever a search among components
        that are all innocent would single out (it used to name harmless ones "together").
        """
        suspects = [c for c in self.inventory.components if c.id in env.kept]
        if await self._extensions_cleared(env, run):
            suspects = [c for c in suspects if c.kind != "extension"]
        if not suspects or fails_the_same(await self._drill(frozenset(), run), run):
            # Without any of them it still fails the same way: the cause is something no
            # component holds (delta debugging would single out an innocent one).
            return None
        found = await self._narrow(suspects, env, run, keep_others=False)
        if not found:
            return None
        kinds = [c.kind for c in found]
        # The most frequent kind; a tie goes to the kind named first (culprits come in
        # inventory order), never to a set's order, which changes with the hash seed.
        factor = KIND_FACTORS[max(dict.fromkeys(kinds), key=kinds.count)]
        blocker = make_blocker(factor, _culprits(found), run, note=_symptom_note(run.symptom))
        return await self._without(env, found, blocker, None)

    async def _extensions_cleared(self, env: Environment, run: VariantRun) -> bool:
        """Whether ``env`` without any extension fails as ``run`` does (a run already made
        with the same components counts)."""
        ids = {c.id for c in self.inventory.of_kind("extension")} & env.kept
        if not ids:
            return False
        known = self._by_kept.get(env.kept - ids)
        if known is None:
            first = env.kept == self.inventory.ids
            name = "no-extensions" if first else self._numbered("no-extensions")
            known = await self.run(self.env(name, "All extensions turned off", env.kept - ids))
        return fails_the_same(known, run)

    async def _without(
        self,
        env: Environment,
        found: Sequence[Component],
        blocker: Blocker,
        known: tuple[Environment, VariantRun] | None,
    ) -> Found:
        """The run without the culprits just found: where the search goes on from."""
        kept = env.kept - {c.id for c in found}
        if known is not None and known[0].kept == kept:
            return Found(blocker, known[0], known[1])
        names = ", ".join(c.name for c in found)
        self._confirms += 1
        confirm = self.env(f"confirm-{self._confirms}", f"Without {names}", kept)
        result = await self._run_once(confirm)
        return Found(blocker, confirm, result)

    async def _cookie_groups(
        self, env: Environment, run: VariantRun, suspects: list[Component]
    ) -> tuple[list[Component], CookieGroup | None]:
        hosts = list(dict.fromkeys(cookie_name_host(c.id)[1] for c in suspects))
        groups = [[c for c in suspects if cookie_name_host(c.id)[1] == h] for h in hosts]
        if len(groups) > 1:
            base = env.kept - {c.id for c in suspects}

            async def fails(kept: list[list[Component]]) -> bool:
                ids = {c.id for group in kept for c in group}
                result = await self._drill(base | ids, run)
                return fails_the_same(result, run)

            found_groups = (await ddmin(groups, fails, max_tests=self.max_drill_runs)).culprits
        else:
            found_groups = groups
        found = [c for group in found_groups for c in group]
        found_hosts = {cookie_name_host(c.id)[1] for c in found}
        stats = next((s.cookies for s in run.steps if s.name == run.failed_step), None)
        seen = [g for g in (stats.hosts if stats else []) if g.host in found_hosts]
        if seen:
            amount = CookieGroup(
                host=", ".join(g.host for g in seen),
                count=sum(g.count for g in seen),
                total_bytes=sum(g.total_bytes for g in seen),
            )
        else:
            amount = CookieGroup(host=", ".join(sorted(found_hosts)), count=len(found))
        return found, amount

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

    def _portal_answer(self, last: VariantRun) -> Blocker | None:
        """What the portal itself answered where the browser is no longer to blame."""
        fresh = self._fresh
        evidence = fresh if fresh is not None and fresh_failed(fresh) else last
        factor = SERVER_FACTORS.get(symptom_of(evidence))
        if factor is None:
            evidence = last
            factor = SERVER_FACTORS.get(symptom_of(last))
        if factor is None:
            return None
        note = ""
        if factor == "certificate":  # which certificate: who issued it, for what, until when
            return make_blocker(factor, [], evidence, also=_certificate_notes(evidence))
        if factor in QUOTED_FACTORS and evidence.message:
            said = Detail(key="summary.portal-said", params={"words": evidence.message})
            return make_blocker(factor, [], evidence, also=[said])
        if factor == "security-code-undelivered":
            spam = any(s.note and s.note.key.startswith(IN_SPAM) for s in evidence.steps)
            note = "spam" if spam else ""
        return make_blocker(factor, [], evidence, note=note)

    async def _drill(self, kept: frozenset[str], current: VariantRun) -> VariantRun:
        self._drills += 1
        env = dataclasses.replace(
            self.env(f"drill-{self._drills}", "", kept),
            stop_after=current.failed_step,
            photographed=False,
            series=True,
        )
        names = {c.id: c.name for c in self.inventory.components}
        env = dataclasses.replace(
            env,
            description="Narrowing down: keeps " + ", ".join(names.get(k, k) for k in sorted(kept)),
        )
        result = await self.run(env)
        self.drilldown.append(
            DrillNode(run=env.name, kept=sorted(env.kept), outcome=result.outcome)
        )
        return result

    async def _narrow(
        self,
        suspects: Sequence[Component],
        env: Environment,
        current: VariantRun,
        *,
        keep_others: bool,
    ) -> list[Component]:
        """Delta debugging over ``suspects``; the other components of ``env`` stay as they are."""
        if len(suspects) <= 1:
            return list(suspects)
        suspect_ids = {c.id for c in suspects}
        base = env.kept - suspect_ids if keep_others else frozenset()

        async def fails(kept: list[Component]) -> bool:
            result = await self._drill(base | {c.id for c in kept}, current)
            return fails_the_same(result, current)

        found = await ddmin(
            list(suspects), fails, max_tests=self.max_drill_runs, parallel=self.jobs
        )
        return found.culprits


def _certificate_notes(run: VariantRun) -> list[Detail]:
    notes = [s.note for s in run.steps if s.note and s.note.key.startswith(CERTIFICATE_NOTE)]
    return notes[:1]


def fresh_failed(run: VariantRun) -> bool:
    return run.outcome == "fail" or (run.outcome == "skipped" and run.answer_on_record is not None)
