"""The mock portal under load: many people logging in at once over real HTTP.

Twenty login journeys run concurrently against one ``EmbeddedPortal`` (uvicorn on a
loopback port), each as its own browser-like client: its own cookie jar, the CAPTCHA
token fetched from the vendor's endpoint the way the widget does, its own security code
read from the outbox. Meanwhile other accounts are locked by repeated wrong passwords.
Nothing may leak from one person to another: not a code, not a session, not a lockout.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from probe._util import loops
from probe.mock_portal import EmbeddedPortal
from probe.mock_portal.captcha import SITE_KEY
from probe.mock_portal.state import Account, PortalConfig

PEOPLE = 20
ATTACKED = 4
THRESHOLD = 3
PASSWORD = "Concurrent-Login-2026!"
# A guard against a deadlock, not a speed target: under pytest-xdist the other worker runs
# browsers on the same 2 cores, and 10 s was once not enough for 20 logins.
TIME_LIMIT_SECONDS = 60

_CSRF = re.compile(r'name="csrf_token" value="([^"]*)"')
_RELEASE = re.compile(r'name="version_formulaire" value="(\d+)"')
_CODE = re.compile(r"\b(\d{6})\b")


def person(index: int) -> Account:
    # The home page shows the first five digits and the phone's last two: both unique.
    return Account(
        identifier=f"1{index:02d}0775123456"[:13],
        password=PASSWORD,
        phone=f"+336123456{index:02d}",
    )


class Loopback(httpx.AsyncBaseTransport):
    """Sends ``http://NAME.localhost:PORT/...`` to 127.0.0.1, keeping the Host header.

    Python cannot resolve ``*.localhost``; browsers can. The client's cookie jar still
    sees the site names, so each site keeps its own cookies, as in a browser.
    """

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        real = request.url.copy_with(host="127.0.0.1")
        forwarded = httpx.Request(
            request.method, real, headers=request.headers, content=request.content
        )
        return await self.inner.handle_async_request(forwarded)

    async def aclose(self) -> None:
        await self.inner.aclose()


@dataclass
class Outcome:
    identifier: str
    code: str
    home: str
    session: str


class Browser:
    """One person's browser: a cookie jar and the portal's three sites."""

    def __init__(self, portal: EmbeddedPortal) -> None:
        self.portal = f"http://portal.localhost:{portal.port}"
        self.captcha = f"http://captcha.localhost:{portal.port}"
        self.client = httpx.AsyncClient(transport=Loopback(), timeout=TIME_LIMIT_SECONDS)

    async def __aenter__(self) -> Browser:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.client.aclose()

    async def captcha_token(self) -> str:
        """What the widget in the iframe does when the box is ticked."""
        answer = await self.client.post(
            f"{self.captcha}/api/verify",
            json={"sitekey": SITE_KEY, "parent": self.portal},
            headers={"Origin": self.captcha},
        )
        body = answer.json()
        assert body["result"] == "pass", body
        token: str = body["token"]
        return token

    async def submit_login(self, identifier: str, password: str) -> httpx.Response:
        page = await self.client.get(f"{self.portal}/connexion")
        csrf, release = _CSRF.search(page.text), _RELEASE.search(page.text)
        assert csrf and release
        form = {
            "csrf_token": csrf.group(1),
            "version_formulaire": release.group(1),
            "identifiant": identifier,
            "mot_de_passe": password,
            "captcha_token": await self.captcha_token(),
        }
        return await self.client.post(f"{self.portal}/connexion", data=form)

    async def my_code(self, phone: str) -> str:
        """The person reads their own phone: the outbox filtered on their number."""
        answer = await self.client.get(f"{self.portal}/_outbox/api/messages", params={"to": phone})
        messages = answer.json()["messages"]
        assert len(messages) == 1, messages
        found = _CODE.search(messages[0]["body"])
        assert found
        return found.group(1)

    async def log_in(self, account: Account) -> Outcome:
        answer = await self.submit_login(account.identifier, account.password)
        assert answer.status_code == 303 and answer.headers["location"] == "/code-securite"
        page = await self.client.get(f"{self.portal}/code-securite")
        csrf = _CSRF.search(page.text)
        assert csrf
        code = await self.my_code(account.phone)
        answer = await self.client.post(
            f"{self.portal}/code-securite", data={"csrf_token": csrf.group(1), "code": code}
        )
        assert answer.status_code == 303 and answer.headers["location"] == "/compte", answer.text
        home = await self.client.get(f"{self.portal}/compte")
        assert home.status_code == 200
        session = self.client.cookies.get("session_portail", domain="portal.localhost")
        assert session
        return Outcome(account.identifier, code, home.text, session)

    async def hammer(self, identifier: str) -> list[int]:
        """Wrong passwords until the portal locks the account."""
        statuses = []
        for attempt in range(THRESHOLD + 1):
            answer = await self.submit_login(identifier, f"wrong-{attempt}")
            statuses.append(answer.status_code)
        return statuses


@pytest.fixture
def crowded_portal() -> Iterator[EmbeddedPortal]:
    accounts = [person(i) for i in range(PEOPLE + ATTACKED)]
    config = PortalConfig(accounts=accounts, lockout_threshold=THRESHOLD)
    with EmbeddedPortal(config) as portal:
        yield portal


async def login_everyone(portal: EmbeddedPortal) -> tuple[list[Outcome], list[list[int]]]:
    async def one(index: int) -> Outcome:
        async with Browser(portal) as browser:
            return await browser.log_in(person(index))

    async def attack(index: int) -> list[int]:
        async with Browser(portal) as browser:
            return await browser.hammer(person(index).identifier)

    async with asyncio.timeout(TIME_LIMIT_SECONDS):
        logins = [asyncio.create_task(one(i)) for i in range(PEOPLE)]
        attacks = [asyncio.create_task(attack(PEOPLE + i)) for i in range(ATTACKED)]
        return list(await asyncio.gather(*logins)), list(await asyncio.gather(*attacks))


def test_twenty_people_log_in_at_once_and_nothing_leaks_between_them(
    crowded_portal: EmbeddedPortal,
) -> None:
    outcomes, attacks = loops.run(login_everyone(crowded_portal))
    runtime = crowded_portal.runtime

    # Every person reached their own home, shown with their own identifier and phone.
    for index, outcome in enumerate(outcomes):
        account = person(index)
        assert outcome.identifier == account.identifier
        assert f"{account.identifier[:5]} •••• ••••" in outcome.home
        assert f"•• •• •• {account.phone[-2:]}" in outcome.home
        others = [person(j) for j in range(PEOPLE + ATTACKED) if j != index]
        assert not any(f"{o.identifier[:5]} ••••" in outcome.home for o in others)

    # One code per person, sent to that person only, and spent by that person.
    inbox = [m for m in runtime.outbox if m.subject == "Votre code de sécurité"]
    assert sorted(m.to for m in inbox) == sorted(person(i).phone for i in range(PEOPLE))
    for index, outcome in enumerate(outcomes):
        issued = runtime.codes[(person(index).identifier, "login")]
        assert issued.code == outcome.code and issued.used

    # One session per person, each logged in as that person only.
    sessions = {o.session for o in outcomes}
    assert len(sessions) == PEOPLE
    for outcome in outcomes:
        assert runtime.sessions[outcome.session].identifier == outcome.identifier

    # The attacked accounts are locked; nobody else lost a single attempt.
    for statuses in attacks:
        assert statuses == [401] * (THRESHOLD - 1) + [403, 403]
    for index in range(PEOPLE + ATTACKED):
        account = runtime.accounts[person(index).identifier]
        if index < PEOPLE:
            assert account.status == "active" and account.failed_attempts == 0
        else:
            assert account.status == "locked"
    unlock = [m for m in runtime.outbox if m.subject == "Déverrouillage de votre compte"]
    assert sorted(m.to for m in unlock) == sorted(person(PEOPLE + i).phone for i in range(ATTACKED))


async def race_one_token(portal: EmbeddedPortal, contenders: int) -> list[int]:
    async with Browser(portal) as owner:
        token = await owner.captcha_token()

    async def submit(browser: Browser) -> int:
        page = await browser.client.get(f"{browser.portal}/connexion")
        csrf, release = _CSRF.search(page.text), _RELEASE.search(page.text)
        assert csrf and release
        form = {
            "csrf_token": csrf.group(1),
            "version_formulaire": release.group(1),
            "identifiant": person(0).identifier,
            "mot_de_passe": PASSWORD,
            "captcha_token": token,
        }
        answer = await browser.client.post(f"{browser.portal}/connexion", data=form)
        return answer.status_code

    browsers = [Browser(portal) for _ in range(contenders)]
    try:
        async with asyncio.timeout(TIME_LIMIT_SECONDS):
            return list(await asyncio.gather(*(submit(b) for b in browsers)))
    finally:
        for browser in browsers:
            await browser.client.aclose()


def test_one_captcha_token_raced_by_ten_logins_opens_one(crowded_portal: EmbeddedPortal) -> None:
    statuses = loops.run(race_one_token(crowded_portal, contenders=10))
    assert sorted(statuses) == [303] + [400] * 9
