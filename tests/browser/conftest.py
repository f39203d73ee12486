"""A real app server and a real browser: `streamlit run` and Debian's Chromium via Playwright.

Every wait here is for a condition (the server says it listens, a run has finished, a map frame draws
what is asked, a text shows), each with a generous limit for a loaded machine; never a fixed time.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.requires import CHROMIUM, browser_missing, unavailable

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
LOCAL_PREFIXES = ("http://127.0.0.1", "http://localhost", "ws://127.0.0.1", "data:", "blob:", "about:")
SCREENS = os.environ.get("SAFEGRID_SCREENSHOTS")
SLOW_MS = 60_000  # a page, a map or a run on a loaded machine
MAP_FRAME = "streamlit_folium"  # in the address of every folium map's frame
CELL_MAP_FRAME = "safegrid_map"  # in the address of every frame of SafeGrid's own map component
MAP_FRAMES = [MAP_FRAME, CELL_MAP_FRAME]

# Streamlit marks its root element with the state of the script run; the status widget shows while it runs.
IDLE = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  return !!app && app.dataset.testScriptState === 'notRunning'
    && !document.querySelector('[data-testid="stStatusWidget"]');
}"""
# Whether some map frame of the page holds ``predicate(arg)`` (evaluated in that frame: its ``window.map``).
SOME_FRAME_HOLDS = """([marker, predicate, arg]) => Array.from(document.querySelectorAll('iframe')).some(f => {
  try {
    const w = f.contentWindow;
    return marker.some(m => f.src.includes(m)) && !!w.map && w.eval('(' + predicate + ')')(arg);
  } catch (e) { return false; }  // still loading, or replaced meanwhile
})"""
# Whether every frame of the page has loaded (a map frame: its map made).
FRAMES_LOADED = """([marker]) => Array.from(document.querySelectorAll('iframe')).every(f => {
  try {
    const d = f.contentDocument;
    return !!d && d.readyState === 'complete' && (!marker.some(m => f.src.includes(m)) || !!f.contentWindow.map);
  } catch (e) { return false; }
})"""
POLYGONS = """() => Object.values(window.map._layers)
  .filter(l => l.feature && /Polygon/.test(l.feature.geometry.type)).length"""
CELLS_OF = ("(p) => Object.values(window.map._layers).some(l => l.feature && "
            "String(l.feature.properties.code).startsWith(p + '0'))")
CELL_POINT = """(args) => {
  // a cell under args.prefix (not args.not) whose bounding-box centre lies inside it (clipped cells may be concave)
  for (const layer of Object.values(window.map._layers)) {
    const code = layer.feature && String(layer.feature.properties.code);
    if (!code || !code.startsWith(args.prefix) || code.length <= args.prefix.length || code === args.not) continue;
    const centre = layer.getBounds().getCenter();
    if (!layer._containsPoint(window.map.latLngToLayerPoint(centre))) continue;
    const p = window.map.latLngToContainerPoint(centre);
    return {x: Math.round(p.x), y: Math.round(p.y), code: code};
  }
  return null;
}"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _copy_until_ready(pipe, log: Path, ready: threading.Event) -> None:
    """Copy the server's output to ``log``; set ``ready`` once it says where it listens."""
    with open(log, "w") as out:
        for line in pipe:
            out.write(line)
            out.flush()
            if re.search(r"URL: http://127\.0\.0\.1:\d+", line):
                ready.set()


def start_server(database_url: str, workdir: Path) -> tuple[subprocess.Popen, str]:
    """A Streamlit server of the app on a free port, on ``database_url``, logging to ``workdir``."""
    port = _free_port()
    log = workdir / "streamlit.log"
    env = {**os.environ, "DATABASE_URL": database_url, "SAFEGRID_WALL_REFRESH_S": "2",
           "PYTHONUNBUFFERED": "1"}  # its lines reach the log as they are written
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.address", "127.0.0.1",
                             "--server.port", str(port), "--server.headless", "true"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    ready = threading.Event()
    threading.Thread(target=_copy_until_ready, args=(proc.stdout, log, ready), daemon=True).start()
    url = f"http://127.0.0.1:{port}"
    if not ready.wait(90) or urllib.request.urlopen(f"{url}/_stcore/health", timeout=30).status != 200:
        proc.kill()
        pytest.fail(f"streamlit did not start: {log.read_text()[-2000:]}")
    return proc, url


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="session")
def app_url(demo_url, tmp_path_factory):
    proc, url = start_server(demo_url, tmp_path_factory.mktemp("server"))
    yield url
    stop_server(proc)


