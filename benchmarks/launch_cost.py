"""How long Chromium takes to start with 0, 1, 8 and 16 extensions (run by hand)."""

import asyncio
import tempfile
import time

from playwright.async_api import async_playwright

from probe.chromium import find_chromium, launch_args
from probe.recipes import fixtures_dir, harmless_extensions

root = fixtures_dir() / "extensions"
exts = [str(root / n) for n in harmless_extensions()[:16]]


async def main():
    c = find_chromium()
    async with async_playwright() as p:
        for n in (0, 1, 8, 16, 0):
            args = launch_args()
            if n:
                args += [
                    f"--disable-extensions-except={','.join(exts[:n])}",
                    f"--load-extension={','.join(exts[:n])}",
                ]
            t = time.time()
            ctx = await p.chromium.launch_persistent_context(
                tempfile.mkdtemp(),
                executable_path=str(c.executable),
                args=args,
                headless=True,
                ignore_default_args=["--disable-extensions"],
            )
            t1 = time.time()
            page = ctx.pages[0] if ctx.pages else await ctx.new_page()
            await page.goto("about:blank")
            t2 = time.time()
            await ctx.close()
            print(
                n,
                "launch",
                round(t1 - t, 2),
                "page",
                round(t2 - t1, 2),
                "close",
                round(time.time() - t2, 2),
            )


asyncio.run(main())
