"""`make screenshots`: a PNG of every page (and its axe counts) from a real server in Chromium.

    python -m tests.browser.screenshots --out screenshots
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from tests.browser.tour import CHROMIUM, launch, new_page, seed_staff, visit_all
from tests.e2e.harness import LiveServer, SmtpSink


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("screenshots"))
    args = parser.parse_args()
    if not CHROMIUM.exists():
        print(f"{CHROMIUM} is missing: apt-get install chromium", file=sys.stderr)
        return 2
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import sync_playwright

    args.out.mkdir(parents=True, exist_ok=True)
    sink = SmtpSink().start()
    live = LiveServer(Path(tempfile.mkdtemp(prefix="involve-shots-")), sink.port).start()
    try:
        seed_staff(live)
        with sync_playwright() as p:
            browser = launch(p)
            page = new_page(browser, live.url)

            def seen(name, pg):
                pg.wait_for_load_state("load")
                path = args.out / f"{name}.png"
                pg.screenshot(path=str(path), full_page=True)
                counts: dict[str, int] = {}
                for v in Axe().run(pg).response["violations"]:
                    counts[v["impact"]] = counts.get(v["impact"], 0) + 1
                print(f"{path}  axe: {counts or 'no violations'}")

            visit_all(page, live, sink, seen)
            browser.close()
    finally:
        live.stop()
        sink.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
