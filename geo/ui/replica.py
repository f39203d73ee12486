"""The read replica's part of page reads: where they go, what happens when it is away, and how often an
app server looks at the data generations (``geo.store.generation``).

Each cached page read is keyed by the generations of what it depends on. Reading them costs one small
query; a server does it at most every :data:`POLL_S` seconds per database and shares the reading between
its sessions, so a write made through another server is seen within that time.
"""

from __future__ import annotations

import logging
import threading
import time
from contextlib import ExitStack
from typing import Callable

from sqlalchemy.exc import OperationalError, SQLAlchemyError

from geo.store import generation
from geo.store.dialects import READ_ONLY
from geo.store.engine import resolve_read_url, resolve_url

LOG = logging.getLogger(__name__)

POLL_S = 2.0


def read_url() -> str:
    """Where page reads go: the read replica when one is configured (``DATABASE_READ_URL``), else the primary."""
    return resolve_read_url() or resolve_url()


def connect(stack: ExitStack, url: str, engine_for: Callable, read: bool = False):
    """A connection to ``url`` entered on ``stack``; a replica that cannot be reached gives way to the
    primary. ``read``: the connection only reads (on SQLite it then takes no write lock)."""
    try:
        conn = stack.enter_context(engine_for(url).connect())
    except OperationalError:
        primary = resolve_url()
        if url == primary:
            raise
        LOG.warning("read replica unreachable; reading from the primary")
        conn = stack.enter_context(engine_for(primary).connect())
    return conn.execution_options(**{READ_ONLY: True}) if read else conn


_seen: dict[str, tuple[float, dict[str, int]]] = {}
_lock = threading.Lock()


def poll(url: str, connect: Callable, now: float | None = None) -> dict[str, int]:
    """The generations at ``url``, read through ``connect(stack, url)`` when the last reading is older
    than :data:`POLL_S`. A database that cannot be read keeps its last reading (or all zeros before the
    first): the read itself then reports the failure, and nothing is cached under a newer generation."""
    now = time.monotonic() if now is None else now
    with _lock:
        seen = _seen.get(url)
    if seen is not None and 0 <= now - seen[0] < POLL_S:
        return seen[1]
    try:
        with ExitStack() as stack:
            found = generation.current(connect(stack, url, read=True))
    except SQLAlchemyError:
        return seen[1] if seen is not None else dict.fromkeys(generation.TOPICS, 0)
    with _lock:
        _seen[url] = (now, found)
    return found
