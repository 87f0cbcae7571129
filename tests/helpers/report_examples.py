"""Sample diagnosis reports, with small real PNG screenshots, for tests and demos.

``example_reports()`` builds one report per kind of verdict; ``render_examples(root)``
writes each into its own folder (screenshots, ``report.json``, ``index.html``).
Some inputs deliberately carry fake secrets (``SECRETS``) in places a careless report
would leak them: query strings, console lines, free text. None may reach a written file.
"""

from __future__ import annotations

import functools
import struct
import zlib
from datetime import UTC, datetime
from pathlib import Path

from probe.models import (
    BrowserInfo,
    Component,
    CookieStats,
    CredentialFinding,
    Culprit,
    DrillNode,
    FailedRequest,
    PortalInfo,
    ProfileInfo,
    Remedy,
    Report,
    Step,
    StepName,
    VariantRun,
    Verdict,
)

PASSWORD = "Motdepasse-Secret-42!"
SECURITY_CODE = "684213"
SESSION_COOKIE = "sess-7f3c9e1d4b2a"
CAPTCHA_TOKEN = "captcha-tok-5e8a1c"
OIDC_CODE = "oidc-code-2b7d9f"
SECRETS: tuple[str, ...] = (PASSWORD, SECURITY_CODE, SESSION_COOKIE, CAPTCHA_TOKEN, OIDC_CODE)

PORTAL = "http://portal.localhost:8123"
CAPTCHA = "http://captcha.localhost:8123"
CREATED = datetime(2026, 11, 26, 20, 45, tzinfo=UTC)

_PATHS: dict[StepName, str] = {
    "open-login": "/connexion",
    "captcha": "/connexion",
    "credentials": "/connexion",
    "second-factor": "/code-securite",
    "account-home": "/compte",
    "download-check": "/compte/attestation",
}

# --- tiny PNG painter: a page-like picture without a browser --------------------------

Colour = tuple[int, int, int]
Rect = tuple[int, int, int, int, Colour]  # x, y, width, height, colour

_STEP_COLOURS: dict[str, Colour] = {
    "open-login": (31, 79, 163),
    "captcha": (0, 122, 138),
    "credentials": (90, 60, 160),
    "second-factor": (170, 100, 0),
    "account-home": (23, 102, 58),
    "download-check": (60, 60, 60),
}


def png_bytes(width: int, height: int, rects: list[Rect], background: Colour) -> bytes:
    """A valid RGB PNG of ``width`` x ``height`` with filled rectangles."""
    pixels = [[background] * width for _ in range(height)]
    for x, y, w, h, colour in rects:
        for row in pixels[max(y, 0) : min(y + h, height)]:
            row[max(x, 0) : min(x + w, width)] = [colour] * (min(x + w, width) - max(x, 0))
    raw = b"".join(b"\x00" + bytes(c for pixel in row for c in pixel) for row in pixels)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


@functools.cache
def page_picture(step: str, outcome: str) -> bytes:
    """A 320x200 sketch of a portal page at ``step``; failures get a red message band."""
    accent = _STEP_COLOURS.get(step, (80, 80, 80))
    rects: list[Rect] = [
        (0, 0, 320, 28, accent),  # portal header
        (16, 44, 180, 12, (40, 40, 40)),  # page title
        (16, 70, 288, 90, (236, 239, 244)),  # the form
        (28, 84, 200, 14, (255, 255, 255)),
        (28, 106, 200, 14, (255, 255, 255)),
        (28, 132, 90, 18, accent),  # button
    ]
    if outcome == "fail":
        rects.append((16, 166, 288, 22, (200, 40, 30)))
    return png_bytes(320, 200, rects, (255, 255, 255))


def write_screenshots(report: Report, out_dir: Path) -> None:
    """Write a real PNG for every screenshot path ``report`` refers to, under ``out_dir``."""
    for run in report.variants:
        for step in run.steps:
            if step.screenshot:
                target = out_dir / step.screenshot
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(page_picture(step.name, step.outcome))


# --- building blocks -------------------------------------------------------------------


