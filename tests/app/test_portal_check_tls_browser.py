"""``probe portal check`` on an HTTPS portal: the person's trusted CA, or a certificate named."""

from __future__ import annotations

from pathlib import Path

from probe.description.model import MOCK_SOURCE
from tests.helpers.paths import REPO
from tests.helpers.portal_cli import invoke
from tests.helpers.tls import CA_NAME, https_portal, local_ca, person_home


def _moved(tmp_path: Path, login_url: str) -> Path:
    text = (REPO / MOCK_SOURCE).read_text(encoding="utf-8")
    start = text.index('login_url = "')
    end = text.index('"', start + len('login_url = "'))
    moved = tmp_path / "portal.toml"
    moved.write_text(text[:start] + f'login_url = "{login_url}' + text[end:], encoding="utf-8")
    return moved


def test_portal_check_trusts_the_persons_ca_and_names_a_refused_one(tmp_path: Path) -> None:
    ca = local_ca(tmp_path / "ca")
    with https_portal(ca) as portal:
        description = _moved(tmp_path, portal.url + "connexion")
        trusted = invoke("portal", "check", str(description), home=person_home(tmp_path / "a", ca))
        refused = invoke(
            "portal", "check", str(description), home=person_home(tmp_path / "b", None)
        )
    assert trusted.exit_code == 0, trusted.output
    assert refused.exit_code == 3
    assert "the portal's certificate is refused" in refused.output
    assert f"issued by {CA_NAME} for portal.localhost" in refused.output
    assert "nothing answers" not in refused.output
