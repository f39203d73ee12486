"""Page benchmark: the grid map page in headless Chromium (Debian's, driven by Playwright), beside a naive page.

Builds the full demo city (1,000 cells) and copies whose grid is regenerated as square cells of each
``--cells-m`` size (150 m: ~10,000 cells, 68 m: ~50,000), starts ``streamlit run app.py`` on each
(with ``SAFEGRID_RUN_LOG``, so every script run's server time is known) and, on the same database,
``bench/naive_grid_page.py``: a plain folium + ``st_folium`` page drawing every cell as a choropleth.
Each round uses a fresh browser (nothing cached in the page), signed in as the demo leader through
the sign-in form, and times from the click to the final picture (the map frame holds the expected
features and a painted canvas after two animation frames):

- open      the grid page's link in the navigation, until the district's streets are drawn
- drill     a click on a street, until its communities are drawn
- cells     "all grid cells" (全部网格), until every cell of the county is drawn
- measure   another measure (每千人警情) in the all-cells view, until the cells are recoloured
- naive     the naive page: its first measure (cells drawn), then the other (recoloured)

Per step it prints the browser seconds, the server seconds of the runs the step caused (from the
run log; how many runs), the seconds until the script finished, and the KiB received over the
websocket (message payloads, as Chrome's DevTools report them): all of it, and the map
component's messages and the data tables' apart. ``cells`` and ``measure`` are compared with the
naive page's draw and change on the same cells in the same round (ratio = SafeGrid / naive).

Usage: ``.venv/bin/python bench/page_bench.py [--rounds K] [--cells-m 150 68] [--smoke]``. Prints a
table; it asserts nothing (targets: open <= 1.5 s, drill <= 1.0 s, all cells <= 2.5 s and <= 1 MB at
10,441 cells, <= 5 s at 50,000, and <= 0.5 x the naive page).
``--smoke``: a 5 % demo city and a 600 m regenerated grid, one round; the tests run it.
"""

from __future__ import annotations

import argparse
import base64
import os
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from geo.ui import runlog  # noqa: E402  (the bench runs as a script)

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
USER = "leader"  # the demo's county-wide leader
SMOKE = dict(rounds=1, cells_m=[600.0], scale=0.05)
CELL_FRAME, NAIVE_FRAME = "safegrid_map", "streamlit_folium"
# lengths of code [shortest, longest] of the demo's streets, communities and grid cells (regenerated: 14 to 16)
STREET, COMMUNITY, CELL = [4, 4], [6, 6], [7, 99]
TIMEOUT_S = 300.0  # a guard against a hang at 50,000 cells on a loaded machine, not a target
SLIVERS = 0.995  # a few slivers of clipped cells may be lost to rounding

# In a map frame: the code-bearing features of window.map, all with a code length in ``want``, at least
# ``n`` of them, their fill colours no longer ``sig`` (when given); then, two animation frames later, painted.
FILLS = """(m) => Object.values(m._layers).filter(l => l.feature && l.feature.properties
  && l.feature.properties.code !== undefined).slice(0, 5000).map(l => l.options.fillColor).join()"""
DRAWN = """async ([want, n, sig]) => {
  const m = window.map; if (!m || !m._layers) return false;
  let k = 0;
  for (const l of Object.values(m._layers)) {
    const p = l.feature && l.feature.properties;
    if (!p || p.code === undefined) continue;
    const len = String(p.code).length;
    if (len < want[0] || len > want[1]) return false;
    k++;
  }
  if (k < n) return false;
  if (sig !== null && (%s)(m) === sig) return false;
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  for (const c of document.querySelectorAll('.leaflet-container canvas')) {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    for (let i = 3; i < d.length; i += 64) if (d[i] > 0) return true;
  }
  return false;
}""" % FILLS
# Streamlit marks its root element with the state of the script run; the status widget shows while it runs.
IDLE = """() => { const app = document.querySelector('[data-testid="stApp"]');
  return !!app && app.dataset.testScriptState === 'notRunning'
    && !document.querySelector('[data-testid="stStatusWidget"]'); }"""


