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
import math
import re
from pathlib import Path

from playwright.async_api import FloatRect, async_playwright

from probe._util import loops
from probe.app.scenarios import load_all
from probe.browsers.chromium.discovery import Chromium, launch_args
from probe.description.model import mock_description
from probe.description.target import Target, Timeouts, pagemap_of
from probe.journey.credentials import Credentials
from probe.journey.login import Journey
from probe.mock_portal import EmbeddedPortal
from probe.mock_portal.state import DEMO_IDENTIFIER, PortalConfig
from tests.helpers.ci_run import CiRun

# Random strings this long cannot turn up by chance inside a picture's bytes.
MIN_BINARY_SECRET_LENGTH = 16
TEXT_SUFFIXES = {".html", ".json", ".xml", ".txt", ".md", ".csv", ".log", ""}
_DATA_URI = re.compile(r"data:[a-z/+.-]+;base64,[A-Za-z0-9+/=]+")
# Their microseconds are six digits, like a one-time code.
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}\.\d+")


def leaks_in(text: str, wanted: dict[str, str]) -> list[str]:
    return [f"{kind}: {secret[:4]}…" for secret, kind in wanted.items() if secret in text]


# The scenario whose run issues each rarer kind of secret.
ISSUERS = {
    "one-time code (unlock)": "lockout-on-last-attempt",  # the attempt that locks the account
    "signed value (franceconnect-state)": "franceconnect-healthy",
    "signed value (idp-session)": "franceconnect-healthy",
    "OIDC ID token": "franceconnect-healthy",
    "OIDC access token": "franceconnect-healthy",
}


def _share(total: int, ci_run: CiRun) -> int:
    """The shard's part of a count over every scenario (rounded up: the parts add up)."""
    return math.ceil(total * len(ci_run.scenarios) / len(load_all()))


def test_every_kind_of_secret_was_issued_and_recorded(ci_run: CiRun) -> None:
    """The scan below means something only if the run really handled these secrets.

    Over all the shards: at least 10 login codes and 10 CAPTCHA tokens, an unlock code
    (a scenario locks an account), FranceConnect's state, session and OIDC tokens.
    """
    kinds = ci_run.found.by_kind
    print(ci_run.shard, sorted((kind, len(values)) for kind, values in kinds.items()))
    assert len(kinds.get("one-time code (login)", ())) >= _share(10, ci_run)
    assert len(kinds.get("signed value (captcha-token)", ())) >= _share(10, ci_run)
    names = {s.name for s in load_all()}
    here = {s.name for s in ci_run.scenarios}
    for kind, issuer in ISSUERS.items():
        assert issuer in names, f"{issuer} (which issues {kind}) is gone"
        if issuer in here:
            assert kinds.get(kind), f"{issuer} issued no {kind}"
    # What the scenarios type and plant, all of them, in every shard's scan.
    assert len(kinds["cookie value"]) >= 5
    assert len(kinds["password"]) >= 3
    assert kinds["provisional code"]
    assert len(ci_run.found.scannable()) > _share(100, ci_run)


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
) -> tuple[str, str, FloatRect | None, float, float, float]:
    target = Target(
        url=portal.url,
        sites=("portal.localhost",),
        outbox_url=portal.outbox_url,
        pagemap=pagemap_of(mock_description()),
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
            identifier = await checker.evaluate(
                _MASK_SHARE, [picture, identifier_box, list(MASK_RGB)]
            )
            button_box = await page.locator("#se-connecter").bounding_box()
            elsewhere = await checker.evaluate(_MASK_SHARE, [picture, button_box, list(MASK_RGB)])
            return step.outcome, typed, box, float(inside), float(identifier), float(elsewhere)
        finally:
            await browser.close()


def test_a_typed_password_is_painted_over_in_the_screenshot(
    probe_chromium: Chromium, tmp_path: Path
) -> None:
    config = PortalConfig()
    config.captcha.enabled = False
    with EmbeddedPortal(config) as portal:
        outcome, typed, box, inside, identifier, elsewhere = loops.run(
            photograph_a_typed_password(probe_chromium, portal, tmp_path / "screenshots")
        )
    assert outcome == "fail"  # the form never left: the password is still in the field
    assert typed == "Typed-Secret-Password-42!"
    assert box is not None and box["width"] > 20 and box["height"] > 10
    assert inside > 0.95, f"only {inside:.0%} of the password field is masked"
    # The identifier (a social-security number) is personal data: masked too.
    assert identifier > 0.95, f"only {identifier:.0%} of the identifier field is masked"
    assert elsewhere < 0.05, "the login button is no secret and stays visible"
