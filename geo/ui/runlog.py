"""A record of server time per script run, for benchmarks and for finding slow pages.

With ``SAFEGRID_RUN_LOG`` naming a file, every script run appends one JSON line to it:
``{"page": url path of the page run ("" for the overview), "seconds": wall time of the run,
"end": "ok" | "stop" | "rerun" | "error", "started": Unix time the run began}``. Without it,
:func:`script_run` costs one environment lookup. The app wraps each run in it (``app.py``).
"""

from __future__ import annotations

import json
import os
import threading
import time
from contextlib import contextmanager
from typing import Iterator

from geo.ui import config

ENV = "SAFEGRID_RUN_LOG"
_LOCK = threading.Lock()  # sessions run in threads of one process: one line is written at a time


def current_page() -> str:
    """The url path of the page this run shows ("" for the default page; "?" outside a Streamlit run)."""
    try:
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        manager = get_script_run_ctx().pages_manager
        info = manager.get_pages().get(manager.current_page_script_hash) or {}
        return str(info.get("url_pathname", ""))
    except Exception:  # no run context (bare mode), or a Streamlit without the page registry
        return "?"


def _ending(exc: BaseException | None) -> str:
    if exc is None:
        return "ok"
    name = type(exc).__name__
    return {"StopException": "stop", "RerunException": "rerun"}.get(name, "error")


def append(path: str, record: dict) -> None:
    """Append ``record`` to ``path`` as one JSON line."""
    line = json.dumps(record, ensure_ascii=False) + "\n"
    with _LOCK, open(path, "a", encoding="utf-8") as out:
        out.write(line)


@contextmanager
def script_run() -> Iterator[None]:
    """Time the enclosed script run and log it when ``SAFEGRID_RUN_LOG`` is set (never swallows an exception)."""
    path = config.get(ENV).strip()
    if not path:
        yield
        return
    started, t0 = time.time(), time.perf_counter()
    error: BaseException | None = None
    try:
        yield
    except BaseException as exc:  # st.stop and st.rerun end a run by raising: they are logged, then go on
        error = exc
        raise
    finally:
        try:
            append(path, {"page": current_page(), "seconds": round(time.perf_counter() - t0, 4),
                          "end": _ending(error), "started": round(started, 3)})
        except OSError:
            pass  # a log that cannot be written never breaks the page


def read(path: str | os.PathLike) -> list[dict]:
    """Every record of a run log (an absent file: none)."""
    try:
        with open(path, encoding="utf-8") as src:
            return [json.loads(line) for line in src if line.strip()]
    except FileNotFoundError:
        return []
