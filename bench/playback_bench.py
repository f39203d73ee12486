"""Playback benchmark: time playback of weekly steps over a city-sized grid in headless Chromium, beside
the naive alternative of a Streamlit rerun per step.

Starts ``streamlit run bench/playback_page.py`` (a square grid, made-up weekly counts; see there) and
drives Debian's Chromium through Playwright:

- playback   SafeGrid's playback (``mode=playback``): every step's counts arrive once with the map;
             Play is pressed with no pause between steps (``window.__safegridPlayMs = 0``), and the
             page's own timing (performance.now() when a step is applied and at the next animation
             frame, after Leaflet's canvas redraw) gives the recolour rate. Then once more at the
             default pace (``geo.maps.timeline.PLAY_MS``), the rate a reader sees.
- naive      the same map, one Streamlit rerun per step (``mode=rerun``): a button press, the script
             runs and sends that step's values, the component restyles; timed from the click to the
             animation frame after the new values are applied (``window.__safegridRendered``).

Per way it prints steps, seconds, steps per second, the median step in ms, and the KiB received over
the websocket while stepping (and for the first drawing). Asserts nothing (target: >= 2 steps/s
for 52 weekly steps at 10,000 cells).

Usage: ``.venv/bin/python bench/playback_bench.py [--cells 10000] [--steps 52] [--naive-steps 10] [--smoke]``.
``--smoke``: 1,600 cells, 8 steps, 3 naive steps; the tests run it (with the browser tests).
"""

from __future__ import annotations

import argparse
import base64
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from geo.maps.timeline import PLAY_MS  # noqa: E402  (the bench runs as a script)

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
FRAME = "safegrid_map"
TIMEOUT_MS = int(os.environ.get("PLAYBACK_BENCH_TIMEOUT_MS", 300_000))  # a guard against a hang on a loaded machine, not a target
CELLS_DRAWN = """(n) => !!window.map && Object.values(window.map._layers)
  .filter(l => l.feature && l.feature.properties.code).length >= n"""
PLAYED = "(n) => !!window.__safegridPlayback && window.__safegridPlayback.steps === n && !window.__safegridPlayback.playing"
NEXT_PAINT = """(seen) => (window.__safegridRendered || 0) > seen &&
  new Promise(r => requestAnimationFrame(() => r(true)))"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def page_script(workdir: Path) -> Path:
    """The bench page copied beside a link to the app's static files (Streamlit serves ``static/`` next to
    the main script: Leaflet from there, as there is no internet)."""
    shutil.copyfile(ROOT / "bench" / "playback_page.py", workdir / "playback_page.py")
    (workdir / "static").symlink_to(ROOT / "static")
    return workdir / "playback_page.py"


def start_server(script: Path, cells: int, steps: int) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {**os.environ, "PLAYBACK_CELLS": str(cells), "PLAYBACK_STEPS": str(steps), "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(script),
                             "--server.address", "127.0.0.1", "--server.port", str(port), "--server.headless", "true"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if urllib.request.urlopen(f"{base}/_stcore/health", timeout=1).status == 200:
                return proc, base
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("streamlit did not start")


class Received:
    """Bytes the page receives over Streamlit's websocket (message payloads, as DevTools report them)."""

    def __init__(self, context, page):
        self.bytes = 0
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.on("Network.webSocketFrameReceived", self._received)

    def _received(self, event: dict) -> None:
        response = event["response"]
        data = response["payloadData"]
        self.bytes += len(base64.b64decode(data) if response.get("opcode") == 2 else data.encode("utf-8"))


def map_frame(page, script: str, arg):
    deadline = time.perf_counter() + TIMEOUT_MS / 1000
    while time.perf_counter() < deadline:
        for frame in [f for f in page.frames if FRAME in f.url]:
            try:
                if frame.evaluate(f"(a) => !!(({script})(a))", arg):
                    return frame
            except Exception:
                continue  # still loading, or replaced meanwhile
        page.wait_for_timeout(50)
    raise TimeoutError(f"no map frame held {script}")


def open_map(browser, base: str, mode: str, cells: int):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    wire = Received(context, page)
    start = time.perf_counter()
    page.goto(f"{base}/?mode={mode}")
    frame = map_frame(page, CELLS_DRAWN, cells)
    return context, page, wire, frame, time.perf_counter() - start


