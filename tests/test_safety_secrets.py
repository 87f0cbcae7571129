"""No secret ever leaves a diagnosis: not in the terminal, the reports, JUnit or any file.

``probe ci`` runs every scenario in-process (the real CLI through Typer's runner) while
the embedded portals are watched: every one-time code they issue, every CAPTCHA token,
OIDC code, access and ID token, session id, CSRF token and signed cookie they hand out
is recorded. With the passwords and provisional codes the scenarios type and the cookie
values their recipes plant, that is every secret of the run; none may appear in any
file under the report folder, in the JUnit file or in what the CLI printed.

Screenshots are pictures, so a separate test types a password on the portal, lets the
journey photograph the login form, and checks that the picture's solid mask (Playwright
paints ``#FF00FF``) covers the password field.
"""

from __future__ import annotations

import base64
import re
import secrets
import types
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from itsdangerous import URLSafeTimedSerializer
from playwright.async_api import FloatRect, async_playwright
from typer.testing import CliRunner

import probe.portal.accounts
import probe.portal.captcha
import probe.portal.franceconnect
import probe.portal.idp
import probe.portal.oidc
import probe.portal.runtime
import probe.portal.sessions
from probe import loops
from probe.chromium import Chromium, launch_args
from probe.cli import app
from probe.credentials import Credentials
from probe.journey import Journey, Target, Timeouts
from probe.pagemap import PageMap
from probe.portal import EmbeddedPortal
from probe.portal.state import DEMO_IDENTIFIER, DEMO_PARTNER_PASSWORD, DEMO_PASSWORD, PortalConfig
from probe.recipes import CookieSeed, load_cookie_jar
from probe.scenarios import Scenario, load_all

pytestmark = pytest.mark.browser

# Shorter values are no secret worth the name (a 2-letter language cookie) and would
# match ordinary text; one-time codes have 6 digits.
MIN_SECRET_LENGTH = 6
# Random strings this long cannot turn up by chance inside a picture's bytes.
MIN_BINARY_SECRET_LENGTH = 16
TEXT_SUFFIXES = {".html", ".json", ".xml", ".txt", ".md", ".csv", ".log", ""}
_DATA_URI = re.compile(r"data:[a-z/+.-]+;base64,[A-Za-z0-9+/=]+")
# Their microseconds are six digits, like a one-time code.
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}\.\d+")


@dataclass
class Secrets:
    """Every secret a run involved, by kind, as the test learned them."""

    by_kind: dict[str, set[str]] = field(default_factory=dict)

    def add(self, kind: str, value: str) -> None:
        self.by_kind.setdefault(kind, set()).add(value)

    def scannable(self) -> dict[str, str]:
        """secret -> its kind, for every secret long enough to search for."""
        return {
            value: kind
            for kind, values in self.by_kind.items()
            for value in values
            if len(value) >= MIN_SECRET_LENGTH
        }


class RecordingSecrets(types.ModuleType):
    """Stands in for the ``secrets`` module inside the portal: same values, all recorded."""

    def __init__(self, found: Secrets) -> None:
        super().__init__("secrets")
        self.found = found

    def token_urlsafe(self, nbytes: int | None = None) -> str:
        value = secrets.token_urlsafe(nbytes)
        self.found.add("random token (session, CSRF, OIDC code/state/nonce, access token)", value)
        return value

    def token_hex(self, nbytes: int | None = None) -> str:
        value = secrets.token_hex(nbytes)
        self.found.add("random hex", value)
        return value

    def token_bytes(self, nbytes: int | None = None) -> bytes:
        value = secrets.token_bytes(nbytes)
        self.found.add("portal secret key (hex)", value.hex())
        return value

    def randbelow(self, exclusive_upper_bound: int) -> int:
        return secrets.randbelow(exclusive_upper_bound)


def record_portal_secrets(monkeypatch: pytest.MonkeyPatch, found: Secrets) -> None:
    stand_in = RecordingSecrets(found)
    for module in (
        probe.portal.accounts,
        probe.portal.captcha,
        probe.portal.franceconnect,
        probe.portal.idp,
        probe.portal.oidc,
        probe.portal.runtime,
        probe.portal.sessions,
    ):
        monkeypatch.setattr(module, "secrets", stand_in)

    real_issue_code = probe.portal.accounts.issue_code

    def issue_code(runtime: Any, identifier: str, purpose: Any) -> str:
        code = real_issue_code(runtime, identifier, purpose)
        found.add(f"one-time code ({purpose})", code)
        return code

    monkeypatch.setattr(probe.portal.accounts, "issue_code", issue_code)

    real_dumps = URLSafeTimedSerializer.dumps

    def dumps(self: URLSafeTimedSerializer, obj: Any, salt: Any = None) -> Any:
        signed = real_dumps(self, obj, salt)
        salt = self.salt.decode() if isinstance(self.salt, bytes) else str(self.salt)
        found.add(f"signed value ({salt})", str(signed))
        return signed

    monkeypatch.setattr(URLSafeTimedSerializer, "dumps", dumps)

    real_exchange = probe.portal.oidc.exchange_code

    def exchange_code(runtime: Any, request: Any, issuer: str) -> Any:
        answer = real_exchange(runtime, request, issuer)
        found.add("OIDC client secret", request.client_secret)
        if isinstance(answer, probe.portal.oidc.TokenAnswer):
            found.add("OIDC ID token", answer.id_token)
            found.add("OIDC access token", answer.access_token)
        return answer

    monkeypatch.setattr(probe.portal.oidc, "exchange_code", exchange_code)


