"""The engine seam without a browser: which engine a folder belongs to, which profile of
a folder holding several, a Firefox profile as components and the run folder keeping some
of them, and the runner handing each run to the right engine (fakes for the browsers)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from probe._util import loops
from probe.browsers.base import Inventory, ProfileCopy, RunSpec, other_engine
from probe.browsers.fake import FakeEngine
from probe.browsers.firefox.engine import plan_of, take_inventory
from probe.browsers.firefox.profile import read_profile
from probe.browsers.firefox.rundir import prepare_run_dir, snapshot_profile
from probe.browsers.registry import (
    choose_engine,
    chromium_profile_folder,
    detect_engine,
    firefox_profile,
)
from probe.description.model import mock_description
from probe.description.target import Target, Timeouts, pagemap_of
from probe.diagnosis.runner import Environment, Runner
from probe.errors import BadInput, BrowserFailure
from probe.journey.credentials import Credentials
from probe.models import Component, VariantRun
from tests.browsers.firefox.test_profile import _profile

SITES = ("portal.localhost",)


def _chromium_dir(root: Path, *profiles: tuple[str, str]) -> Path:
    for folder, _ in profiles:
        (root / folder).mkdir(parents=True)
        (root / folder / "Preferences").write_text("{}")
    cache = {folder: {"name": shown} for folder, shown in profiles}
    (root / "Local State").write_text(json.dumps({"profile": {"info_cache": cache}}))
    return root


def test_the_folder_says_the_engine(tmp_path: Path) -> None:
    firefox = _profile(tmp_path)
    chromium = _chromium_dir(tmp_path / "chromium", ("Default", "Marie"))
    (tmp_path / "ff-root").mkdir()
    (tmp_path / "ff-root" / "profiles.ini").write_text("[Profile0]\nPath=x\n")
    (tmp_path / "empty").mkdir()
    assert detect_engine(firefox) == "firefox"
    assert detect_engine(tmp_path / "ff-root") == "firefox"
    assert detect_engine(chromium) == "chromium"
    assert detect_engine(chromium / "Default") == "chromium"
    assert detect_engine(tmp_path / "empty") is None
    assert choose_engine(None, firefox) == "firefox"
    assert choose_engine(None, None) == "chromium"
    assert choose_engine("firefox", None) == "firefox"
    assert choose_engine("firefox", tmp_path / "empty") == "firefox"
    with pytest.raises(BadInput, match="is a Firefox profile, not a Chromium one"):
        choose_engine("chromium", firefox)
    with pytest.raises(BadInput, match="is a Chromium profile, not a Firefox one"):
        choose_engine("firefox", chromium)
    assert other_engine("firefox") == "chromium" and other_engine("chromium") == "firefox"


def test_profile_name_picks_a_profile_in_a_folder_of_several(tmp_path: Path) -> None:
    chromium = _chromium_dir(tmp_path / "chromium", ("Default", "Marie"), ("Profile 1", "Work"))
    assert chromium_profile_folder(chromium, "Work") == chromium / "Profile 1"
    assert chromium_profile_folder(chromium, "Profile 1") == chromium / "Profile 1"
    assert chromium_profile_folder(chromium, None) == chromium
    with pytest.raises(BadInput, match=r"no Chromium profile named 'Home'.*'Marie', 'Work'"):
        chromium_profile_folder(chromium, "Home")
    with pytest.raises(BadInput, match="is one Chromium profile"):
        chromium_profile_folder(chromium / "Default", "Work")

    root = tmp_path / "firefox"
    for folder in ("a.default", "b.work"):
        (root / folder).mkdir(parents=True)
        (root / folder / "prefs.js").write_text("")
    (root / "profiles.ini").write_text(
        "[Profile0]\nName=default\nIsRelative=1\nPath=a.default\nDefault=1\n\n"
        "[Profile1]\nName=work\nIsRelative=1\nPath=b.work\n"
    )
    assert firefox_profile(root, "work")[:2] == (root / "b.work", "given")
    assert firefox_profile(root, None)[0] == root / "a.default"
    assert firefox_profile(root / "b.work", None)[0] == (root / "b.work").absolute()
    with pytest.raises(BadInput, match="one Firefox profile, not a folder of profiles"):
        firefox_profile(root / "b.work", "work")
    with pytest.raises(BadInput, match="is not a Firefox profile"):
        firefox_profile(tmp_path / "chromium", None)


def test_a_firefox_profile_as_components(tmp_path: Path) -> None:
    inventory = take_inventory(read_profile(_profile(tmp_path)), SITES)
    assert [(c.kind, c.id, c.name) for c in inventory.components] == [
        ("extension", "blocker@x", "Bloqueur"),  # as Firefox shows it
        ("extension", "new@x", "Dropped In"),  # side-loaded at the next start
        ("cookie", "sid@portal.localhost", "sid"),
        ("cookie", "lang@portal.localhost", "lang"),
        ("site-data", "site-data", "Site data and cache"),
        ("setting", "javascript", "JavaScript blocked"),
        ("setting", "cookies", "All cookies blocked"),
        # its permissions.sqlite blocks cookies for http://portal.localhost:8000
        ("setting", "site-cookies:portal.localhost", "Cookies blocked for portal.localhost"),
    ]
    assert inventory.private == {"blocker@x"}  # allowed in private windows


def test_a_run_folder_keeps_what_the_run_keeps_and_never_history_or_passwords(
    tmp_path: Path,
) -> None:
    source = _profile(tmp_path)
    for private in ("places.sqlite", "logins.json", "key4.db", "formhistory.sqlite"):
        (source / private).write_bytes(b"private")
    copy, _ = snapshot_profile(source, tmp_path / "snapshot")
    assert not any((copy / n).exists() for n in ("places.sqlite", "logins.json", "key4.db"))
    profile = read_profile(copy)
    inventory = take_inventory(profile, SITES)
    kept = inventory.ids - {"sid@portal.localhost", "javascript", "site-data", "new@x"}
    spec = RunSpec(kept=kept, folder=tmp_path / "run", sites=SITES)
    plan = plan_of(inventory, profile, spec)
    assert plan.addons == frozenset({"blocker@x"})
    assert plan.drop_cookies == (("sid", "portal.localhost"),)
    assert plan.reset_settings == frozenset({"javascript"})  # user.js is read in the copy
    assert plan.drop_site_data_for == SITES
    run = prepare_run_dir(profile, tmp_path / "run" / "profile", plan)
    connection = sqlite3.connect(run.path / "cookies.sqlite")
    names = {row[0] for row in connection.execute("SELECT name FROM moz_cookies")}
    connection.close()
    assert "sid" not in names and "lang" in names
    assert run.user_prefs["javascript.enabled"] is True
    assert run.user_prefs["network.cookie.cookieBehavior"] == 2  # kept
    assert not (run.path / "extensions" / "new@x.xpi").exists()
    assert not (run.path / "storage" / "default" / "http+++portal.localhost+8000").exists()


def _runner(engine: FakeEngine, other: FakeEngine | None, tmp_path: Path) -> Runner:
    inventory = Inventory(components=[Component(kind="extension", id="e1", name="E")])
    target = Target(
        url="http://portal.localhost:1/", sites=SITES, pagemap=pagemap_of(mock_description())
    )
    return Runner(
        None,  # type: ignore[arg-type]  # the fakes start no browser
        engine,
        ProfileCopy(inventory=inventory, source=None),
        target,
        tmp_path,
        gate=None,
        timeouts=Timeouts(),
        screenshots=None,
        other=other,
    )


def test_the_runner_hands_each_run_to_its_engine(tmp_path: Path) -> None:
    chromium, firefox = FakeEngine("chromium"), FakeEngine("firefox")
    runner = _runner(chromium, firefox, tmp_path)
    typed = Credentials("id", "pw")
    with pytest.raises(BrowserFailure, match="starts no browser"):
        loops.run(runner.run(Environment("current", "", frozenset({"e1"}), typed)))
    with pytest.raises(BrowserFailure):
        loops.run(
            runner.run(Environment("other-browser", "", frozenset({"e1"}), typed, engine="firefox"))
        )
    assert [(s.kept, s.fresh) for s in chromium.launched] == [(frozenset({"e1"}), False)]
    # The other engine gets a brand-new profile: nothing of the person's crosses over.
    assert [s.fresh for s in firefox.launched] == [True]
    alone = _runner(FakeEngine("chromium"), None, tmp_path)
    with pytest.raises(ValueError, match="no firefox engine"):
        loops.run(alone.run(Environment("x", "", frozenset(), typed, engine="firefox")))


def test_a_profile_of_the_other_engine_is_one_line_and_exit_2(tmp_path: Path) -> None:
    from probe.app.cli import app

    firefox = _profile(tmp_path)
    result = CliRunner().invoke(
        app, ["browser", "--browser", "chromium", "--profile", str(firefox)]
    )
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "is a Firefox profile, not a Chromium one" in lines[0]
    result = CliRunner().invoke(app, ["browser", "--browser", "safari"])
    assert result.exit_code == 2 and "use 'firefox' or 'chromium'" in result.output


def test_scenarios_run_in_each_of_their_browsers_with_culprits_in_each_engines_ids() -> None:
    from probe.app.ci import browser_runs, compare
    from probe.app.recipes.firefox import gecko_id
    from probe.app.scenarios import load_scenario
    from probe.models import Culprit

    both = load_scenario("ad-blocker-hides-captcha")
    chromium_only = load_scenario("maintenance")
    assert both.browsers == ["chromium", "firefox"] and chromium_only.browsers == ["chromium"]
    runs = browser_runs([both, chromium_only], None)
    assert [(s.name, e) for s, e in runs] == [
        ("ad-blocker-hides-captcha", "chromium"),
        ("ad-blocker-hides-captcha", "firefox"),
        ("maintenance", "chromium"),
    ]
    assert [(s.name, e) for s, e in browser_runs([both, chromium_only], ["firefox"])] == [
        ("ad-blocker-hides-captcha", "firefox")
    ]
    from probe.diagnosis.decisions import make_verdict

    named = Culprit(kind="extension", id=gecko_id("ad-shield"), name="Ad Shield")
    verdict = make_verdict("blocked", "extension", [named])
    assert compare(both, verdict, "firefox") is None
    assert "culprits differ" in (compare(both, verdict, "chromium") or "")


def _run(name: str, outcome: str, step: str | None = None, symptom: str = "none") -> VariantRun:
    return VariantRun(
        name=name,
        outcome=outcome,
        failed_step=step,
        symptom=symptom,
    )


def test_another_browser_is_tried_only_when_a_brand_new_profile_fails_too() -> None:
    from probe.diagnosis.other_browser import judged, told, wanted

    current = _run("current", "fail", "open-login", "maintenance")
    fresh = _run("fresh", "fail", "open-login", "maintenance")
    assert wanted([current, fresh])
    assert not wanted([current, _run("fresh", "pass")])
    assert not wanted([current])  # the brand-new profile never ran: the browser is to blame
    assert not wanted([_run("current", "pass")])

    helps = judged(_run("other-browser", "pass"), fresh, "firefox", "Firefox ESR 153")
    assert helps is not None and helps.outcome == "helps"
    assert "switching to Firefox ESR 153" in helps.summary_en
    assert "passer à Firefox ESR 153" in helps.summary_fr
    same = judged(
        _run("other-browser", "fail", "open-login", "maintenance"), fresh, "chromium", "Chromium"
    )
    assert same is not None and same.outcome == "same"
    assert "does not help" in same.summary_en and "n'y change rien" in same.summary_fr
    other = judged(
        _run("other-browser", "fail", "captcha", "captcha-missing"), fresh, "firefox", "Firefox"
    )
    assert other is not None and other.outcome == "fails"
    assert judged(_run("other-browser", "skipped"), fresh, "firefox", "Firefox") is None

    from probe.diagnosis.decisions import make_verdict

    verdict = told(make_verdict("blocked", "maintenance", []), same)
    assert verdict.summary_en.endswith(same.summary_en)
    assert verdict.summary_fr.endswith(same.summary_fr)


@pytest.mark.parametrize(
    ("platform", "env", "where"),
    [
        ("linux", {}, ".config/{linux}"),
        ("linux", {"XDG_CONFIG_HOME": "{home}/xdg"}, "xdg/{linux}"),
        ("darwin", {}, "Library/Application Support/{mac}"),
        ("win32", {"LOCALAPPDATA": "{home}/AppData/Local"}, "AppData/Local/{win}/User Data"),
    ],
)
def test_chromium_family_folders_on_each_platform(
    platform: str, env: dict[str, str], where: str, tmp_path: Path
) -> None:
    from probe.browsers.chromium.profile.reading import chromium_roots

    names = {
        "default-chromium": ("chromium", "Chromium", "Chromium"),
        "default-chrome": ("google-chrome", "Google/Chrome", "Google/Chrome"),
        "default-edge": ("microsoft-edge", "Microsoft Edge", "Microsoft/Edge"),
        "default-brave": (
            "BraveSoftware/Brave-Browser",
            "BraveSoftware/Brave-Browser",
            "BraveSoftware/Brave-Browser",
        ),
    }
    given = {k: v.replace("{home}", str(tmp_path)) for k, v in env.items()}
    roots = chromium_roots(platform, tmp_path, given)
    assert [kind for kind, _ in roots] == list(names)
    for kind, folder in roots:
        linux, mac, win = names[kind]
        expected = tmp_path / where.format(linux=linux, mac=mac, win=win)
        assert folder == expected, kind
    # A layout made here: the first one holding a profile is the person's.
    edge = dict(roots)["default-edge"]
    _chromium_dir(edge, ("Default", "Marie"), ("Profile 1", "Work"))
    found = next(kind for kind, folder in roots if detect_engine(folder) == "chromium")
    assert found == "default-edge"


def test_the_default_profile_can_be_edge_or_brave(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from probe.browsers.chromium.profile import locate_profile

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path))
    _chromium_dir(tmp_path / "xdg" / "BraveSoftware" / "Brave-Browser", ("Default", "Me"))
    assert locate_profile(None).kind == "default-brave"
    _chromium_dir(tmp_path / "xdg" / "microsoft-edge", ("Default", "Me"))
    profile = locate_profile(None)
    assert (profile.kind, profile.user_data_dir) == (
        "default-edge",
        tmp_path / "xdg" / "microsoft-edge",
    )
