"""Load benchmark: N signed-in sessions at once on the grid map, a drill click and the wall.

Starts its own demo database and one ``streamlit run app.py`` (with ``SAFEGRID_RUN_LOG``), or drives
a server or proxy already running (``--url``), or the cluster (``--cluster``: ``scripts/cluster.sh
up``, nginx on 8600, and ``down`` at the end). All N sessions start together, as a command centre's
screens do after a restart, and each goes through:

- first page  opening the app until the sign-in form is there
- sign-in     the form filled and sent as the demo leader, until the signed-in page is there
- map         the grid page, until the district's streets are drawn
- drill       a click on a street, until its communities are drawn
- wall        the wall page, until its map of grid cells is drawn

B of the sessions are headless Chromium pages (one browser, one context each; "drawn" is the map
frame holding the expected features and a painted canvas, as in ``bench/page_bench.py``); the rest
speak Streamlit's websocket protocol (``bench/load_protocol.py``; "drawn" is the end of the script
run that delivered the map's shapes: server time and transfer, no paint). While they run, the
resident memory (VmRSS) of the Streamlit server processes is sampled: before, peak, after.

Usage: ``.venv/bin/python bench/load_bench.py --sessions N [--browsers B] [--url URL | --cluster]
[--smoke]``. Prints a table; asserts nothing (targets: 50 sessions, p95 map <= 5 s, RSS growth
<= 100 MB for 50 sessions, 0 errors). ``--smoke``: 2 sessions (1 browser, 1 protocol) on a 5 % demo.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
import load_protocol  # noqa: E402  (the bench runs as a script)
from page_bench import (CELL, CELL_FRAME, CHROMIUM_ARGS, COMMUNITY, DRAWN, STREET, USER,  # noqa: E402
                        build_databases, start_server)

from geo.ui import runlog  # noqa: E402

CLUSTER_URL = "http://127.0.0.1:8600"  # nginx in front of the cluster's app servers (scripts/cluster.sh)
CLUSTER_SCRIPT = ROOT / "scripts" / "cluster.sh"
CLUSTER_PORTS = [8601, 8602]  # its two app servers
TIMEOUT_S = 120.0  # per step: a session that waits longer counts as an error
# headless pages the machine holds beside the server: two per core (10 on 2 cores took 40-50 s to show the
# sign-in form with the server idle: Chromium, not the app, was then the wall)
BROWSERS = 2 * (os.cpu_count() or 1)
WANT = {"street": tuple(STREET), "community": tuple(COMMUNITY), "cell": tuple(CELL)}
ERRORS_JS = """() => Array.from(document.querySelectorAll('[data-testid="stException"], [data-testid="stAlertContentError"]'))
  .map(e => e.innerText.slice(0, 200))"""
STEPS = ("first_page", "sign_in", "map", "drill", "wall")


def password() -> str:
    from geo.ingest.demo import demo_password

    return demo_password(USER)


# ---- browser sessions ---------------------------------------------------------------------------

async def _wait_drawn(page, want: tuple[int, int], deadline: float):
    while time.perf_counter() < deadline:
        for frame in [f for f in page.frames if CELL_FRAME in f.url]:
            try:
                if await frame.evaluate(DRAWN, [list(want), 1, None]):
                    return frame
            except Exception:
                continue  # still loading, or replaced meanwhile
        await page.wait_for_timeout(50)
    raise TimeoutError(f"no map drew areas of code length {want}")


async def browser_session(browser, base: str, timeout: float) -> dict:
    out: dict = {"client": "browser", "errors": []}
    context = await browser.new_context(viewport={"width": 1600, "height": 1000})
    page = await context.new_page()
    ms = timeout * 1000
    try:
        t = time.perf_counter()
        await page.goto(base, timeout=ms)
        await page.get_by_label("账号").wait_for(timeout=ms)
        out["first_page"] = time.perf_counter() - t
        t = time.perf_counter()
        await page.get_by_label("账号").fill(USER)
        await page.get_by_label("密码").fill(password())
        await page.get_by_role("button", name="登录").click()
        link = page.get_by_role("link", name="网格地图")
        await link.wait_for(timeout=ms)
        out["sign_in"] = time.perf_counter() - t
        t = time.perf_counter()
        await link.click()
        frame = await _wait_drawn(page, WANT["street"], t + timeout)
        out["map"] = time.perf_counter() - t
        container = frame.locator(".leaflet-container")
        await container.scroll_into_view_if_needed()
        box = await container.bounding_box()
        t = time.perf_counter()
        await container.click(position={"x": box["width"] * 0.5, "y": box["height"] * 0.5})
        await _wait_drawn(page, WANT["community"], t + timeout)
        out["drill"] = time.perf_counter() - t
        out["errors"] += await page.evaluate(ERRORS_JS)
        t = time.perf_counter()
        await page.get_by_role("link", name="指挥大屏").click()
        await _wait_drawn(page, WANT["cell"], t + timeout)
        out["wall"] = time.perf_counter() - t
        out["errors"] += await page.evaluate(ERRORS_JS)
    except Exception as exc:  # a timeout is an error of this session; the others go on
        out["errors"].append(f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:300])
    finally:
        await context.close()
    return out


# ---- server memory --------------------------------------------------------------------------------

def server_pids(ports: list[int]) -> list[int]:
    """The ``streamlit run`` processes on this machine serving one of ``ports`` (``--server.port``)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmd = [a.decode(errors="replace") for a in (entry / "cmdline").read_bytes().split(b"\0")]
            except OSError:
                continue
            if any("streamlit" in a for a in cmd) and "run" in cmd and any(
                    f"--server.port={p}" in cmd or (a == "--server.port" and b == str(p))
                    for p in ports for a, b in zip(cmd, cmd[1:] + [""])):
                pids.append(int(entry.name))
    return pids