def cookie_values(seeds: list[CookieSeed]) -> set[str]:
    return {seed.value() for seed in seeds}


def typed_secrets(scenarios: list[Scenario], found: Secrets) -> None:
    """What the scenarios type and plant: passwords, provisional codes, cookie values."""
    found.add("password", DEMO_PASSWORD)
    found.add("password", DEMO_PARTNER_PASSWORD)
    for scenario in scenarios:
        typed = scenario.credentials
        found.add("password", typed.password)
        if typed.provisional_code:
            found.add("provisional code", typed.provisional_code)
        configs: list[PortalConfig] = [scenario.portal]
        if scenario.build_portal is not None:
            configs.append(scenario.build_portal)
        for config in configs:
            for account in config.accounts:
                found.add("password", account.password)
            for codes in config.provisional_codes.values():
                for code in codes:
                    found.add("provisional code", code)
        seeds = list(scenario.profile.cookies)
        for jar in scenario.profile.cookie_jars:
            seeds += load_cookie_jar(jar).cookies
        for value in cookie_values(seeds):
            found.add("cookie value", value)


@dataclass
class CiRun:
    root: Path
    junit: Path
    terminal: str
    scenarios: list[Scenario]
    found: Secrets


@pytest.fixture(scope="module")
def ci_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CiRun]:
    """``probe ci`` over every scenario, with the portals' secrets recorded."""
    root = tmp_path_factory.mktemp("ci-secrets")
    found = Secrets()
    scenarios = load_all()
    typed_secrets(scenarios, found)
    with pytest.MonkeyPatch.context() as monkeypatch:
        record_portal_secrets(monkeypatch, found)
        result = CliRunner().invoke(
            app,
            [
                "ci",
                "--jobs",
                "2",
                "--report-dir",
                str(root / "reports"),
                "--junit",
                str(root / "junit.xml"),
            ],
            env={"COLUMNS": "200"},
        )
    yield CiRun(
        root=root,
        junit=root / "junit.xml",
        terminal=result.stdout + result.stderr,
        scenarios=scenarios,
        found=found,
    )


def leaks_in(text: str, wanted: dict[str, str]) -> list[str]:
    return [f"{kind}: {secret[:4]}…" for secret, kind in wanted.items() if secret in text]


def test_every_kind_of_secret_was_issued_and_recorded(ci_run: CiRun) -> None:
    """The scan below means something only if the run really handled these secrets."""
    kinds = ci_run.found.by_kind
    print(sorted((kind, len(values)) for kind, values in kinds.items()))
    assert len(kinds["one-time code (login)"]) >= 10
    assert kinds["one-time code (unlock)"], "a scenario locks an account"
    assert len(kinds["signed value (captcha-token)"]) >= 10
    assert kinds["signed value (franceconnect-state)"] and kinds["signed value (idp-session)"]
    assert kinds["OIDC ID token"] and kinds["OIDC access token"]
    assert len(kinds["cookie value"]) >= 5
    assert len(kinds["password"]) >= 3
    assert kinds["provisional code"]
    assert len(ci_run.found.scannable()) > 100


def test_no_secret_appears_in_any_file_or_on_the_terminal(ci_run: CiRun) -> None:
    reports = ci_run.root / "reports"
    for scenario in ci_run.scenarios:
        assert (reports / scenario.name / "report.json").is_file(), scenario.name
    wanted = ci_run.found.scannable()
    long_ones = {s: k for s, k in wanted.items() if len(s) >= MIN_BINARY_SECRET_LENGTH}
    leaks: dict[str, list[str]] = {}
    scanned = 0
    for path in [ci_run.junit, *sorted(p for p in reports.rglob("*") if p.is_file())]:
        scanned += 1
        data = path.read_bytes()
        if path.suffix in TEXT_SUFFIXES:
            text = data.decode("utf-8")
            # Inlined screenshots are base64 noise, where 6 digits turn up by chance;
            # the pictures in them are scanned like the files for long secrets.
            found = leaks_in(_TIMESTAMP.sub("", _DATA_URI.sub("", text)), wanted)
            for uri in _DATA_URI.findall(text):
                picture = base64.b64decode(uri.split(",", 1)[1])
                found += leaks_in(picture.decode("latin-1"), long_ones)
        else:
            found = leaks_in(data.decode("latin-1"), long_ones)
        if found:
            leaks[str(path.relative_to(ci_run.root))] = found
    terminal = leaks_in(ci_run.terminal, wanted)
    if terminal:
        leaks["terminal"] = terminal
    assert scanned > 3 * len(ci_run.scenarios)
    assert leaks == {}


