"""The README is a front page and the docs' links lead somewhere.

Every relative link (and image) in README.md and docs/*.md points at a file of the
repository; the README stays short and starts with the two set-up commands. The docs site's
own build (`mkdocs build --strict`, a gate of scripts/test.sh) checks the pages' links and
anchors too, but not the README, which is not part of the site.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from tests.helpers.paths import REPO

README = REPO / "README.md"
DOCS = REPO / "docs"

# The README's opening, as contributors and CI rely on it.
README_START = """\
# probe

```sh
bash scripts/demo.sh   # set up .venv + browsers, then diagnose a demo case on the embedded portal; report in reports/
bash scripts/test.sh   # set up .venv + browsers, then the gates and the whole test suite in real Chromium and Firefox
```
"""
README_MAX_LINES = 160

# [text](target) and ![alt](target), target without spaces, optionally followed by a title.
_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_FENCE = re.compile(r"^\s*(```|~~~)")
_INLINE_CODE = re.compile(r"`[^`]*`")


def relative_links(text: str) -> list[str]:
    """The link targets of a Markdown text that point into the repository.

    Fenced code blocks and inline code are not text, and web, mail and same-page links
    point elsewhere.
    """
    targets: list[str] = []
    in_fence = False
    for line in text.splitlines():
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        for target in _LINK.findall(_INLINE_CODE.sub("", line)):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
                continue
            targets.append(target)
    return targets


def broken_links(page: Path) -> list[str]:
    """The relative links of one Markdown file whose file does not exist."""
    missing = []
    for target in relative_links(page.read_text(encoding="utf-8")):
        path = target.split("#", 1)[0]
        if not (page.parent / path).exists():
            missing.append(target)
    return missing


def pages() -> list[Path]:
    return [README, *sorted(DOCS.glob("*.md"))]


@pytest.mark.parametrize("page", pages(), ids=lambda p: str(p.relative_to(REPO)))
def test_every_relative_link_points_at_a_file(page: Path) -> None:
    assert broken_links(page) == []


def test_the_link_check_finds_a_broken_link(tmp_path: Path) -> None:
    (tmp_path / "there.md").write_text("# there\n", encoding="utf-8")
    page = tmp_path / "page.md"
    page.write_text(
        "See [there](there.md#there), [gone](gone.md), ![shot](img/none.png), "
        "[web](https://example.org/x.md), [here](#top) and `[code](nope.md)`.\n"
        "```\n[fenced](nope.md)\n```\n",
        encoding="utf-8",
    )
    assert broken_links(page) == ["gone.md", "img/none.png"]


def test_the_readme_starts_with_the_two_set_up_commands() -> None:
    assert README.read_text(encoding="utf-8").startswith(README_START)


def test_the_readme_is_a_front_page() -> None:
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= README_MAX_LINES, f"README.md has {len(lines)} lines"


def test_every_page_of_the_docs_is_in_the_site() -> None:
    """mkdocs.yml's navigation lists every page (the strict build then checks each link)."""
    nav = (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    listed = set(re.findall(r":\s*([\w./-]+\.md)\s*$", nav, flags=re.MULTILINE))
    assert listed == {p.name for p in DOCS.glob("*.md")}


def test_the_report_pictures_script_matches_the_pictures() -> None:
    """scripts/make_examples.py still imports, and makes exactly the pictures the docs show."""
    spec = importlib.util.spec_from_file_location(
        "make_examples", REPO / "scripts" / "make_examples.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    made = {f"{label}.png" for label in module.EXAMPLES}
    assert made == {p.name for p in (REPO / "reports" / "examples").glob("*.png")}
    scenarios = {p.stem for p in (REPO / "scenarios").glob("*.toml")}
    assert set(module.EXAMPLES.values()) <= scenarios