def rss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


class RssSampler(threading.Thread):
    """The summed RSS of the server processes every half second; the peak."""

    def __init__(self, pids: list[int]):
        super().__init__(daemon=True)
        self.pids, self.peak, self._halt = pids, rss_mb(pids), threading.Event()

    def run(self) -> None:
        while not self._halt.wait(0.5):
            self.peak = max(self.peak, rss_mb(self.pids))

    def stop(self) -> None:
        self._halt.set()
        self.join()


# ---- one load round --------------------------------------------------------------------------------

async def load_round(base: str, sessions: int, browsers: int, timeout: float) -> list[dict]:
    from playwright.async_api import async_playwright

    n_browser = min(browsers, sessions)
    async with async_playwright() as pw:
        browser = None
        if n_browser:
            browser = await pw.chromium.launch(
                executable_path=os.environ.get("SAFEGRID_CHROMIUM", "/usr/bin/chromium"), args=CHROMIUM_ARGS)
        jobs = [browser_session(browser, base, timeout) for _ in range(n_browser)]
        jobs += [load_protocol.session(base, USER, password(), WANT, timeout) for _ in range(sessions - n_browser)]
        results = await asyncio.gather(*jobs)
        if browser is not None:
            await browser.close()
    return list(results)


def measure(name: str, base: str, sessions: int, browsers: int, timeout: float, pids: list[int],
            log: Path | None = None) -> dict:
    asyncio.run(load_protocol.first_page(base, timeout))  # "before": the app imported, its data caches cold
    before = rss_mb(pids)
    sampler = RssSampler(pids)
    sampler.start()
    t0 = time.perf_counter()
    results = asyncio.run(load_round(base, sessions, browsers, timeout))
    wall_s = time.perf_counter() - t0
    sampler.stop()
    time.sleep(1.0)
    runs = runlog.read(log) if log else []
    return {"name": name, "sessions": sessions, "results": results, "rss_before": before, "rss_peak": sampler.peak,
            "rss_after": rss_mb(pids), "servers": len(pids), "seconds": wall_s, "runs": runs}


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    if not values:
        return float("nan")
    k = max(0, min(len(values) - 1, round(q * (len(values) - 1))))
    return values[k]


def _cell(values: list[float]) -> str:
    if not values:
        return f"{'—':>20}"
    return f"{_pct(values, 0.5):>6.2f}{_pct(values, 0.95):>7.2f}{max(values):>7.2f}"