def _steps(
    run: str,
    passed: list[StepName],
    failed: StepName | None = None,
    **failure: object,
) -> list[Step]:
    steps = [
        Step(
            name=name,
            outcome="pass",
            url=PORTAL + _PATHS[name],
            http_status=200,
            duration_ms=400 + 150 * index,
            screenshot=f"screenshots/{run}-{name}.png",
        )
        for index, name in enumerate(passed)
    ]
    if failed is not None:
        fields: dict[str, object] = {
            "name": failed,
            "outcome": "fail",
            "url": PORTAL + _PATHS[failed],
            "duration_ms": 1500,
            "screenshot": f"screenshots/{run}-{failed}.png",
            **failure,
        }
        steps.append(Step.model_validate(fields))
        # Like the journey: the stages after a failure are recorded as skipped.
        later = list(_PATHS)[list(_PATHS).index(failed) + 1 :]
        steps += [Step(name=name, outcome="skipped") for name in later]
    return steps


def _run(
    name: str,
    steps: list[Step],
    started_ms: int,
    *,
    symptom: str = "none",
    message: str | None = None,
    kept: list[str] | None = None,
) -> VariantRun:
    failed = next((s.name for s in steps if s.outcome == "fail"), None)
    return VariantRun.model_validate(
        {
            "name": name,
            "outcome": "fail" if failed else "pass",
            "symptom": symptom,
            "failed_step": failed,
            "message": message,
            "kept": kept or [],
            "steps": steps,
            "duration_ms": sum(s.duration_ms for s in steps),
            "started_ms": started_ms,
        }
    )


def _skipped(name: str, reason: str, started_ms: int) -> VariantRun:
    return VariantRun(name=name, outcome="skipped", skipped_reason=reason, started_ms=started_ms)


def _report(
    verdict: Verdict,
    variants: list[VariantRun],
    *,
    components: list[Component] | None = None,
    drilldown: list[DrillNode] | None = None,
    credentials: list[CredentialFinding] | None = None,
    lang: str = "en",
    portal_url: str = PORTAL + "/connexion",
) -> Report:
    duration = max((v.started_ms + v.duration_ms for v in variants), default=0) + 300
    return Report.model_validate(
        {
            "probe_version": "0.1.0",
            "created_at": CREATED,
            "lang": lang,
            "portal": PortalInfo(url=portal_url, embedded=True, scenario="example"),
            "browser": BrowserInfo(
                product="Chromium",
                version="156.0.8078.108",
                executable="/usr/lib/chromium/chromium",
            ),
            "profile": ProfileInfo(
                source="/home/someone/.config/chromium",
                kind="default-chromium",
                components=components or [],
            ),
            "credentials": credentials or [],
            "verdict": verdict,
            "variants": variants,
            "drilldown": drilldown or [],
            "browser_runs": sum(v.outcome != "skipped" for v in variants),
            "duration_ms": duration,
        }
    )


ALL_STEPS: list[StepName] = [
    "open-login",
    "captcha",
    "credentials",
    "second-factor",
    "account-home",
    "download-check",
]

AD_SHIELD = Component(kind="extension", id="abcdefghijklmnopabcdefghijklmnop", name="Ad Shield")
DARK_READER = Component(kind="extension", id="ponmlkjihgfedcbaponmlkjihgfedcba", name="Night Page")
TRANSLATOR = Component(
    kind="extension", id="aaaabbbbccccddddaaaabbbbccccdddd", name="Quick Translate"
)
COMPONENTS = [
    AD_SHIELD,
    DARK_READER,
    TRANSLATOR,
    Component(kind="cookie", id="tracking@portal.localhost", name="tracking (portal.localhost)"),
    Component(kind="cookie", id="lang@portal.localhost", name="lang (portal.localhost)"),
    Component(kind="setting", id="third-party-cookies", name="Block third-party cookies"),
    Component(kind="site-data", id="site-data", name="Saved data of portal.localhost"),
]


def _remedy(rid: str, en: str, fr: str) -> Remedy:
    return Remedy(id=rid, en=en, fr=fr)


def ok_report() -> Report:
    steps = _steps("current", ALL_STEPS)
    # The engine should already have dropped this query string; the report must anyway.
    steps[3] = steps[3].model_copy(update={"url": f"{PORTAL}/code-securite?code={SECURITY_CODE}"})
    callback = f"{PORTAL}/franceconnect/callback?code={OIDC_CODE}&state=st-1#frag"
    steps[4] = steps[4].model_copy(update={"detail": f"arrived from {callback}"})
    verdict = Verdict(
        status="ok",
        factor="none",
        summary_en="You can log in with your browser as it is: nothing is blocking access",
        summary_fr="La connexion fonctionne avec votre navigateur tel quel : rien ne bloque",
    )
    variants = [
        _run("current", steps, 0),
        _skipped("private", "your browser already works, so no other set-up was needed", 6200),
    ]
    return _report(
        verdict,
        variants,
        components=COMPONENTS,
        portal_url=f"{PORTAL}/connexion?session={SESSION_COOKIE}",
    )


