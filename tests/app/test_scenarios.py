"""Scenario files: the committed ones, and what the loader says about broken ones."""

from __future__ import annotations

import re
from pathlib import Path
from typing import get_args

import pytest
from typer.testing import CliRunner

from probe.app.cli import app
from probe.app.recipes.chromium import fixtures_dir, load_cookie_jar
from probe.app.scenarios import (
    Scenario,
    default_directory,
    expected_culprits,
    load_all,
    load_file,
    load_scenario,
)
from probe.browsers.chromium.profile import extension_id
from probe.errors import BadInput
from probe.mock_portal.state import DEMO_IDENTIFIER, PortalConfig
from probe.models import Factor
from tests.helpers.paths import REPO

SCENARIOS = REPO / "scenarios"
COMMITTED = sorted(p.stem for p in SCENARIOS.glob("*.toml"))

GOOD = """\
name = "demo"
description = "A demo case."
reproduces = "nothing"

[portal]
captcha = { mode = "never" }

[profile]
extensions = ["ad-shield"]

[credentials]
identifier = "1850775123456"
password = "Ameli-Demo-2026!"

[expect]
status = "blocked"
factor = "extension"
culprits = ["ad-shield"]
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def error_of(path: Path) -> str:
    with pytest.raises(BadInput) as caught:
        load_file(path)
    message = str(caught.value)
    assert "\n" not in message, "errors are one line"
    assert path.name in message, "errors name the file"
    return message


# ---------------------------------------------------------------- committed files


def test_there_are_scenarios_and_the_default_folder_finds_them() -> None:
    assert len(COMMITTED) >= 20
    assert default_directory().resolve() == SCENARIOS
    assert [s.name for s in load_all()] == COMMITTED


def components_of(scenario: Scenario) -> dict[str, set[str]]:
    """The ids of what the scenario's browser set-up holds, by factor, as a diagnosis names
    them: extension ids, cookie "name@host", settings, site data, mistyped credential fields."""
    recipe = scenario.profile
    jars = [load_cookie_jar(jar).cookies for jar in recipe.cookie_jars]
    typed = scenario.credentials.typed()
    return {
        "extension": {
            extension_id(fixtures_dir() / "extensions" / e)
            for e in recipe.extensions + recipe.disabled_extensions
        },
        "cookies": {f"{c.name}@{c.domain}" for c in [*recipe.cookies, *sum(jars, [])]},
        "browser-setting": {
            *recipe.settings,
            *(f"site-cookies:{host}" for host in recipe.blocked_cookie_sites),
        },
        "site-data": {"site-data"} if recipe.visit else set(),
        "credentials": {
            field
            for field, value in (("identifier", typed.identifier), ("password", typed.password))
            if value != value.strip()
        },
    }


@pytest.mark.parametrize("name", COMMITTED)
def test_committed_scenario_expects_culprits_its_set_up_holds(name: str) -> None:
    scenario = load_scenario(name)
    assert scenario.name == name
    assert scenario.description.strip() and scenario.reproduces.strip()
    culprits = expected_culprits(scenario) or frozenset()
    held = components_of(scenario)
    if scenario.expect.factor in held:
        # A browser-side verdict names culprits, and only ones the profile really has
        # (a misspelt extension or cookie would make the scenario unpassable); with
        # several blockers, of the kinds of those blockers.
        factors = scenario.expect.blockers or [scenario.expect.factor]
        assert culprits or scenario.expect.blockers, (
            f"a {scenario.expect.factor} verdict names its culprits (or its blockers)"
        )
        assert culprits <= set().union(*(held.get(f, set()) for f in factors)), (culprits, held)
    else:
        assert culprits == frozenset(), "a portal-side or ok verdict names no culprits"


def test_every_factor_the_portal_can_produce_has_a_scenario() -> None:
    # "unknown" is the engine admitting it cannot tell: no portal state asks for it.
    wanted = set(get_args(Factor)) - {"unknown"}
    covered = {s.expect.factor for s in load_all()}
    assert wanted - covered == set()


def test_the_readme_table_lists_every_scenario() -> None:
    readme = (SCENARIOS / "README.md").read_text(encoding="utf-8")
    rows = set(re.findall(r"^\| `([a-z0-9-]+)` \|", readme, flags=re.MULTILINE))
    assert rows == set(COMMITTED)


def test_stale_service_worker_builds_on_the_old_release() -> None:
    scenario = load_scenario("stale-service-worker")
    assert scenario.portal_while_building.release == 1
    assert scenario.portal.release == 2
    assert scenario.profile.visit


# ---------------------------------------------------------------- the loader


def test_good_file_loads_with_defaults_for_what_it_leaves_out(tmp_path: Path) -> None:
    scenario = load_file(write(tmp_path, "demo", GOOD))
    assert scenario.portal.captcha.mode == "never"
    assert scenario.portal.maintenance == PortalConfig().maintenance
    assert scenario.portal_while_building == scenario.portal
    assert scenario.credentials.typed().identifier == DEMO_IDENTIFIER
    assert scenario.profile.extensions == ["ad-shield"]


def test_name_defaults_to_the_file_stem(tmp_path: Path) -> None:
    scenario = load_file(write(tmp_path, "other-name", GOOD.replace('name = "demo"\n', "")))
    assert scenario.name == "other-name"


def test_name_must_match_the_file(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, "renamed", GOOD))
    assert "name:" in message and "'renamed'" in message


def test_toml_syntax_error_gives_the_line(tmp_path: Path) -> None:
    broken = GOOD.replace('reproduces = "nothing"', 'reproduces "nothing"')
    message = error_of(write(tmp_path, "demo", broken))
    assert "line 3" in message
    assert "TOML" in message


def test_wrong_value_names_the_field_path_and_the_choices(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, "demo", GOOD.replace('"never"', '"sometimes"')))
    assert "portal.captcha.mode:" in message
    assert "'pass'" in message and "'never'" in message
    assert "'sometimes'" in message


def test_unknown_field_lists_the_fields_allowed_there(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, "demo", GOOD.replace("captcha = {", "captch = {")))
    assert "portal.captch: unknown field" in message
    assert "captcha" in message.split("expected one of:")[1]


def test_missing_table_is_named(tmp_path: Path) -> None:
    text = GOOD.split("[expect]")[0]
    message = error_of(write(tmp_path, "demo", text))
    assert "expect: required" in message


def test_wrong_type_in_a_list_names_the_index(tmp_path: Path) -> None:
    message = error_of(
        write(tmp_path, "demo", GOOD.replace('["ad-shield"]\n\n[cred', '["a", 3]\n\n[cred'))
    )
    assert "profile.extensions[1]" in message


def test_unknown_factor_is_refused(tmp_path: Path) -> None:
    message = error_of(
        write(tmp_path, "demo", GOOD.replace('factor = "extension"', 'factor = "gremlins"'))
    )
    assert "expect.factor:" in message and "'cookies'" in message


def test_ok_goes_only_with_factor_none(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, "demo", GOOD.replace('status = "blocked"', 'status = "ok"')))
    assert "expect" in message and "'none'" in message


def test_build_portal_may_not_change_the_accounts(tmp_path: Path) -> None:
    text = GOOD + "\n[build_portal]\naccounts = []\n"
    message = error_of(write(tmp_path, "demo", text))
    assert "build_portal.accounts" in message


def test_unknown_name_suggests_the_closest(tmp_path: Path) -> None:
    write(tmp_path, "maintenance", GOOD.replace('name = "demo"', 'name = "maintenance"'))
    write(tmp_path, "healthy", GOOD.replace('name = "demo"', 'name = "healthy"'))
    with pytest.raises(BadInput, match=r"unknown scenario 'maintenence'; closest: maintenance"):
        load_scenario("maintenence", tmp_path)


def test_a_path_to_a_file_is_accepted(tmp_path: Path) -> None:
    path = write(tmp_path, "demo", GOOD)
    assert load_scenario(str(path)).name == "demo"


def test_missing_folder_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="no such scenario folder"):
        load_all(tmp_path / "nowhere")


def test_one_broken_file_fails_the_whole_listing(tmp_path: Path) -> None:
    write(tmp_path, "demo", GOOD)
    write(tmp_path, "zz-broken", "name = ")
    with pytest.raises(BadInput, match="zz-broken.toml: line 1"):
        load_all(tmp_path)


# ---------------------------------------------------------------- the CLI


def test_cli_lists_the_scenarios_with_their_verdicts() -> None:
    result = CliRunner().invoke(app, ["scenarios", "list"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert f"{len(COMMITTED)} scenarios" in result.output
    assert "ad-blocker-hides-captcha" in result.output
    assert "blocked / extension" in result.output


def test_cli_reports_a_broken_folder_in_one_line(tmp_path: Path) -> None:
    write(tmp_path, "demo", GOOD.replace('"never"', '"sometimes"'))
    result = CliRunner().invoke(app, ["scenarios", "list", "--dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "portal.captcha.mode" in result.output


def test_a_name_typed_in_part_suggests_the_scenarios_containing_it(tmp_path: Path) -> None:
    for name in ("ad-blocker-hides-captcha", "caps-lock", "account-locked"):
        write(tmp_path, name, GOOD.replace('name = "demo"', f'name = "{name}"'))
    with pytest.raises(BadInput, match=r"closest: ad-blocker-hides-captcha(,|$)"):
        load_scenario("ad-blocker", tmp_path)