def print_table(rows: list[dict], file=None) -> None:
    out = partial(print, file=file or sys.stdout, flush=True)
    out("\nLoad: N signed-in sessions at once (seconds per step: p50 p95 max over the sessions that reached it)\n")
    head = (f"{'setup':<11}{'sessions':>9}{'brw/proto':>10}  {'client':<9}"
            + "".join(f"{s:>20}" for s in STEPS) + f"{'errors':>8}")
    out(head)
    out("-" * len(head))
    for row in rows:
        results = row["results"]
        nb = sum(r["client"] == "browser" for r in results)
        for client in ("all", "browser", "protocol"):
            mine = [r for r in results if client in ("all", r["client"])]
            if not mine or (client != "all" and len(mine) == len(results)):
                continue
            errors = sum(bool(r["errors"]) for r in mine)
            out(f"{row['name']:<11}{row['sessions']:>9}{f'{nb}/{len(results) - nb}':>10}  {client:<9}"
                + "".join(_cell([r[s] for r in mine if s in r]) for s in STEPS) + f"{errors:>8}")
        done = [r for r in results if "wall" in r]
        out(f"{'':<11}sessions complete: {len(done)} of {len(results)} (browser "
            f"{sum(r['client'] == 'browser' for r in done)}, protocol {sum(r['client'] == 'protocol' for r in done)}),"
            f" {sum(bool(r['errors']) for r in results)} with errors")
        growth = row["rss_after"] - row["rss_before"]
        peak = row["rss_peak"] - row["rss_before"]
        out(f"{'':<11}server RSS (sum of {row['servers']}): before {row['rss_before']:.0f} MB, peak "
            f"{row['rss_peak']:.0f} MB (+{peak:.0f}), after {row['rss_after']:.0f} MB (+{growth:.0f}, "
            f"{growth / max(1, row['sessions']):.1f} MB per session); round took {row['seconds']:.1f} s")
        if row["runs"]:
            by_page: dict[str, list[float]] = {}
            for r in row["runs"]:
                by_page.setdefault(r["page"] or "(overview)", []).append(r["seconds"])
            out(f"{'':<11}server time per script run (run log): " + ", ".join(
                f"{page} {len(v)} runs p50 {_pct(v, 0.5):.2f} s p95 {_pct(v, 0.95):.2f} s"
                for page, v in sorted(by_page.items())))
        seen = sorted({e for r in results for e in r["errors"]})
        for e in seen[:8]:
            out(f"{'':<11}error: {e}")
    out("\nfirst page: open to sign-in form; sign-in: submit to signed in; map: grid link to streets drawn; drill:"
        "\nclick on a street to its communities drawn; wall: wall link to its cells drawn. browser: Chromium, drawn ="
        "\npainted canvas; protocol: websocket client, drawn = end of the run that sent the shapes (no paint)."
        "\nerrors: sessions with a timeout, an exception or an error element on the page.")


def cluster(action: str) -> bool:
    if not CLUSTER_SCRIPT.exists():
        print(f"no {CLUSTER_SCRIPT.relative_to(ROOT)}: the cluster row is left out", file=sys.stderr)
        return False
    subprocess.run(["bash", str(CLUSTER_SCRIPT), action], cwd=ROOT, check=True)
    return True


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, nargs="+", default=[10], help="concurrent sessions (several: one round each)")
    parser.add_argument("--browsers", type=int, default=BROWSERS, help="of them, headless Chromium pages")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--url", help="drive this running server or proxy instead of starting one")
    where.add_argument("--cluster", action="store_true", help="also run on scripts/cluster.sh (nginx on 8600)")
    parser.add_argument("--pid", type=int, nargs="*", help="with --url: the server processes whose memory counts "
                        "(default: the streamlit processes started with the url's port)")
    parser.add_argument("--timeout", type=float, default=TIMEOUT_S, help="seconds a step may take")
    parser.add_argument("--scale", type=float, default=1.0, help="demo city scale")
    parser.add_argument("--smoke", action="store_true", help="2 sessions (1 browser, 1 protocol) on a 5 %% demo")
    args = parser.parse_args(argv)
    if args.smoke:
        args.sessions, args.browsers, args.scale = [2], 1, 0.05
    rows = []
    if args.url:
        for n in args.sessions:
            pids = args.pid or server_pids([urlsplit(args.url).port or 80])
            rows.append(measure("url", args.url, n, args.browsers, args.timeout, pids))
            print_table(rows[-1:], file=sys.stderr)
        print_table(rows)
        return
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (_, url, _), = build_databases(work, [], args.scale)
        log = work / "runs.jsonl"
        proc, base = start_server(ROOT / "app.py", {"DATABASE_URL": url, runlog.ENV: str(log)})
        try:
            for n in args.sessions:
                log.unlink(missing_ok=True)
                rows.append(measure("one server", base, n, args.browsers, args.timeout, [proc.pid], log))
                print_table(rows[-1:], file=sys.stderr)  # as it comes: a long run that fails keeps these
        finally:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
    if args.cluster and cluster("up"):
        try:
            for n in args.sessions:
                rows.append(measure("cluster", CLUSTER_URL, n, args.browsers, args.timeout, server_pids(CLUSTER_PORTS)))
        finally:
            cluster("down")
    print_table(rows)
    if args.smoke and any(r["errors"] for row in rows for r in row["results"]):
        sys.exit("the smoke run had sessions with errors")  # the bench itself (or the app) is broken


if __name__ == "__main__":
    main()
