"""How long Chromium takes to start with 0, 1, 8 and 16 extensions (run by hand).

.venv/bin/python benchmarks/launch_cost.py
"""

from __future__ import annotations

import asyncio
import tempfile
import time

from playwright.async_api import async_playwright

from probe.app.recipes.chromium import fixtures_dir, harmless_extensions
from probe.browsers.chromium.discovery import find_chromium, launch_args


async def main() -> None:
    root = fixtures_dir() / "extensions"
    extensions = [str(root / name) for name in harmless_extensions()[:16]]
    chromium = find_chromium()
    async with async_playwright() as playwright:
        for count in (0, 1, 8, 16, 0):
            args = launch_args()
            if count:
                folders = ",".join(extensions[:count])
                args += [f"--disable-extensions-except={folders}", f"--load-extension={folders}"]
            started = time.monotonic()
            context = await playwright.chromium.launch_persistent_context(
                tempfile.mkdtemp(),
                executable_path=str(chromium.executable),
                args=args,
                headless=True,
                ignore_default_args=["--disable-extensions"],
            )
            launched = time.monotonic()
            page = context.pages[0] if context.pages else await context.new_page()
            await page.goto("about:blank")
            ready = time.monotonic()
            await context.close()
            print(
                f"{count:2d} extensions: launch {launched - started:.2f} s, "
                f"first page {ready - launched:.2f} s, close {time.monotonic() - ready:.2f} s"
            )


if __name__ == "__main__":
    asyncio.run(main())