def extension_report() -> Report:
    blocked = FailedRequest(
        url=f"{CAPTCHA}/api.js?token={CAPTCHA_TOKEN}",
        resource_type="script",
        error="net::ERR_BLOCKED_BY_CLIENT",
    )
    console = [
        f"Failed to load resource: net::ERR_BLOCKED_BY_CLIENT {CAPTCHA}/api.js?token={CAPTCHA_TOKEN}",
        f"Cookie: session={SESSION_COOKIE}; lang=fr",
    ]
    captcha_failure: dict[str, object] = {
        "detail": f"the widget script never loaded (form would post password={PASSWORD})",
        "failed_requests": [blocked],
        "console_errors": console,
        "cookies": CookieStats(count=4, total_bytes=312),
    }
    ext = [AD_SHIELD.id, DARK_READER.id, TRANSLATOR.id]
    variants = [
        _run(
            "current",
            _steps("current", ["open-login"], "captcha", **captcha_failure),
            0,
            symptom="captcha-blocked",
            kept=[c.id for c in COMPONENTS],
        ),
        _run("private", _steps("private", ALL_STEPS), 2100),
        _run("no-extensions", _steps("no-extensions", ALL_STEPS), 8400, kept=[]),
        _run(
            "cookies-cleared",
            _steps("cookies-cleared", ["open-login"], "captcha", **captcha_failure),
            14700,
            symptom="captcha-blocked",
            kept=ext,
        ),
        _run(
            "drill-1",
            _steps("drill-1", ["open-login"], "captcha", **captcha_failure),
            16800,
            symptom="captcha-blocked",
            kept=ext[:2],
        ),
        _run("drill-2", _steps("drill-2", ALL_STEPS), 18900, kept=ext[1:2]),
        _run(
            "drill-3",
            _steps("drill-3", ["open-login"], "captcha", **captcha_failure),
            25200,
            symptom="captcha-blocked",
            kept=ext[:1],
        ),
    ]
    drilldown = [
        DrillNode(run="drill-1", kept=ext[:2], outcome="fail", parent="current"),
        DrillNode(run="drill-2", kept=ext[1:2], outcome="pass", parent="drill-1"),
        DrillNode(run="drill-3", kept=ext[:1], outcome="fail", parent="drill-1"),
    ]
    verdict = Verdict(
        status="blocked",
        factor="extension",
        culprits=[Culprit(kind="extension", id=AD_SHIELD.id, name=AD_SHIELD.name)],
        summary_en="An extension, 'Ad Shield', stops the security check from appearing",
        summary_fr="Une extension, « Ad Shield », empêche la case anti-robot de s'afficher",
        remedies=[
            _remedy(
                "disable-extension",
                "Turn off the 'Ad Shield' extension for this site, or altogether.",
                "Désactivez l'extension « Ad Shield » pour ce site, ou complètement.",
            ),
            _remedy(
                "reload",
                "Reload the login page and tick the “I am not a robot” box.",
                "Rechargez la page de connexion et cochez la case « Je ne suis pas un robot ».",
            ),
        ],
        if_that_fails=[
            _remedy(
                "private-window",
                "Log in from a private window, where extensions are off.",
                "Connectez-vous depuis une fenêtre privée, où les extensions sont coupées.",
            ),
            _remedy(
                "support",
                "Call the support line, 36 46.",
                "Appelez le service d'assistance au 36 46.",
            ),
        ],
    )
    return _report(verdict, variants, components=COMPONENTS, drilldown=drilldown)