def build_databases(workdir: Path, sizes: list[float], scale: float = 1.0) -> list[tuple[str, str, int]]:
    """[(name, url, grid cells)]: the demo city and one regenerated grid per size (m)."""
    demo = workdir / "demo.sqlite"
    py = sys.executable
    subprocess.run([py, "-m", "geo", "demo", "--db", f"sqlite:///{demo}", "--quiet", "--scale", str(scale)],
                   cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    paths = [("demo city", demo)]
    for size in sizes:
        path = workdir / f"cells-{size:g}m.sqlite"
        shutil.copyfile(demo, path)
        subprocess.run([py, "-m", "geo", "import", "grid", "--db", f"sqlite:///{path}", "--cell-size", str(size),
                        "--shape", "square"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        paths.append((f"grid {size:g} m", path))
    out = []
    for name, path in paths:
        with sqlite3.connect(path) as conn:
            n = conn.execute("SELECT COUNT(*) FROM areas WHERE level = 'grid'").fetchone()[0]
        out.append((name, f"sqlite:///{path}", n))
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(script: Path, env: dict) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(script), "--server.address", "127.0.0.1",
                             "--server.port", str(port), "--server.headless", "true"], cwd=ROOT,
                            env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if urllib.request.urlopen(f"{base}/_stcore/health", timeout=1).status == 200:
                return proc, base
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"streamlit did not start: {script}")


def naive_script(workdir: Path) -> Path:
    """The naive page copied beside a link to the app's static files (Streamlit serves ``static/`` next
    to the main script: Leaflet from there, as there is no internet)."""
    folder = workdir / "naive"
    folder.mkdir(exist_ok=True)
    shutil.copyfile(ROOT / "bench" / "naive_grid_page.py", folder / "naive_grid_page.py")
    if not (folder / "static").exists():
        (folder / "static").symlink_to(ROOT / "static")
    return folder / "naive_grid_page.py"


class Wire:
    """What the page receives over Streamlit's websocket, by kind of message: bytes of message payloads."""

    KINDS = {"component_instance": "map", "dataframe": "table", "table": "table"}

    def __init__(self, context, page):
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        self._msg = ForwardMsg
        self.bytes: Counter = Counter()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.on("Network.webSocketFrameReceived", self._received)

    def _received(self, event: dict) -> None:
        response = event["response"]
        data = response["payloadData"]
        raw = base64.b64decode(data) if response.get("opcode") == 2 else data.encode("utf-8")
        self.bytes["all"] += len(raw)
        self.bytes[self._kind(raw)] += len(raw)

    def _kind(self, raw: bytes) -> str:
        try:
            msg = self._msg.FromString(raw)
        except Exception:
            return "other"
        if msg.WhichOneof("type") == "delta" and msg.delta.WhichOneof("type") == "new_element":
            return self.KINDS.get(msg.delta.new_element.WhichOneof("type"), "other")
        return "other"

    def snapshot(self) -> Counter:
        return Counter(self.bytes)


def _frames(page, marker: str) -> list:
    return [f for f in page.frames if marker in f.url]


def wait_drawn(page, marker: str, want: list[int], n: int, sig: str | None = None):
    deadline = time.perf_counter() + TIMEOUT_S
    while time.perf_counter() < deadline:
        for frame in _frames(page, marker):
            try:
                if frame.evaluate(DRAWN, [want, n, sig]):
                    return frame
            except Exception:
                continue  # still loading, or replaced meanwhile
        page.wait_for_timeout(15)
    page.screenshot(path="/tmp/page-bench-timeout.png")
    raise TimeoutError(f"no {marker} frame drew {n}+ features of code length {want}")


def fills(frame) -> str:
    return frame.evaluate(f"() => ({FILLS})(window.map)")


def timed_step(page, wire: Wire, click, marker: str, want: list[int], n: int, log: Path | None = None,
               recolour_of=None) -> dict:
    """Click, wait for the final picture, then for the script's end; what the step cost."""
    sig = fills(recolour_of) if recolour_of is not None else None
    runs_before = len(runlog.read(log)) if log else 0
    before = wire.snapshot()
    start = time.perf_counter()
    click()
    frame = wait_drawn(page, marker, want, n, sig)
    browser = time.perf_counter() - start
    page.wait_for_function(IDLE, timeout=TIMEOUT_S * 1000, polling=15)
    done = time.perf_counter() - start
    page.wait_for_timeout(100)  # let the last websocket events reach the counter
    runs = runlog.read(log)[runs_before:] if log else []
    got = wire.snapshot() - before
    return {"frame": frame, "browser": browser, "done": done, "server": sum(r["seconds"] for r in runs),
            "runs": len(runs), **{f"kib_{k}": got.get(k, 0) / 1024 for k in ("all", "map", "table")}}


def sign_in(page, base: str) -> None:
    """The sign-in form, as a user fills it (the demo's passwords are derived from the name)."""
    from geo.ingest.demo import demo_password

    page.goto(base)
    page.get_by_label("账号").fill(USER)
    page.get_by_label("密码").fill(demo_password(USER))
    page.get_by_role("button", name="登录").click()
    page.get_by_label("账号").wait_for(state="detached", timeout=60_000)


def _new_page(browser):
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    page = context.new_page()
    return context, page, Wire(context, page)


def safegrid_round(browser, base: str, log: Path, n_cells: int) -> dict:
    context, page, wire = _new_page(browser)
    sign_in(page, base)
    link = page.get_by_role("link", name="网格地图")
    link.wait_for(timeout=TIMEOUT_S * 1000)
    page.wait_for_function(IDLE, timeout=TIMEOUT_S * 1000)
    out = {"open": timed_step(page, wire, link.click, CELL_FRAME, STREET, 1, log)}
    container = out["open"]["frame"].locator(".leaflet-container")
    container.scroll_into_view_if_needed()  # a click that scrolls can miss
    box = container.bounding_box()
    out["drill"] = timed_step(page, wire, lambda: container.click(position={"x": box["width"] * 0.5,
                                                                            "y": box["height"] * 0.5}),
                              CELL_FRAME, COMMUNITY, 1, log)
    page.get_by_role("button", name="安宁县").click()  # back to the county by the breadcrumb
    wait_drawn(page, CELL_FRAME, STREET, 1)
    page.wait_for_function(IDLE, timeout=TIMEOUT_S * 1000)
    n = int(n_cells * SLIVERS)
    choose = page.get_by_role("radio", name="全部网格").click
    out["cells"] = timed_step(page, wire, choose, CELL_FRAME, CELL, n, log)
    choose = page.get_by_role("radio", name="每千人警情").click
    out["measure"] = timed_step(page, wire, choose, CELL_FRAME, CELL, n, log, recolour_of=out["cells"]["frame"])
    context.close()
    return out


def naive_round(browser, base: str, n_cells: int) -> dict:
    context, page, wire = _new_page(browser)
    page.goto(base)
    page.get_by_text("total", exact=True).wait_for(timeout=60_000)
    page.wait_for_function(IDLE, timeout=60_000)
    n = int(n_cells * SLIVERS)
    out = {"cells": timed_step(page, wire, page.get_by_text("total", exact=True).click, NAIVE_FRAME, CELL, n)}
    out["measure"] = timed_step(page, wire, page.get_by_text("recent", exact=True).click, NAIVE_FRAME, CELL, n,
                                recolour_of=out["cells"]["frame"])
    context.close()
    return out


STEPS = ("open", "drill", "cells", "measure")
NAIVE = {"cells": "naive draw", "measure": "naive change"}


def _median(rounds: list[dict], step: str, key: str) -> float:
    return statistics.median(r[step][key] for r in rounds)


def _spread(rounds: list[dict], step: str, key: str) -> str:
    values = [r[step][key] for r in rounds]
    return f"{statistics.median(values):.2f} ({max(values):.2f})"


def print_table(rows: list, rounds: int, file=None) -> None:
    out = partial(print, file=file or sys.stdout, flush=True)
    out(f"\nGrid map page, headless Chromium, {rounds} round(s) each: median (max in brackets)\n")
    head = (f"{'database':<14}{'cells':>8}  {'step':<13}{'browser s':>15}{'server s':>10}{'runs':>5}"
            f"{'script s':>10}{'ws KiB':>9}{'map KiB':>9}{'table KiB':>10}{'naive s':>9}{'ratio':>7}")
    out(head)
    out("-" * len(head))
    for name, n_cells, ours, naive in rows:
        for step in STEPS:
            line = (f"{name:<14}{n_cells:>8,}  {step:<13}{_spread(ours, step, 'browser'):>15}"
                    f"{_median(ours, step, 'server'):>10.2f}{_median(ours, step, 'runs'):>5.0f}"
                    f"{_median(ours, step, 'done'):>10.2f}{_median(ours, step, 'kib_all'):>9.0f}"
                    f"{_median(ours, step, 'kib_map'):>9.0f}{_median(ours, step, 'kib_table'):>10.0f}")
            if step in NAIVE:
                ratio = statistics.median(o[step]["browser"] / b[step]["browser"] for o, b in zip(ours, naive))
                line += f"{_median(naive, step, 'browser'):>9.2f}{ratio:>7.2f}"
            out(line)
        for step, label in NAIVE.items():
            out(f"{name:<14}{n_cells:>8,}  {label:<13}{_spread(naive, step, 'browser'):>15}{'':>10}{'':>5}"
                  f"{_median(naive, step, 'done'):>10.2f}{_median(naive, step, 'kib_all'):>9.0f}"
                  f"{_median(naive, step, 'kib_map'):>9.0f}{_median(naive, step, 'kib_table'):>10.0f}")
    out("\nbrowser: click to the final picture; server: script runs the step caused (run log); script: click to"
          "\nthe end of the last run; KiB: websocket message payloads received (map: the map component's, table:"
          "\ndata tables'); naive: bench/naive_grid_page.py on the same cells in the same round (cells: its first"
          "\ndraw; measure: its change of measure); ratio: SafeGrid / naive, median of the rounds' ratios.")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cells-m", type=float, nargs="*", default=[150.0, 68.0],
                        help="cell sizes of the regenerated grids (m); 150: ~10,000 cells, 68: ~50,000")
    parser.add_argument("--smoke", action="store_true", help="small and once, to check the bench still runs")
    args = parser.parse_args(argv)
    scale = 1.0
    if args.smoke:
        args.rounds, args.cells_m, scale = SMOKE["rounds"], SMOKE["cells_m"], SMOKE["scale"]
    from playwright.sync_api import sync_playwright

    rows = []
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        work = Path(tmp)
        browser = pw.chromium.launch(executable_path=os.environ.get("SAFEGRID_CHROMIUM", "/usr/bin/chromium"),
                                     args=CHROMIUM_ARGS)
        naive = naive_script(work)
        for i, (name, url, n_cells) in enumerate(build_databases(work, args.cells_m, scale)):
            log = work / f"runs-{i}.jsonl"
            ours_proc, ours = start_server(ROOT / "app.py", {"DATABASE_URL": url, runlog.ENV: str(log)})
            naive_proc, naive_base = start_server(naive, {"DATABASE_URL": url})
            try:
                results = [(safegrid_round(browser, ours, log, n_cells),
                            naive_round(browser, naive_base, n_cells)) for _ in range(args.rounds)]
            finally:
                for proc in (ours_proc, naive_proc):
                    proc.terminate()
                    try:
                        proc.wait(30)
                    except subprocess.TimeoutExpired:
                        proc.kill()
            rows.append((name, n_cells, [r[0] for r in results], [r[1] for r in results]))
            print_table(rows[-1:], args.rounds, file=sys.stderr)  # as it comes: a long run that fails keeps these
        browser.close()
    print_table(rows, args.rounds)


if __name__ == "__main__":
    main()
