"""The login journey, driven in one browser context, and what the browser observed on the way.

Open the login page -> the CAPTCHA widget renders and yields a token -> type the
credentials and submit -> read the security code from where the portal sends it and
enter it -> the logged-in page -> a check after login (download a document). Which of
these steps a portal has, and how its pages show them, comes from its description
(``probe/description/model.py``, adapted to a ``PageMap``). Each step records what a
person (or the browser's developer tools) would see; the journey stops at the first
failing step.
Nothing secret is recorded: URLs lose their query strings, fields holding secrets are
masked in screenshots, cookie values are only measured.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Literal, Protocol

from playwright.async_api import BrowserContext, Download, Page, Response
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeout

from probe._util.redact import clean_detail, clean_step
from probe._util.tls import certificate_detail, peer_certificate, refused_certificate_error
from probe.description.pagemap import public_url
from probe.description.target import Target, Timeouts
from probe.journey.codes.sources import OutboxCodes
from probe.journey.credentials import Credentials
from probe.journey.observation import (
    Quickness,
    Recorder,
    browser_gone,
    noted_step,
    refused_certificate,
    reported,
    shows,
    visible_text,
)
from probe.journey.page_steps import (
    SKIPPED,
    Answer,
    NothingSent,
    form_drawn,
    read_message,
    solve_captcha,
    submit,
)
from probe.journey.refusal import FormState, form_state, page_words, refusal_of
from probe.journey.sending import form_sends
from probe.models import Detail, ParamValue, Step, StepName, Symptom, blocked_by_client
from probe.report.details import english

NO_SUBMIT = Detail(key="detail.no-submit")
# What a stage ends with: a note of what it did, "skipped" (nothing to do), or None.
StageEnd = Detail | Literal["skipped"] | None
NOT_REACHED = Detail(key="detail.not-reached")
# The answer a gate is given while the logged-in page has not shown yet: not understood.
UNCONFIRMED: Symptom = "page-error"

# Bigger than this, the downloaded document is not one: the download is stopped.
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024

FEDERATION_ERROR: Symptom = "identity-provider-error"


class SkipRun(Exception):
    """The run stops here on purpose (e.g. it would only resubmit rejected credentials).

    ``answer`` is the portal's answer already on record for what this run would have
    submitted, when there is one: the diagnosis reads it as this run's own answer.
    """

    def __init__(self, reason: Detail, answer: Symptom | None = None) -> None:
        super().__init__(english(reason))
        self.reason = reason
        self.answer = answer


class CredentialGate(Protocol):
    """Shared by the runs of one diagnosis so that together they never lock the account.

    ``enter`` is awaited right before credentials are submitted and may raise ``SkipRun``;
    ``answer`` receives the portal's answer (a symptom, or None when accepted) and whether
    the login may have reached the portal at all (``sent``); an answer not yet understood
    is given as ``UNCONFIRMED``, and ``confirm`` told once the logged-in page showed; ``leave``
    is called once the second factor is done, so that the security code read from the
    outbox is surely this run's (only the latest code is valid).
    """

    async def enter(self, credentials: Credentials) -> None: ...

    def answer(
        self, credentials: Credentials, symptom: Symptom | None, *, sent: bool = True
    ) -> None: ...

    def leave(self) -> None: ...

    def confirm(self, credentials: Credentials) -> None:
        """The answer given as not understood turned out to be a login after all."""


@dataclass
class JourneyResult:
    steps: list[Step]
    symptom: Symptom = "none"
    skipped_because: Detail | None = None
    answer_on_record: Symptom | None = None

    @property
    def passed(self) -> bool:
        return self.symptom == "none" and self.skipped_because is None

    @property
    def failed_step(self) -> StepName | None:
        for step in self.steps:
            if step.outcome == "fail":
                return step.name
        return None


class _Failure(Exception):
    def __init__(self, symptom: Symptom, detail: Detail, message: str | None = None) -> None:
        super().__init__(english(detail))
        self.symptom = symptom
        self.detail = detail
        self.message = message


class Journey:
    """One run of the login journey in an already opened browser context."""

    def __init__(
        self,
        context: BrowserContext,
        target: Target,
        credentials: Credentials,
        *,
        gate: CredentialGate | None = None,
        timeouts: Timeouts | None = None,
        screenshots: Path | None = None,
        stop_after: StepName | None = None,
        no_submit: bool = False,
        sends_only: bool = False,
        name: str = "run",
        downloads: Path | None = None,
        page: Page | None = None,
    ) -> None:
        self.context = context
        self.page = page  # None: the context's first page (a browser started for this run)
        self.target = target
        self.map = target.pagemap
        self.credentials = credentials
        self.gate = gate
        self.timeouts = timeouts or Timeouts()
        # How soon the form sent and the CAPTCHA showed, where they did (see ``Runner``'s
        # narrowing-down runs).
        self.quickness = Quickness()
        self.screenshots = screenshots
        # Narrowing-down runs only need to know whether the failure reproduces: they
        # stop once the step where it happened has passed.
        self.stop_after = stop_after
        # On a portal that is not a test double: everything up to the CAPTCHA, no login.
        self.no_submit = no_submit
        # A narrowing-down run that only asks whether the form sends: the login request is
        # stopped in the browser before it reaches the portal (``probe.journey.sending``).
        self.sends_only = sends_only
        self.name = name
        self.downloads = downloads  # where Chromium saves downloads, to measure them
        self._holding_gate = False
        self._submitted_at = time.time()
        # What the login form showed before the press: the portal's answer is what changed.
        self._form_before: FormState | None = None
        self._unconfirmed = False  # the login's answer was given as not understood
        # What was typed or received: a portal may echo it back on a page, in a URL or
        # in a console message, and nothing recorded may carry it.
        self.secrets: list[str] = [credentials.identifier, credentials.password]

    async def run(self) -> JourneyResult:
        page = self.page or (
            self.context.pages[0] if self.context.pages else await self.context.new_page()
        )
        page.set_default_timeout(self.timeouts.navigation)
        recorder = Recorder(self.context, page, self.target)
        steps: list[Step] = []
        stages: list[tuple[StepName, Callable[[Page, Recorder], Awaitable[StageEnd]]]] = [
            ("open-login", self._open_login),
            ("captcha", self._captcha),
            ("credentials", self._credentials),
            ("second-factor", self._second_factor),
            ("account-home", self._account_home),
            ("download-check", self._download_check),
        ]
        try:
            result = await self._run_stages(page, recorder, stages, steps)
        finally:
            self._leave_gate()
        result.steps = [clean_step(step, self.secrets) for step in result.steps]
        if result.skipped_because is not None:
            result.skipped_because = clean_detail(result.skipped_because, self.secrets)
        return result

    async def _within_deadline(
        self,
        name: StepName,
        stage: Callable[[Page, Recorder], Awaitable[StageEnd]],
        page: Page,
        recorder: Recorder,
    ) -> StageEnd:
        """Run one stage, but never longer than probe's own deadline for a step.

        Playwright's timeouts bound each call, not a stage's loops and downloads; a
        portal that answers slowly enough (a byte every few seconds) would keep each
        call alive. Waiting for the account guard does not count: the other run it
        waits for has deadlines of its own.
        """
        if name == "credentials" and self.gate is not None and not self.sends_only:
            await self.gate.enter(self.credentials)
            self._holding_gate = True
        seconds = self.timeouts.step / 1000
        try:
            return await asyncio.wait_for(stage(page, recorder), seconds)
        except TimeoutError:
            raise _Failure(
                "timeout", Detail(key="detail.step-timeout", params={"seconds": seconds})
            ) from None

    def _leave_gate(self) -> None:
        if self._holding_gate and self.gate is not None:
            self._holding_gate = False
            self.gate.leave()

    async def _run_stages(
        self,
        page: Page,
        recorder: Recorder,
        stages: list[tuple[StepName, Callable[[Page, Recorder], Awaitable[StageEnd]]]],
        steps: list[Step],
    ) -> JourneyResult:
        for index, (name, stage) in enumerate(stages):
            started = time.monotonic()
            try:
                detail = await self._within_deadline(name, stage, page, recorder)
                if name == "second-factor":
                    self._leave_gate()
            except SkipRun as skip:
                steps.append(
                    await recorder.step(
                        name, started, "skipped", shots=None, prefix=self.name, note=skip.reason
                    )
                )
                steps += self._skipped_rest(stages[index + 1 :], NOT_REACHED)
                return JourneyResult(
                    steps, "none", skipped_because=skip.reason, answer_on_record=skip.answer
                )
            except _Failure as raised:
                failure = await _certificate_instead(page, recorder, raised)
                if browser_gone(failure.__cause__):
                    # Chromium died mid-step: what the step concluded is meaningless.
                    steps.append(noted_step(name, "fail", reported(failure.__cause__)))
                    steps += self._skipped_rest(stages[index + 1 :], NOT_REACHED)
                    return JourneyResult(steps, "browser-crashed")
                steps.append(
                    await recorder.step(
                        name,
                        started,
                        "fail",
                        shots=self.screenshots,
                        prefix=self.name,
                        message=failure.message,
                        note=failure.detail,
                    )
                )
                steps += self._skipped_rest(stages[index + 1 :], NOT_REACHED)
                return JourneyResult(steps, failure.symptom)
            except PlaywrightError as exc:
                symptom: Symptom = "timeout" if isinstance(exc, PlaywrightTimeout) else "page-error"
                if browser_gone(exc):
                    symptom = "browser-crashed"
                refused = await _certificate_instead(
                    page, recorder, _Failure(symptom, reported(exc)), str(exc)
                )
                if refused.symptom == "certificate-refused":
                    steps.append(noted_step(name, "fail", refused.detail))
                    steps += self._skipped_rest(stages[index + 1 :], NOT_REACHED)
                    return JourneyResult(steps, refused.symptom)
                steps.append(noted_step(name, "fail", reported(exc)))
                steps += self._skipped_rest(stages[index + 1 :], NOT_REACHED)
                return JourneyResult(steps, symptom)
            message = await read_message(page, self.map) if not page.is_closed() else None
            last = index == len(stages) - 1 or name == self.stop_after
            steps.append(
                await recorder.step(
                    name,
                    started,
                    "pass" if detail != SKIPPED else "skipped",
                    # Only where the journey stopped, the one picture the report shows: a
                    # screenshot costs 0.03-0.1 s, every step of a login was 0.3 s of 2.7.
                    shots=self.screenshots if last else None,
                    prefix=self.name,
                    message=message,
                    note=detail if isinstance(detail, Detail) else None,
                )
            )
            if name == self.stop_after:
                steps += self._skipped_rest(
                    stages[index + 1 :], Detail(key="detail.not-needed-here")
                )
                break
            if self.no_submit and name == "captcha":
                steps += self._skipped_rest(stages[index + 1 :], NO_SUBMIT)
                break
        return JourneyResult(steps, "none")

    @staticmethod
    def _skipped_rest(
        rest: list[tuple[StepName, Callable[[Page, Recorder], Awaitable[StageEnd]]]],
        reason: Detail,
    ) -> list[Step]:
        return [noted_step(name, "skipped", reason) for name, _ in rest]

    async def _answer(self, page: Page, recorder: Recorder) -> tuple[str | None, Symptom | None]:
        message = await read_message(page, self.map)
        return message, self.map.symptom_of(message, recorder.last_document_status)

    # -- the stages ---------------------------------------------------------------

    async def _open_login(self, page: Page, recorder: Recorder) -> StageEnd:
        try:
            response = await page.goto(self.target.login_url, wait_until="domcontentloaded")
        except PlaywrightError as exc:
            text = str(exc).splitlines()[0]
            if blocked_by_client(text):
                raise _Failure("page-error", Detail(key="detail.blocked-portal")) from exc
            error = refused_certificate_error(text) or refused_certificate_error(page.url)
            if error is not None:
                facts = await peer_certificate(self.target.login_url)
                raise _Failure("certificate-refused", certificate_detail(error, facts)) from exc
            raise _Failure(
                "portal-unreachable", Detail(key="detail.unreachable", params={"error": text})
            ) from exc
        if response is not None:
            recorder.last_document_status = response.status
        message, symptom = await self._answer(page, recorder)
        status = recorder.last_document_status
        if status is not None and status >= 400:
            raise _Failure(
                symptom or "page-error",
                Detail(key="detail.http-status", params={"status": status}),
                message,
            )
        if symptom is None and await page.locator(self.map.login_form).count() == 0:
            await form_drawn(page, self.map.login_form)
        if await page.locator(self.map.login_form).count() == 0:
            if symptom is not None:
                raise _Failure(symptom, Detail(key="detail.message-not-form"), message)
            raise _Failure("login-form-missing", Detail(key="detail.no-login-form"), message)
        if self.map.noscript and await shows(page, self.map.noscript):
            raise _Failure(
                "javascript-disabled",
                Detail(key="detail.javascript-off"),
                await visible_text(page, self.map.noscript),
            )
        self._form_before = await form_state(page, self.map)
        return None

    async def _captcha(self, page: Page, recorder: Recorder) -> StageEnd:
        if self.credentials.method == "franceconnect":
            return "skipped"
        problem = await solve_captcha(
            page,
            self.map,
            recorder.failed,
            self.timeouts,
            shown=lambda seconds: self.quickness.add(Quickness(captcha_after=seconds)),
        )
        if problem == SKIPPED:
            return "skipped"
        if problem is not None:
            raise _Failure(problem.symptom, problem.detail, problem.message)
        return None

    async def _credentials(self, page: Page, recorder: Recorder) -> StageEnd:
        # The gate was entered just before (see ``_within_deadline``).
        answer: Symptom | None = None
        sent = True  # whether the login may have reached the portal
        try:
            if self.credentials.method == "franceconnect":
                answer = await self._federation(page, recorder)
                return None
            try:
                await page.fill(self.map.identifier, self.credentials.identifier, timeout=3_000)
                await page.fill(self.map.password, self.credentials.password, timeout=3_000)
            except PlaywrightError as exc:
                answer, sent = "form-broken", False
                raise _Failure("form-broken", Detail(key="detail.form-not-filled")) from exc
            before = page.url
            if self.sends_only:
                return await self._sends(page, before)
            self._remember_form(await form_state(page, self.map))
            self._submitted_at = time.time()
            try:
                answered = await submit(
                    page,
                    self.map,
                    lambda: page.click(self.map.submit, timeout=3_000),
                    self.timeouts.submit,
                    self.timeouts.sent_within or None,
                    form=self.map.login_form,
                    button=self.map.submit,
                )
            except PlaywrightError as exc:
                answer, sent = "form-broken", not isinstance(exc, NothingSent)
                raise _Failure(
                    "form-broken",
                    Detail(key="detail.form-not-sent", params={"url": public_url(before)}),
                ) from exc
            self.quickness.add(Quickness(sent_after=answered.sent_after))
            if answered.response is None and answered.status is not None:
                recorder.last_document_status = answered.status  # the in-page answer's
            try:
                if not await self._check_login_answer(page, recorder, answered):
                    answer = UNCONFIRMED  # until the logged-in page shows
                    self._unconfirmed = True
            except _Failure as refused:
                answer = refused.symptom
                raise
            return None
        finally:
            if self.gate is not None and not self.sends_only:
                self.gate.answer(self.credentials, answer, sent=sent)

    async def _sends(self, page: Page, before: str) -> StageEnd:
        """Whether the form sends, the login stopped before it leaves the browser."""
        click = partial(page.click, self.map.submit, timeout=3_000)
        if await form_sends(page, self.context, self.map, click, self.timeouts):
            return Detail(key="detail.login-stopped")
        raise _Failure(
            "form-broken", Detail(key="detail.form-not-sent", params={"url": public_url(before)})
        )

    def _remember_form(self, state: FormState | None) -> None:
        if state is not None:
            before = self._form_before
            self._form_before = state if before is None else before | state

    async def _check_login_answer(self, page: Page, recorder: Recorder, answered: Answer) -> bool:
        """Fail with the portal's own words when it refused the login, whatever its wording.

        True when the answer is understood (the logged-in page, or a security code asked).

        The description's rules read the portal's message area first. Where they say
        nothing, what changed around the login form says it (``probe.journey.refusal``):
        the form back with new words, a new question, a 401 or 403.
        """
        if answered.response is not None:
            recorder.last_document_status = answered.response.status
        message, symptom = await self._answer(page, recorder)
        status = recorder.last_document_status
        if symptom is not None and symptom != "page-error":
            raise _Failure(
                symptom, Detail(key="detail.login-refused", params={"status": str(status)}), message
            )
        if await self._logged_in_or_asked_code(page):
            return True
        after = await form_state(page, self.map)
        words = message if after is not None else (message or await page_words(page))
        refusal = refusal_of(self.map, self._form_before, after, status, words)
        if refusal is not None:
            raise _Failure(refusal.symptom, refusal.note(status), refusal.words)
        if status is not None and status >= 400:
            raise _Failure(
                "page-error",
                Detail(key="detail.login-refused", params={"status": str(status)}),
                message,
            )
        return False

    async def _logged_in_or_asked_code(self, page: Page) -> bool:
        if await shows(page, self.map.home_marker):
            return True
        return bool(self.map.code_form) and await page.locator(self.map.code_form).count() > 0

    async def _federation(self, page: Page, recorder: Recorder) -> Symptom | None:
        """Log in through the identity federation: button, partner, partner login, back."""
        partner = self.credentials.partner or self.map.default_partner
        if not self.map.federation_button:
            raise _Failure("login-form-missing", Detail(key="detail.no-federation-step"))
        button = page.locator(self.map.federation_button)
        if await button.count() == 0:
            raise _Failure("login-form-missing", Detail(key="detail.no-federation-button"))
        async with page.expect_navigation(wait_until="domcontentloaded") as navigation:
            await button.first.click(timeout=3_000)
        await self._check_answer(
            page,
            recorder,
            await navigation.value,
            "detail.federation-answered",
            FEDERATION_ERROR,
        )
        choice = page.locator(self.map.partner_button.format(partner=partner))
        if await choice.count() == 0:
            raise _Failure(
                "identity-provider-error",
                Detail(key="detail.partner-missing", params={"partner": partner}),
            )
        async with page.expect_navigation(wait_until="domcontentloaded") as navigation:
            await choice.first.click(timeout=3_000)
        await self._check_answer(
            page, recorder, await navigation.value, "detail.partner-answered", FEDERATION_ERROR
        )
        await page.fill(self.map.partner_identifier, self.credentials.identifier, timeout=3_000)
        await page.fill(self.map.partner_password, self.credentials.password, timeout=3_000)
        async with page.expect_navigation(wait_until="load") as navigation:
            await page.click(self.map.partner_submit, timeout=3_000)
        await navigation.value
        await page.wait_for_load_state("domcontentloaded")
        await self._check_answer(page, recorder, None, "detail.back-on-portal", FEDERATION_ERROR)
        return None

    async def _check_answer(
        self,
        page: Page,
        recorder: Recorder,
        response: Response | None,
        what: str,
        fallback: Symptom = "page-error",
    ) -> None:
        """``what``: the catalog key telling the answer's HTTP status (``detail.login-refused``)."""
        """Fail with the portal's own words when the page it answered is an error."""
        if response is not None:
            recorder.last_document_status = response.status
        message, symptom = await self._answer(page, recorder)
        status = recorder.last_document_status
        if symptom is not None or (status is not None and status >= 400):
            raise _Failure(
                symptom or fallback, Detail(key=what, params={"status": str(status)}), message
            )

    async def _second_factor(self, page: Page, recorder: Recorder) -> StageEnd:
        if not self.map.code_form or await page.locator(self.map.code_form).count() == 0:
            return "skipped"
        source = self.target.code_source
        if source is None and self.target.outbox_url is not None:
            source = OutboxCodes(self.target.outbox_url)
        if source is None:
            raise SkipRun(Detail(key="detail.no-code-source"))
        found = await source.code(
            since=self._submitted_at - 1, timeout=self.timeouts.code_arrival / 1000
        )
        if found.code is None:
            key = "detail.no-code-in-spam" if found.in_spam else "detail.no-code"
            params: dict[str, ParamValue] = {"seconds": self.timeouts.code_arrival / 1000}
            if found.note is not None:
                key, params["note"] = f"{key}.note", found.note
            raise _Failure(
                "security-code-undelivered",
                Detail(key=key, params=params),
                await read_message(page, self.map),
            )
        self.secrets.append(found.code)
        await page.fill(self.map.code_input, found.code)
        answered = await submit(
            page,
            self.map,
            lambda: page.click(self.map.code_submit),
            self.timeouts.navigation,
            self.timeouts.sent_within or None,
            form=self.map.code_form,
            button=self.map.code_submit,
        )
        if answered.response is None and answered.status is not None:
            recorder.last_document_status = answered.status
        await self._check_answer(page, recorder, answered.response, "detail.code-refused")
        return None

    async def _account_home(self, page: Page, recorder: Recorder) -> StageEnd:
        try:
            await page.wait_for_selector(self.map.home_marker, timeout=3_000)
        except PlaywrightError as exc:
            message, symptom = await self._answer(page, recorder)
            raise _Failure(symptom or "page-error", Detail(key="detail.no-home"), message) from exc
        if self._unconfirmed and self.gate is not None:
            self._unconfirmed = False
            self.gate.confirm(self.credentials)
        return None

    async def _download_check(self, page: Page, recorder: Recorder) -> StageEnd:
        if not self.map.download_link:
            return "skipped"
        what = self.map.download_name or "document"
        try:
            async with page.expect_download(timeout=self.timeouts.navigation) as waiting:
                await page.click(self.map.download_link, timeout=3_000)
            download = await waiting.value
            path = await self._finished_download(download)
        except PlaywrightError as exc:
            raise _Failure(
                "download-failed", Detail(key="detail.no-download", params={"what": what})
            ) from exc
        expected = self.map.download_starts_with.encode()
        data = _first_bytes(Path(path), len(expected)) if path else b""
        if expected and data != expected:
            raise _Failure(
                "download-failed", Detail(key="detail.unexpected-file", params={"what": what})
            )
        return Detail(key="detail.downloaded", params={"file": download.suggested_filename})

    async def _finished_download(self, download: Download) -> Path | None:
        """The downloaded file, once complete; stopped when too slow or too big.

        ``Download.path()`` waits for the end of the download with no deadline: an endless
        one would hold the run forever. While it runs, the downloads folder is measured.
        """
        finished = asyncio.ensure_future(download.path())
        deadline = time.monotonic() + self.timeouts.download / 1000
        try:
            while not finished.done():
                if time.monotonic() >= deadline:
                    raise _Failure(
                        "download-failed",
                        Detail(
                            key="detail.download-too-slow",
                            params={
                                "what": self.map.download_name or "document",
                                "seconds": self.timeouts.download / 1000,
                            },
                        ),
                    )
                if (
                    self.downloads is not None
                    and _folder_bytes(self.downloads) > MAX_DOWNLOAD_BYTES
                ):
                    raise _Failure(
                        "download-failed",
                        Detail(
                            key="detail.download-too-big",
                            params={
                                "what": self.map.download_name or "document",
                                "megabytes": MAX_DOWNLOAD_BYTES // 2**20,
                            },
                        ),
                    )
                await asyncio.wait({finished}, timeout=0.2)
        except BaseException:
            with contextlib.suppress(PlaywrightError):
                await download.cancel()
            finished.cancel()
            with contextlib.suppress(BaseException):
                await finished
            raise
        return await finished


async def _certificate_instead(
    page: Page, recorder: Recorder, failure: _Failure, error: str = ""
) -> _Failure:
    """The failure as the certificate problem it is, when the browser refused a certificate
    on the way (``probe.journey.observation.refused_certificate``)."""
    if failure.symptom in ("certificate-refused", "browser-crashed"):
        return failure
    detail = await refused_certificate(page, recorder, error)
    if detail is None:
        return failure
    refused = _Failure("certificate-refused", detail, failure.message)
    refused.__cause__ = failure.__cause__
    return refused


def _folder_bytes(folder: Path) -> int:
    total = 0
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            with contextlib.suppress(OSError):
                total += entry.stat(follow_symlinks=False).st_size
    return total


def _first_bytes(path: Path, count: int) -> bytes:
    try:
        with path.open("rb") as file:
            return file.read(count)
    except OSError:
        return b""