def cookies_report() -> Report:
    failure: dict[str, object] = {
        "http_status": 431,
        "message": "En-têtes de requête trop volumineux",
        "cookies": CookieStats(count=48, total_bytes=9400),
    }
    variants = [
        _run(
            "current",
            _steps("current", [], "open-login", **failure),
            0,
            symptom="headers-too-large",
            message="En-têtes de requête trop volumineux",
        ),
        _run("private", _steps("private", ALL_STEPS), 1600),
        _run("cookies-cleared", _steps("cookies-cleared", ALL_STEPS), 7900),
    ]
    verdict = Verdict(
        status="blocked",
        factor="cookies",
        culprits=[Culprit(kind="cookie", id="tracking@portal.localhost", name="tracking")],
        summary_en="Too many cookies for the portal stop the login page from opening",
        summary_fr="Trop de cookies pour le portail empêchent la page de connexion de s'ouvrir",
        remedies=[
            _remedy(
                "clear-cookies",
                "Delete the cookies of the portal's site in your browser settings.",
                "Supprimez les cookies du site du portail dans les réglages du navigateur.",
            ),
            _remedy(
                "reload",
                "Open the login page again.",
                "Ouvrez de nouveau la page de connexion.",
            ),
        ],
    )
    return _report(verdict, variants, components=COMPONENTS, lang="fr")


def maintenance_report() -> Report:
    message = "Service momentanément indisponible"
    failure: dict[str, object] = {"http_status": 503, "message": message}
    reason = "the portal itself is down, so changing the browser cannot help"
    variants = [
        _run(
            "current",
            _steps("current", [], "open-login", **failure),
            0,
            symptom="maintenance",
            message=message,
        ),
        _run(
            "fresh",
            _steps("fresh", [], "open-login", **failure),
            1700,
            symptom="maintenance",
            message=message,
        ),
        _skipped("no-extensions", reason, 3300),
        _skipped("cookies-cleared", reason, 3300),
    ]
    verdict = Verdict(
        status="blocked",
        factor="maintenance",
        summary_en="The portal is closed for maintenance: nothing on your side is wrong",
        summary_fr="Le portail est fermé pour maintenance : rien ne cloche de votre côté",
        remedies=[
            _remedy(
                "wait",
                "Try again later, ideally outside busy hours (early morning or evening).",
                "Réessayez plus tard, de préférence aux heures creuses (tôt le matin ou le soir).",
            )
        ],
        if_that_fails=[
            _remedy(
                "support",
                "If it lasts more than a day, call the support line, 36 46.",
                "Si cela dure plus d'une journée, appelez le 36 46.",
            )
        ],
    )
    return _report(verdict, variants)


def account_locked_report() -> Report:
    message = "Compte verrouillé après plusieurs tentatives"
    failure: dict[str, object] = {
        "http_status": 403,
        "message": message,
        "console_errors": [f"POST {PORTAL}/connexion?mot-de-passe={PASSWORD} 403 (Forbidden)"],
    }
    variants = [
        _run(
            "current",
            _steps("current", ["open-login", "captcha"], "credentials", **failure),
            0,
            symptom="account-locked",
            message=message,
        ),
        _run(
            "credentials-normalized",
            _steps("credentials-normalized", ["open-login", "captcha"], "credentials", **failure),
            4100,
            symptom="account-locked",
            message=message,
        ),
    ]
    verdict = Verdict(
        status="blocked",
        factor="account-locked",
        summary_en="The account is locked after too many wrong passwords",
        summary_fr="Le compte est verrouillé après trop de mots de passe erronés",
        remedies=[
            _remedy(
                "call-support",
                "Call 36 46 with your Vitale card at hand and ask for an unlock code.",
                "Appelez le 36 46, carte Vitale en main, et demandez un code de déblocage.",
            ),
            _remedy(
                "new-password",
                "Once unlocked, choose a new password.",
                "Une fois débloqué, choisissez un nouveau mot de passe.",
            ),
        ],
    )
    findings = [
        CredentialFinding(
            field="identifier", issue="trailing-space", detail="the identifier ends with a space"
        )
    ]
    return _report(verdict, variants, credentials=findings)


def example_reports() -> dict[str, Report]:
    """One sample report per kind of verdict, keyed by a short name."""
    return {
        "ok": ok_report(),
        "extension": extension_report(),
        "cookies": cookies_report(),
        "maintenance": maintenance_report(),
        "account-locked": account_locked_report(),
    }


def render_examples(root: Path) -> dict[str, Path]:
    """Write every example report into ``root/<name>/``; return the ``index.html`` paths."""
    from probe.report import write_report

    pages: dict[str, Path] = {}
    for name, report in example_reports().items():
        out_dir = root / name
        write_screenshots(report, out_dir)
        pages[name] = write_report(report, out_dir)
    return pages
