"""The bot-guarded test portal over HTTP, without a browser: what its description and the
browser tests rely on (the robot refusal comes before the password is looked at)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from starlette.testclient import TestClient

from probe.app.portal.draft_toml import STARTER_RULES
from probe.description.model import load_description
from probe.description.pagemap import fold
from tests.helpers.paths import BOTD_PORTAL
from tests.portals.botd_portal import DEMO_PASSWORD, DEMO_USERNAME, ROBOTS_REFUSED
from tests.portals.botd_portal.server import WRONG_PASSWORD, create_app


def _client(verdicts: list[str]) -> TestClient:
    return TestClient(create_app(verdicts), base_url="http://botd.localhost")


def test_the_login_page_runs_botd_from_the_installed_package() -> None:
    client = _client([])
    page = client.get("/login")
    assert page.status_code == 200
    assert 'import { load } from "/botd/botd.esm.js"' in page.text
    assert "monitoring: false" in page.text  # BotD's statistics request stays off
    script = client.get("/botd/botd.esm.js")
    assert script.status_code == 200 and "detectWebDriver" in script.text


def test_a_robot_is_refused_before_its_password_is_looked_at() -> None:
    verdicts: list[str] = []
    client = _client(verdicts)
    for botd in ("bot:headless_chrome", "", "error"):
        answer = client.post(
            "/login",
            data={"username": DEMO_USERNAME, "password": DEMO_PASSWORD, "botd": botd},
            follow_redirects=False,
        )
        assert answer.status_code == 403 and ROBOTS_REFUSED in answer.text
    wrong = client.post(
        "/login", data={"username": DEMO_USERNAME, "password": "x", "botd": "human"}
    )
    assert WRONG_PASSWORD in wrong.text and ROBOTS_REFUSED not in wrong.text
    right = client.post(
        "/login",
        data={"username": DEMO_USERNAME, "password": DEMO_PASSWORD, "botd": "human"},
        follow_redirects=False,
    )
    assert right.status_code == 303 and right.headers["location"] == "/account"
    assert 'id="signed-in"' in client.get("/account").text
    assert verdicts == ["bot:headless_chrome", "", "error", "human", "human"]


def _meaning(rules: Sequence[tuple[str, str]], text: str) -> str | None:
    folded = fold(text)
    return next((meaning for pattern, meaning in rules if re.search(pattern, folded)), None)


def test_the_description_and_the_draft_read_the_refusal_as_automation() -> None:
    description = load_description(BOTD_PORTAL / "portal.toml")
    rules = [(r.pattern, r.meaning) for r in description.messages.rules]
    assert _meaning(rules, ROBOTS_REFUSED) == "automation-refused"
    assert _meaning(rules, WRONG_PASSWORD) == "invalid-credentials"
    # The draft's common wordings, in both languages, before the CAPTCHA's "robot" rule.
    for lang, text in (
        ("en", ROBOTS_REFUSED),
        ("en", "Unusual traffic from your computer network. Try again later."),
        ("en", "We think you look like a robot."),
        ("fr", "Accès refusé : navigation automatisée détectée."),
        ("fr", "Trafic inhabituel depuis votre réseau."),
    ):
        assert _meaning(STARTER_RULES[lang], text) == "automation-refused", text
    assert _meaning(STARTER_RULES["en"], "Please tick the CAPTCHA.") == "captcha-rejected"
    assert _meaning(STARTER_RULES["fr"], "Cochez « je ne suis pas un robot »") == "captcha-rejected"
