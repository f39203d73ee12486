"""The whole cluster of scripts/cluster.sh, on free ports and in a directory of its own, for one module.

Up once (a small demo city), down at the end whatever happened; the browser comes from the browser tests.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from tests.browser.conftest import _free_port, browser  # noqa: F401  (the browser fixture, shared)
from tests.conftest import ROOT
from tests.requires import unavailable

SCRIPT = ROOT / "scripts" / "cluster.sh"


def cluster_missing() -> str | None:
    """Why scripts/cluster.sh cannot run here, or None."""
    if not (shutil.which("nginx") or os.path.exists("/usr/sbin/nginx")):
        return "no nginx"
    if not list(Path("/usr/lib/postgresql").glob("*/bin/pg_basebackup")):
        return "no PostgreSQL server binaries under /usr/lib/postgresql"
    return None


def run_script(cluster: dict, command: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(SCRIPT), command], env=cluster["env"], cwd=ROOT, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)


def read_env(path: Path) -> dict[str, str]:
    """The KEY=value lines of cluster.env."""
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line and not line.startswith("#"))
    return {k: v.strip('"') for k, v in pairs}


@pytest.fixture(scope="module")
def cluster():
    why = cluster_missing()
    if why:
        unavailable("cluster", why)
    # Not under pytest's temporary directory: that is private to this user, and the database servers
    # run as the postgres user when the tests run as root.
    where = Path(tempfile.mkdtemp(prefix="safegrid-cluster-"))
    where.chmod(0o755)
    ports = {name: _free_port() for name in ("proxy", "app1", "app2", "primary", "standby")}
    env = {**os.environ, "SAFEGRID_CLUSTER_DIR": str(where), "SAFEGRID_CLUSTER_DEMO_SCALE": "0.05",
           "SAFEGRID_CLUSTER_PROXY_PORT": str(ports["proxy"]),
           "SAFEGRID_CLUSTER_APP_PORTS": f"{ports['app1']} {ports['app2']}",
           "SAFEGRID_CLUSTER_PRIMARY_PORT": str(ports["primary"]),
           "SAFEGRID_CLUSTER_STANDBY_PORT": str(ports["standby"]),
           "SAFEGRID_WALL_REFRESH_S": "2"}
    info = {"dir": where, "env": env, "ports": ports}
    started = time.monotonic()
    try:
        up = run_script(info, "up")
        info["up_seconds"] = time.monotonic() - started
        if up.returncode != 0:
            pytest.fail(f"cluster.sh up failed:\n{up.stdout[-4000:]}")
        info.update(read_env(where / "cluster.env"))
        info["proxy"] = f"http://127.0.0.1:{ports['proxy']}"
        print(f"cluster.sh up took {info['up_seconds']:.1f} s")
        yield info
    finally:
        run_script(info, "down", timeout=180)
        shutil.rmtree(where, ignore_errors=True)
