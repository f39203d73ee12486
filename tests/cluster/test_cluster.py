"""scripts/cluster.sh for real: a streaming standby, two app servers behind nginx, one of them killed.

The tests run in this order on one cluster: replication first, then a browser signs in through nginx
and loses its app server, and last `down` must leave no process and no listening port behind.
"""

from __future__ import annotations

import os
import signal
import socket
import time
import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from geo.ingest.demo import demo_password
from geo.store import accounts, displaykeys
from geo.store.engine import make_engine
from tests.browser.conftest import SLOW_MS, open_grid, sign_in, wait_for_map, wait_for_text
from tests.cluster.conftest import run_script

pytestmark = pytest.mark.cluster


def _scalar(url: str, sql: str, **params):
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql), params).scalar()
    finally:
        engine.dispose()


def _until(check, seconds: float = 60, what: str = "the condition"):
    deadline = time.monotonic() + seconds
    while not (found := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not hold within {seconds} s")
        time.sleep(0.25)
    return found


def test_the_standby_streams_from_the_primary(cluster):
    state = _scalar(cluster["CLUSTER_ADMIN_URL"], "SELECT string_agg(state || '/' || sync_state, ',') "
                    "FROM pg_stat_replication WHERE application_name = 'walreceiver'")
    assert state == "streaming/async"
    assert _scalar(cluster["CLUSTER_STANDBY_ADMIN_URL"], "SELECT pg_is_in_recovery()") is True
    assert _scalar(cluster["CLUSTER_ADMIN_URL"], "SELECT active FROM pg_replication_slots "
                   "WHERE slot_name = 'safegrid_standby'") is True
    status = run_script(cluster, "status", timeout=60)
    assert status.returncode == 0, status.stdout
    assert "walreceiver streaming" in status.stdout and "standby: in recovery" in status.stdout


def test_a_write_on_the_primary_is_read_on_the_standby(cluster):
    name = f"replica.{uuid.uuid4().hex[:6]}"
    primary = make_engine(cluster["CLUSTER_PRIMARY_URL"])  # the app's own login, as the servers use it
    accounts.add(primary, "test", name, "A-long-secret-2026", "wall")
    primary.dispose()
    seen = "SELECT count(*) FROM users WHERE username = :name"
    _until(lambda: _scalar(cluster["CLUSTER_STANDBY_URL"], seen, name=name) == 1, 30, "the replayed account")
    standby = make_engine(cluster["CLUSTER_STANDBY_URL"])
    try:
        with pytest.raises(Exception, match="read-only transaction"):
            with standby.begin() as conn:
                conn.execute(text("UPDATE users SET disabled = true WHERE username = :name"), {"name": name})
    finally:
        standby.dispose()


def _served_by(cluster, route: str, since: int = 0) -> list[str]:
    """The app server addresses nginx's access log names for the requests of ``route`` (from line ``since``),
    but for WebSocket connections: nginx logs those when they end, long after they reached a server."""
    lines = (cluster["dir"] / "nginx" / "access.log").read_text().splitlines()[since:]
    return [line.split(" upstream=")[1].split(" upstream_status=")[0] for line in lines
            if f" route={route} " in line and "GET /_stcore/stream " not in line]


def _log_length(cluster) -> int:
    return len((cluster["dir"] / "nginx" / "access.log").read_text().splitlines())


SIGN_INS = "SELECT count(*) FROM audit_log WHERE action = 'logon' AND username = 'admin' AND outcome = 'ok'"


def test_sessions_move_to_the_other_server_when_theirs_is_killed(cluster, browser):
    # The owner reads the audit log whole (row-level security binds only the app's role), on either database.
    on_primary = cluster["CLUSTER_OWNER_URL"]
    on_standby = make_url(on_primary).set(port=cluster["ports"]["standby"]).render_as_string(hide_password=False)
    signed_in = _scalar(on_primary, SIGN_INS)
    wall_name = f"wall.{uuid.uuid4().hex[:6]}"
    primary = make_engine(cluster["CLUSTER_PRIMARY_URL"])
    accounts.add(primary, "test", wall_name, demo_password(wall_name), "wall")
    key = displaykeys.issue(primary, "test", wall_name)
    primary.dispose()
    user = browser.new_context(viewport={"width": 1400, "height": 1000})
    wall = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        page = user.new_page()
        sockets = []
        page.on("websocket", lambda ws: sockets.append(ws))
        open_grid(page, cluster["proxy"])  # signed in through nginx
        wait_for_map(page)
        assert _scalar(on_primary, SIGN_INS) == signed_in + 1  # a write through an app server, on the primary
        # the map's reads came from the standby (DATABASE_READ_URL): the app's pooled connections are open there
        assert _scalar(cluster["CLUSTER_STANDBY_ADMIN_URL"], "SELECT count(*) FROM pg_stat_activity "
                       "WHERE usename = 'safegrid_app'") > 0
        route = next(c["value"] for c in user.cookies() if c["name"] == "sgroute")
        servers = set(_served_by(cluster, route))
        assert len(servers) == 1, f"one browser's requests reached {servers}: not sticky"
        port = int(servers.pop().rsplit(":", 1)[1])
        ports = [cluster["ports"]["app1"], cluster["ports"]["app2"]]
        victim, survivor = ports.index(port) + 1, f"127.0.0.1:{ports[1 - ports.index(port)]}"
        # The wall screen on the same server: the same route cookie, as if it had been given that one.
        wall.add_cookies([{"name": "sgroute", "value": route, "url": cluster["proxy"]}])
        screen = wall.new_page()
        screen.goto(f"{cluster['proxy']}/?wall=1&key={key}")
        screen.locator("[data-kpi='today']").wait_for(timeout=SLOW_MS)

        since = _log_length(cluster)
        pid = int((cluster["dir"] / f"app{victim}.pid").read_text())
        os.kill(pid, signal.SIGKILL)  # the server this browser was on dies, nothing said
        _until(lambda: not _running(pid), 10, "the killed server's end")

        # The wall comes back by itself: its timed refresh runs on the other server, the "as of" moves on.
        stamp = screen.locator("[data-testid='wall-asof']").inner_text()
        screen.wait_for_function("(old) => { const e = document.querySelector(\"[data-testid='wall-asof']\"); "
                                 "return e && e.innerText !== old; }", arg=stamp, timeout=SLOW_MS)
        assert screen.locator("[data-kpi='today']").count() == 1
        assert screen.get_by_label("账号").count() == 0

        # The user's browser reconnects to the other server at once, but that one never knew the session:
        # the page stays as it was until the next click, which asks for one sign-in; then the map again.
        _until(lambda: len(sockets) >= 2, 30, "a new WebSocket")
        page.get_by_role("link", name="总览").click()
        page.get_by_label("账号").wait_for(timeout=SLOW_MS)
        sign_in(page, page.url)
        wait_for_text(page, "平安网格 · 总览")
        page.get_by_role("link", name="网格地图").click()
        wait_for_map(page)

        # Exactly one more sign-in, written on the primary through the other server, and replayed on the standby.
        assert _scalar(on_primary, SIGN_INS) == signed_in + 2
        _until(lambda: _scalar(on_standby, SIGN_INS) == signed_in + 2, 30, "the sign-in replayed on the standby")
        after = _served_by(cluster, route, since)
        assert after and all(s.split(", ")[-1] == survivor for s in after), after
    finally:
        user.close()
        wall.close()
    again = run_script(cluster, "up", timeout=300)  # brings back what is missing, and only that
    assert again.returncode == 0, again.stdout
    assert f"app server {victim} on port" in again.stdout and "primary already running" in again.stdout


def _running(pid: int) -> bool:
    """Whether process ``pid`` still runs (a zombie, waiting for its parent to notice, has ended)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_down_leaves_no_process_and_no_port(cluster):
    where = cluster["dir"]
    pids = [int((where / f"app{n}.pid").read_text()) for n in (1, 2) if (where / f"app{n}.pid").exists()]
    pids += [int((where / "nginx" / "nginx.pid").read_text())]
    pids += [int((where / "pg" / db / "postmaster.pid").read_text().split()[0]) for db in ("primary", "standby")]
    assert len(pids) == 5 and all(_running(pid) for pid in pids)
    down = run_script(cluster, "down", timeout=180)
    assert down.returncode == 0, down.stdout
    assert [pid for pid in pids if _running(pid)] == []
    assert [name for name, port in cluster["ports"].items() if _listening(port)] == []
    mentions = []
    for proc in os.listdir("/proc"):
        try:
            if proc.isdigit() and str(where) in open(f"/proc/{proc}/cmdline").read().replace("\0", " "):
                mentions.append(proc)
        except OSError:  # ended meanwhile
            continue
    assert mentions == [], "processes still running from the cluster's directory"
    assert "primary: down" in run_script(cluster, "status", timeout=60).stdout
