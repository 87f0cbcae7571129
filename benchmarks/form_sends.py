"""How long a narrowing-down run takes to know whether the form sends (``probe.journey.sending``).

Run by hand: ``.venv/bin/python benchmarks/form_sends.py --repeat 3``. Each case of
``tests/journey/test_sending_browser.py`` is served by a real local server; the time is from
the press to the answer, in Chromium and Firefox, the login stopped in the browser every
time (the server counts what reached it: 0). Print the machine's load with the numbers.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playwright.async_api import async_playwright  # noqa: E402

from probe.description.model import mock_description  # noqa: E402
from probe.description.target import Timeouts, pagemap_of  # noqa: E402
from probe.journey.sending import form_sends  # noqa: E402
from tests.helpers.pages import page_server  # noqa: E402
from tests.journey.test_sending_browser import SCRIPTS, Portal, _context  # noqa: E402


async def _measure(engine: str, url: str, folder: Path) -> tuple[bool, float]:
    pagemap = pagemap_of(mock_description())
    async with async_playwright() as playwright:
        context = await _context(playwright, engine, folder)
        try:
            page = context.pages[0] if context.pages else await context.new_page()
            await page.goto(url)
            await page.fill(pagemap.identifier, "1850775123456")
            await page.fill(pagemap.password, "secret")
            started = time.monotonic()
            sent = await form_sends(
                page,
                context,
                pagemap,
                lambda: page.click(pagemap.submit, timeout=3_000),
                Timeouts(),
            )
            return sent, time.monotonic() - started
        finally:
            await context.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    portal = Portal()
    print(f"load average before: {os.getloadavg()}")
    print("| engine | case | sent | median s | max s |\n|---|---|---|---|---|")
    with page_server(portal.answer) as origin, tempfile.TemporaryDirectory() as tmp:
        for engine in ("chromium", "firefox"):
            for case in SCRIPTS:
                times, answers = [], set()
                for number in range(args.repeat):
                    folder = Path(tmp) / f"{engine}-{case}-{number}"
                    folder.mkdir()
                    sent, seconds = asyncio.run(_measure(engine, f"{origin}/login/{case}", folder))
                    times.append(seconds)
                    answers.add(sent)
                print(
                    f"| {engine} | {case} | {'/'.join(map(str, sorted(answers)))} "
                    f"| {statistics.median(times):.2f} | {max(times):.2f} |"
                )
    print(f"POSTs that reached the server: {len(portal.posts)}")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