@pytest.fixture(scope="session")
def browser():
    why = browser_missing()
    if why:
        unavailable("browser", why)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def offline_page(browser):
    """A page on which every request leaving this machine is blocked and recorded."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.external_requests = []
    page.sockets = []  # the app's websockets, to read what the server says (see a_run)
    page.on("websocket", lambda ws: page.sockets.append(ws))

    def route(r):
        if r.request.url.startswith(LOCAL_PREFIXES):
            return r.continue_()
        page.external_requests.append(r.request.url)
        return r.abort()

    context.route("**/*", route)
    yield page
    context.close()


def sign_in(page, url: str, user: str = "admin") -> None:
    """Open ``url`` and sign in through the log-on form with the demo account ``user``."""
    from geo.ingest.demo import demo_password

    page.goto(url)
    page.get_by_label("账号").fill(user)
    page.get_by_label("密码").fill(demo_password(user))
    page.get_by_role("button", name="登录").click()
    page.get_by_label("账号").wait_for(state="detached", timeout=SLOW_MS)


def open_page(page, url: str, link: str, user: str = "admin") -> None:
    """Sign in as ``user`` and go to the page of the navigation link ``link``, by a click (a cold direct
    hit on a page's address shows Streamlit's "page not found"), once the overview has come up."""
    sign_in(page, url, user)
    wait_for_text(page, "平安网格 · 总览")
    page.get_by_role("link", name=link).click()


def open_grid(page, url: str) -> None:
    """The grid map page, signed in as the administrator, its filters drawn."""
    open_page(page, url, "网格地图")
    wait_for_text(page, "统计期")


def drill_down(page, code: str, level: str = "社区/村") -> None:
    """Focus the grid page on area ``code`` through its search box; the crumbs then read street › ``code``."""
    from playwright.sync_api import expect

    page.get_by_label("按编码或名称查找").fill(code)
    page.keyboard.press("Enter")
    page.get_by_role("button", name=f"{code} · {level}").click()
    expect(page.get_by_role("button", name=re.compile("^› "))).to_have_count(2, timeout=SLOW_MS)


def wait_for_text(page, text, timeout: int = SLOW_MS) -> None:
    """Until ``text`` (a string or a pattern) shows on the page."""
    page.get_by_text(text).first.wait_for(timeout=timeout)


def wait_until_idle(page, timeout: int = 90_000) -> None:
    """Until no script run is going on (Streamlit's own run state, and no status widget)."""
    page.wait_for_function(IDLE, timeout=timeout, polling=100)


def _run_finished(payload) -> bool:
    """Whether a message from the server (a websocket frame) says a script run has finished."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    if not isinstance(payload, (bytes, bytearray)):
        return False
    msg = ForwardMsg()
    try:
        msg.ParseFromString(bytes(payload))
    except Exception:  # not one of Streamlit's messages
        return False
    return msg.WhichOneof("type") == "script_finished"


@contextmanager
def a_run(page, timeout: int = 90_000):
    """Around an action (a click) that makes the server run the page: on leaving, the server has said
    that a run started after the action has finished, and the page shows no run going on."""
    socket = next(ws for ws in reversed(page.sockets) if not ws.is_closed())
    with socket.expect_event("framereceived", predicate=_run_finished, timeout=timeout):
        yield
    wait_until_idle(page, timeout)


def wait_for_frames(page, timeout: int = 90_000) -> None:
    """Until every frame of the page (components, maps) has loaded."""
    page.wait_for_function(FRAMES_LOADED, arg=[MAP_FRAMES], timeout=timeout, polling=200)


def map_frame(page, predicate: str = "() => true", arg=None, timeout_s: float = 60):
    """The map frame in which the JavaScript ``predicate(arg)`` holds (its ``window.map`` being the
    folium map). A rerun replaces map frames, so it waits on every frame the page holds."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    deadline = time.monotonic() + timeout_s
    while True:
        left = deadline - time.monotonic()
        try:
            page.wait_for_function(SOME_FRAME_HOLDS, arg=[MAP_FRAMES, predicate, arg],
                                   timeout=max(left, 0.001) * 1000, polling=200)
        except PlaywrightTimeout:
            raise AssertionError(f"no map frame satisfied {predicate} within {timeout_s} s") from None
        for frame in [f for f in page.frames if any(m in f.url for m in MAP_FRAMES)]:
            try:
                if frame.evaluate(f"(arg) => !!window.map && ({predicate})(arg)", arg):
                    return frame
            except Exception:  # replaced between the wait and now: wait for the new one
                continue


def wait_for_map(page, polygons: int = 1, timeout_s: float = 60):
    """The map frame that draws at least ``polygons`` polygons."""
    return map_frame(page, f"(n) => ({POLYGONS})() >= n", polygons, timeout_s)


def steady_point(frame, script: str, arg, timeout: int = 30_000) -> dict:
    """``script(arg)`` (a point of the map, or null) once the map has stopped moving: no zoom or pan
    animation runs and the point is where it was at the previous look, 300 ms before."""
    check = f"""(arg) => {{
      const m = window.map;
      const now = JSON.stringify(({script})(arg));
      const steady = now !== 'null' && now === window.__safegridPoint
        && !m._animatingZoom && !(m._panAnim && m._panAnim._inProgress);
      window.__safegridPoint = now;
      return steady && JSON.parse(now);
    }}"""
    frame.evaluate("() => { delete window.__safegridPoint; }")
    return frame.wait_for_function(check, arg=arg, timeout=timeout, polling=300).json_value()


def click_on_map(page, within: str, script: str = CELL_POINT, arg=None, *, where: str = CELLS_OF,
                 where_arg=None) -> dict:
    """Click the point ``script(arg)`` (by default a cell of area ``within``) on the map frame for which
    ``where(where_arg)`` holds (by default: it draws the cells of ``within``); return the point. A rerun
    may replace the map's frame meanwhile: then again, on the new one."""
    arg = {"prefix": within, "not": None} if arg is None else arg

    def click() -> dict:
        frame = map_frame(page, where, within if where_arg is None else where_arg)
        # the map fully in view first: a click that makes the page scroll can land off target
        frame.locator(".leaflet-container").scroll_into_view_if_needed(timeout=10_000)
        target = steady_point(frame, script, arg)
        frame.locator(".leaflet-container").click(position={"x": target["x"], "y": target["y"]}, timeout=10_000)
        return target

    for _ in range(4):
        try:
            return click()
        except Exception:  # the frame was replaced (detached or hidden): find the new one
            continue
    return click()


def screenshot(page, name: str, tmp_path) -> Path:
    """A full-page screenshot kept in ``$SAFEGRID_SCREENSHOTS`` (else the test's directory)."""
    path = Path(SCREENS or tmp_path) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000
    return path