def play(frame, steps: int, pace_ms: int | None) -> dict:
    """Press Play (from the first step) and read the page's own timing of every step it painted."""
    frame.get_by_test_id("playback-slider").press("Home")  # back to the first step
    frame.wait_for_function("() => window.__safegridPlayback.step === 0", timeout=TIMEOUT_MS)
    frame.evaluate("(p) => { if (p === null) delete window.__safegridPlayMs; else window.__safegridPlayMs = p; "
                   "window.__safegridPlayback.painted.length = 0; }", pace_ms)
    frame.get_by_test_id("playback-play").click()
    frame.wait_for_function(PLAYED, arg=steps, timeout=TIMEOUT_MS, polling=100)
    painted = frame.evaluate("() => window.__safegridPlayback.painted")
    assert [p["step"] for p in painted] == list(range(1, steps)), "playback skipped a step"
    seconds = (painted[-1]["painted"] - painted[0]["applied"]) / 1000
    return {"steps": len(painted), "seconds": seconds, "median_ms": statistics.median(p["painted"] - p["applied"]
                                                                                       for p in painted)}


def naive(page, frame, steps: int) -> dict:
    times = []
    button = page.get_by_role("button", name="next step")
    for _ in range(steps):
        seen = frame.evaluate("() => window.__safegridRendered || 0")
        start = time.perf_counter()
        button.click()
        frame.wait_for_function(NEXT_PAINT, arg=seen, timeout=TIMEOUT_MS, polling="raf")
        times.append(time.perf_counter() - start)
    return {"steps": steps, "seconds": sum(times), "median_ms": statistics.median(times) * 1000}


def row(name: str, result: dict, kib: float, first_s: float, first_kib: float) -> str:
    rate = result["steps"] / result["seconds"] if result["seconds"] > 0 else float("inf")
    return (f"{name:<28} {result['steps']:>6} {result['seconds']:>8.2f} {rate:>10.1f} {result['median_ms']:>10.1f} "
            f"{kib:>10.1f} {first_s:>9.2f} {first_kib:>10.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=10_000)
    parser.add_argument("--steps", type=int, default=52)
    parser.add_argument("--naive-steps", type=int, default=10)
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args()
    if args.smoke:
        args.cells, args.steps, args.naive_steps = 1_600, 8, 3
    from playwright.sync_api import sync_playwright

    workdir = Path(tempfile.mkdtemp(prefix="playback-bench-"))
    proc, base = start_server(page_script(workdir), args.cells, args.steps)
    rows = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=os.environ.get("SAFEGRID_CHROMIUM", "/usr/bin/chromium"),
                                         args=CHROMIUM_ARGS)
            context, page, wire, _, first_s = open_map(browser, base, "playback", args.cells)
            frame = map_frame(page, "(n) => !!window.__safegridPlayback && window.__safegridPlayback.steps === n",
                              args.steps)
            first_kib = wire.bytes / 1024
            for name, pace in ((f"playback, no pause", 0), (f"playback, default pace {PLAY_MS} ms", None)):
                before = wire.bytes
                result = play(frame, args.steps, pace)
                rows.append(row(name, result, (wire.bytes - before) / 1024, first_s, first_kib))
            context.close()
            context, page, wire, frame, first_s = open_map(browser, base, "rerun", args.cells)
            first_kib = wire.bytes / 1024
            before = wire.bytes
            result = naive(page, frame, args.naive_steps)
            rows.append(row("naive: a rerun per step", result, (wire.bytes - before) / 1024, first_s, first_kib))
            context.close()
            browser.close()
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"Time playback: {args.cells:,} cells, {args.steps} weekly steps, headless Chromium")
    print(f"{'way':<28} {'steps':>6} {'seconds':>8} {'steps/s':>10} {'median ms':>10} {'KiB/steps':>10} "
          f"{'first s':>9} {'first KiB':>10}")
    for line in rows:
        print(line)
    print("KiB/steps: received over the websocket while stepping; first: opening the page until the cells are drawn")


if __name__ == "__main__":
    main()
