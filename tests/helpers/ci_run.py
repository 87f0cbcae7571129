"""``probe ci`` over every scenario, in shards, each shared by the tests that need one.

It is the costliest thing in the suite (every scenario in real Chromium), so the
acceptance test (every verdict as expected) and the secrets test (nothing leaks) read
the same run of each shard, and the shards run on several pytest-xdist workers at once.
While it runs, the embedded portals are watched: every one-time code, CAPTCHA token, OIDC
code and token, session id, CSRF token and signed cookie they hand out is recorded, to be
searched for in everything the run wrote.
"""

from __future__ import annotations

import functools
import secrets
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from itsdangerous import URLSafeTimedSerializer
from typer.testing import CliRunner

import probe.mock_portal.accounts
import probe.mock_portal.captcha
import probe.mock_portal.franceconnect
import probe.mock_portal.idp
import probe.mock_portal.oidc
import probe.mock_portal.runtime
import probe.mock_portal.sessions
from probe.app.ci import take_shard
from probe.app.cli import app
from probe.app.recipes.chromium import CookieSeed, load_cookie_jar
from probe.app.scenarios import Scenario, load_all
from probe.mock_portal.state import DEMO_PARTNER_PASSWORD, DEMO_PASSWORD, PortalConfig
from probe.models import Report
from tests.conftest import CI_SHARDS

# Shorter values are no secret worth the name (a 2-letter language cookie) and would
# match ordinary text; one-time codes have 6 digits.
MIN_SECRET_LENGTH = 6


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
        probe.mock_portal.accounts,
        probe.mock_portal.captcha,
        probe.mock_portal.franceconnect,
        probe.mock_portal.idp,
        probe.mock_portal.oidc,
        probe.mock_portal.runtime,
        probe.mock_portal.sessions,
    ):
        monkeypatch.setattr(module, "secrets", stand_in)

    real_issue_code = probe.mock_portal.accounts.issue_code

    def issue_code(runtime: Any, identifier: str, purpose: Any) -> str:
        code = real_issue_code(runtime, identifier, purpose)
        found.add(f"one-time code ({purpose})", code)
        return code

    monkeypatch.setattr(probe.mock_portal.accounts, "issue_code", issue_code)

    real_dumps = URLSafeTimedSerializer.dumps

    def dumps(self: URLSafeTimedSerializer, obj: Any, salt: Any = None) -> Any:
        signed = real_dumps(self, obj, salt)
        salt = self.salt.decode() if isinstance(self.salt, bytes) else str(self.salt)
        found.add(f"signed value ({salt})", str(signed))
        return signed

    monkeypatch.setattr(URLSafeTimedSerializer, "dumps", dumps)

    real_exchange = probe.mock_portal.oidc.exchange_code

    def exchange_code(runtime: Any, request: Any, issuer: str) -> Any:
        answer = real_exchange(runtime, request, issuer)
        found.add("OIDC client secret", request.client_secret)
        if isinstance(answer, probe.mock_portal.oidc.TokenAnswer):
            found.add("OIDC ID token", answer.id_token)
            found.add("OIDC access token", answer.access_token)
        return answer

    monkeypatch.setattr(probe.mock_portal.oidc, "exchange_code", exchange_code)


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


@functools.cache
def _shards() -> dict[str, str]:
    """Each scenario's ``probe ci`` shard (``ci_run``'s parameter), worked out once."""
    scenarios = load_all()
    shards = [f"{i}/{CI_SHARDS}" for i in range(1, CI_SHARDS + 1)]
    return {s.name: shard for shard in shards for s in take_shard(scenarios, shard)}


def shard_of(name: str) -> str:
    """The ``probe ci`` shard (``ci_run``'s parameter) that diagnoses scenario ``name``."""
    try:
        return _shards()[name]
    except KeyError:
        raise LookupError(name) from None


def in_its_shard(names: list[str]) -> pytest.MarkDecorator:
    """Parametrize a test over scenario ``names``, each with the ``ci_run`` of the shard that
    diagnosed it (the ids keep xdist's shard grouping in tests/conftest.py: one shard, one
    worker, so each shard still runs once)."""
    return pytest.mark.parametrize(
        ("name", "ci_run"),
        [(name, shard_of(name)) for name in names],
        ids=[f"shard{shard_of(n).replace('/', 'of')}-{n}" for n in names],
        indirect=["ci_run"],
        scope="session",  # else each test module would start its own run of the shard
    )


@dataclass
class CiRun:
    exit_code: int
    root: Path
    junit: Path
    terminal: str
    scenarios: list[Scenario]  # the shard's
    found: Secrets
    shard: str

    def report(self, folder: str) -> Report:
        """The report of one diagnosis of the run (folder ``NAME``, or ``NAME-firefox``)."""
        path = self.root / "reports" / folder / "report.json"
        return Report.model_validate_json(path.read_text(encoding="utf-8"))


def watched_ci_run(root: Path, shard: str) -> CiRun:
    """``probe ci --shard SHARD``, with the portals' secrets recorded.

    What every scenario types and plants is searched for, not only the shard's.
    """
    found = Secrets()
    typed_secrets(load_all(), found)
    with pytest.MonkeyPatch.context() as monkeypatch:
        record_portal_secrets(monkeypatch, found)
        result = CliRunner().invoke(
            app,
            [
                "ci",
                "--jobs",
                "2",
                "--shard",
                shard,
                "--report-dir",
                str(root / "reports"),
                "--junit",
                str(root / "junit.xml"),
            ],
            env={"COLUMNS": "200"},
        )
    return CiRun(
        exit_code=result.exit_code,
        root=root,
        junit=root / "junit.xml",
        terminal=result.stdout + result.stderr,
        scenarios=take_shard(load_all(), shard),
        found=found,
        shard=shard,
    )
