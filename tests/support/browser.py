"""Opens a page in headless Chromium (Debian's, driven by Playwright) and prints what a test
asserts on, as JSON: every request the page made, each chart's box, texts by selector, the
cells of table rows, and a full-page screenshot.

Run as its own process (``python -m tests.support.browser``): Playwright's driver and event
loop, once started in the test process, slowed every later thread of it (an emit() in the fault
suite took 16-20 ms after it, 2 ms without)."""

from __future__ import annotations

import json
import shutil
import sys
from typing import Any

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium() -> str | None:
    for name in ("chromium-headless-shell", "chromium"):
        if path := shutil.which(name):
            return path
    return None


def probe(url: str, spec: dict[str, Any]) -> dict[str, Any]:
    from playwright.sync_api import Route, sync_playwright

    exe = chromium()
    if exe is None:
        raise SystemExit("no chromium-headless-shell or chromium: `./dev test` installs it")
    requested: list[str] = []

    def route(r: Route) -> None:
        requested.append(r.request.url)
        if r.request.url == url:
            r.continue_()
        else:
            r.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.route("**/*", route)
        page.goto(url, wait_until="load")
        boxes = [el.bounding_box() for el in page.query_selector_all(spec["charts"])]
        texts = {k: page.inner_text(sel) for k, sel in spec.get("texts", {}).items()}
        rows = {
            k: [c.strip() for c in page.locator(sel, has_text=has).locator("td").all_inner_texts()]
            for k, (sel, has) in spec.get("rows", {}).items()
        }
        every = {k: page.locator(sel).all_inner_texts() for k, sel in spec.get("all", {}).items()}
        page.screenshot(path=spec["screenshot"], full_page=True)
        browser.close()
    return {"requested": requested, "boxes": boxes, "texts": texts, "rows": rows, "all": every}


if __name__ == "__main__":
    print(json.dumps(probe(sys.argv[1], json.loads(sys.argv[2]))))
