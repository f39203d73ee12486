"""How often an app server looks at the data generations (``geo.store.generation``).

Each cached page read is keyed by the generations of what it depends on. Reading them costs one small
query; a server does it at most every :data:`POLL_S` seconds per database and shares the reading between
its sessions, so a write made through another server is seen within that time.
"""

from __future__ import annotations

import threading
import time
from contextlib import ExitStack
from typing import Callable

from sqlalchemy.exc import SQLAlchemyError

from geo.store import generation

POLL_S = 2.0

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
            found = generation.current(connect(stack, url))
    except SQLAlchemyError:
        return seen[1] if seen is not None else dict.fromkeys(generation.TOPICS, 0)
    with _lock:
        _seen[url] = (now, found)
    return found