def test_screenshots_have_alt_text_that_quotes_nothing_typed(ci_run: CiRun) -> None:
    reports = ci_run.root / "reports"
    alts: list[str] = []
    for page in reports.glob("*/index.html"):
        alts += re.findall(r'alt="([^"]*)"', page.read_text(encoding="utf-8"))
    assert alts, "the reports show screenshots"
    assert leaks_in("\n".join(alts), ci_run.found.scannable()) == []


# ---------------------------------------------------------------- masked screenshots

MASK_RGB = (255, 0, 255)

# Reads pixels of a JPEG in Chromium (no imaging library needed): the share of pixels
# inside ``box`` that are the mask's colour, give or take JPEG's rounding.
_MASK_SHARE = """async ([data, box, rgb]) => {
  const image = new Image();
  image.src = "data:image/jpeg;base64," + data;
  await image.decode();
  const canvas = document.createElement("canvas");
  canvas.width = image.width;
  canvas.height = image.height;
  const context = canvas.getContext("2d");
  context.drawImage(image, 0, 0);
  const inset = 3;  // JPEG blurs the mask's edge
  const x = Math.ceil(box.x) + inset, y = Math.ceil(box.y) + inset;
  const w = Math.floor(box.width) - 2 * inset, h = Math.floor(box.height) - 2 * inset;
  const pixels = context.getImageData(x, y, w, h).data;
  let masked = 0;
  for (let i = 0; i < pixels.length; i += 4) {
    const near = Math.abs(pixels[i] - rgb[0]) < 40 && Math.abs(pixels[i + 1] - rgb[1]) < 40
      && Math.abs(pixels[i + 2] - rgb[2]) < 40;
    if (near) masked += 1;
  }
  return masked / (pixels.length / 4);
}"""

# What a broken extension does: the login form never leaves the page.
_SWALLOW_SUBMIT = "document.addEventListener('submit', (event) => event.preventDefault(), true);"


async def photograph_a_typed_password(
    chromium: Chromium, portal: EmbeddedPortal, shots: Path
) -> tuple[str, str, FloatRect | None, float, float]:
    target = Target(
        url=portal.url,
        sites=("portal.localhost",),
        outbox_url=portal.outbox_url,
        pagemap=PageMap(),
    )
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(chromium.executable), args=launch_args()
        )
        try:
            context = await browser.new_context(viewport={"width": 1000, "height": 720})
            await context.add_init_script(_SWALLOW_SUBMIT)
            journey = Journey(
                context,
                target,
                Credentials(DEMO_IDENTIFIER, "Typed-Secret-Password-42!"),
                timeouts=Timeouts(submit=1_500),
                screenshots=shots,
                name="current",
            )
            result = await journey.run()
            page = context.pages[0]
            box = await page.locator("#mot-de-passe").bounding_box()
            typed = await page.locator("#mot-de-passe").input_value()
            step = next(s for s in result.steps if s.name == "credentials")
            assert step.screenshot is not None, step
            picture = base64.b64encode((shots.parent / step.screenshot).read_bytes()).decode()
            checker = await context.new_page()
            inside = await checker.evaluate(_MASK_SHARE, [picture, box, list(MASK_RGB)])
            identifier_box = await page.locator("#identifiant").bounding_box()
            elsewhere = await checker.evaluate(
                _MASK_SHARE, [picture, identifier_box, list(MASK_RGB)]
            )
            return step.outcome, typed, box, float(inside), float(elsewhere)
        finally:
            await browser.close()


def test_a_typed_password_is_painted_over_in_the_screenshot(
    chromium: Chromium, tmp_path: Path
) -> None:
    config = PortalConfig()
    config.captcha.enabled = False
    with EmbeddedPortal(config) as portal:
        outcome, typed, box, inside, elsewhere = loops.run(
            photograph_a_typed_password(chromium, portal, tmp_path / "screenshots")
        )
    assert outcome == "fail"  # the form never left: the password is still in the field
    assert typed == "Typed-Secret-Password-42!"
    assert box is not None and box["width"] > 20 and box["height"] > 10
    assert inside > 0.95, f"only {inside:.0%} of the password field is masked"
    assert elsewhere < 0.05, "the identifier field is not a secret and stays visible"
