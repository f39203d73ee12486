"""Page benchmark: the grid map page in headless Chromium (Debian's, driven by Playwright).

Builds the full demo city, and a copy whose grid is regenerated as ~10,000 square cells,
starts ``streamlit run`` on each, and measures in a fresh browser per round, signed in as the
demo leader (``leader``) through the sign-in form as a user would:

- first paint   navigation to the grid page (a click on its link) until the map shows its areas
- drill click   a click on a street until the map of its communities is drawn
- all cells     switching to "all grid cells" until every cell of the county is drawn
- HTML KiB      size of the map document the browser receives

Usage: ``.venv/bin/python bench/page_bench.py [--rounds K] [--cells-m 150] [--smoke]``. Prints a
table; it asserts nothing (targets: first paint < 3 s, click < 1.5 s; < 5 s at 10,000 cells).
``--smoke``: a 5 % demo city and a 600 m regenerated grid, one round; the tests run it.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
POLYGONS = """(n) => !!window.map && Object.values(window.map._layers)
  .filter(l => l.feature && /Polygon/.test(l.feature.geometry.type)).length >= n"""
STREETS = """() => !!window.map && Object.values(window.map._layers)
  .filter(l => l.feature && String(l.feature.properties.code || '').length === 4).length >= 6"""
PAINTED = """() => { const c = document.querySelector('.leaflet-container canvas'); if (!c) return false;
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  for (let i = 3; i < d.length; i += 64) if (d[i] > 0) return true; return false; }"""


USER = "leader"  # the demo's county-wide leader
SMOKE = dict(rounds=1, cells_m=600.0, scale=0.05)


def build_databases(workdir: Path, cell_m: float, scale: float = 1.0) -> dict[str, tuple[str, int]]:
    demo = workdir / "demo.sqlite"
    big = workdir / "cells.sqlite"
    py = sys.executable
    subprocess.run([py, "-m", "geo", "demo", "--db", f"sqlite:///{demo}", "--quiet", "--scale", str(scale)],
                   cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    big.write_bytes(demo.read_bytes())
    subprocess.run([py, "-m", "geo", "import", "grid", "--db", f"sqlite:///{big}", "--cell-size", str(cell_m),
                    "--shape", "square"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    import sqlite3

    def cells(path: Path) -> int:
        with sqlite3.connect(path) as conn:
            return conn.execute("SELECT COUNT(*) FROM areas WHERE level = 'grid'").fetchone()[0]

    return {"demo city": (f"sqlite:///{demo}", cells(demo)), "regenerated grid": (f"sqlite:///{big}", cells(big))}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(url: str) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.address", "127.0.0.1",
                             "--server.port", str(port), "--server.headless", "true"], cwd=ROOT,
                            env={**os.environ, "DATABASE_URL": url}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            if urllib.request.urlopen(f"{base}/_stcore/health", timeout=1).status == 200:
                return proc, base
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("streamlit did not start")


def _wait_frame(page, predicate: str, arg, timeout_s: float = 120.0):
    deadline = time.perf_counter() + timeout_s
    while time.perf_counter() < deadline:
        for frame in [f for f in page.frames if "streamlit_folium" in f.url]:
            try:
                if frame.evaluate(f"(a) => ({predicate})(a)", arg) and frame.evaluate(PAINTED):
                    return frame
            except Exception:
                continue
        page.wait_for_timeout(20)
    counts = []
    for frame in [f for f in page.frames if "streamlit_folium" in f.url]:
        try:
            counts.append(frame.evaluate("() => Object.values(window.map._layers).filter(l => l.feature).length"))
        except Exception:
            counts.append(None)
    page.screenshot(path="/tmp/bench-timeout.png")
    raise TimeoutError(f"{predicate} ({arg}): map frames hold {counts} features")


def sign_in(page, base: str) -> None:
    """The sign-in form, as a user fills it (the demo's passwords are derived from the name)."""
    sys.path.insert(0, str(ROOT))
    from geo.ingest.demo import demo_password

    page.goto(base)
    page.get_by_label("账号").fill(USER)
    page.get_by_label("密码").fill(demo_password(USER))
    page.get_by_role("button", name="登录").click()
    page.get_by_label("账号").wait_for(state="detached", timeout=60_000)


def one_round(browser, base: str, n_cells: int) -> dict:
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    page = context.new_page()
    sign_in(page, base)
    page.get_by_role("link", name="网格地图").wait_for(timeout=60_000)
    start = time.perf_counter()
    page.get_by_role("link", name="网格地图").click()
    frame = _wait_frame(page, STREETS, None)
    first_paint = time.perf_counter() - start
    html_kib = len(frame.content().encode("utf-8")) / 1024
    frame.locator(".leaflet-container").scroll_into_view_if_needed()  # a click that scrolls can miss
    box = frame.locator(".leaflet-container").bounding_box()
    start = time.perf_counter()
    frame.locator(".leaflet-container").click(position={"x": box["width"] * 0.5, "y": box["height"] * 0.5})
    # a street's communities: features whose code is one level longer than a street's
    _wait_frame(page, """() => Object.values(window.map._layers).some(l => l.feature &&
        String(l.feature.properties.code || '').length === 6)""", None)
    drill = time.perf_counter() - start
    page.get_by_role("button", name="安宁县").click()  # back to the county by the breadcrumb
    _wait_frame(page, STREETS, None)
    start = time.perf_counter()
    page.get_by_text("全部网格", exact=True).click()
    frame = _wait_frame(page, POLYGONS, int(n_cells * 0.995))  # slivers lost to 5-decimal rounding
    all_cells = time.perf_counter() - start
    cells_kib = len(frame.content().encode("utf-8")) / 1024
    context.close()
    return {"first": first_paint, "drill": drill, "cells": all_cells, "kib": html_kib, "cells_kib": cells_kib}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cells-m", type=float, default=150.0, help="cell size of the regenerated grid (m)")
    parser.add_argument("--smoke", action="store_true", help="small and once, to check the bench still runs")
    args = parser.parse_args(argv)
    scale = 1.0
    if args.smoke:
        args.rounds, args.cells_m, scale = SMOKE["rounds"], SMOKE["cells_m"], SMOKE["scale"]
    from playwright.sync_api import sync_playwright

    rows = []
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=os.environ.get("SAFEGRID_CHROMIUM", "/usr/bin/chromium"),
                                     args=CHROMIUM_ARGS)
        for name, (url, n_cells) in build_databases(Path(tmp), args.cells_m, scale).items():
            proc, base = start_server(url)
            try:
                results = [one_round(browser, base, n_cells) for _ in range(args.rounds)]
            finally:
                proc.terminate()
                proc.wait(10)
            rows.append((name, n_cells, results))
        browser.close()
    print(f"\nGrid map page, headless Chromium, {args.rounds} rounds each (median; max in brackets)\n")
    head = f"{'database':<18}{'cells':>8}{'map KiB':>9}{'first paint s':>17}{'drill click s':>17}" \
           f"{'all cells s':>16}{'cells KiB':>11}"
    print(head)
    print("-" * len(head))
    for name, n_cells, results in rows:
        def cell(key):
            values = [r[key] for r in results]
            return f"{statistics.median(values):.2f} ({max(values):.2f})"
        print(f"{name:<18}{n_cells:>8,}{statistics.median(r['kib'] for r in results):>9.0f}{cell('first'):>17}"
              f"{cell('drill'):>17}{cell('cells'):>16}{statistics.median(r['cells_kib'] for r in results):>11.0f}")
    print("\nfirst paint: link click to the drawn map; drill: click on a street to its communities drawn;"
          "\nall cells: 'all grid cells' to every cell of the county drawn.")


if __name__ == "__main__":
    main()
