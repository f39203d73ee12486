"""Deployment settings read from the environment, declared as data: name, default, help.

The README lists every one (a test checks it). Values are read when asked for, so a
changed environment takes effect on the next run of a page.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from geo.core import severity
from geo.maps.base import Basemap
from geo.store.alerts_delivery import SETTINGS as DELIVERY_SETTINGS


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    help: str


SETTINGS = (
    Setting("DATABASE_URL", "", "database URL (else the SQLite file data/safegrid.db)"),
    Setting("SAFEGRID_TILES_URL", "", "basemap tile URL with {z}/{x}/{y} (an intranet tile server); empty: no basemap"),
    Setting("SAFEGRID_TILES_ATTRIBUTION", "", "attribution text shown for the tiles"),
    Setting("SAFEGRID_TILES_DATUM", "wgs84", "datum the tiles are drawn in: wgs84, or gcj02 (maps of China)"),
    Setting("SAFEGRID_WALL_REFRESH_S", "60", "seconds between wall display refreshes"),
    Setting("SAFEGRID_WALL_ROTATE", "3", "wall refreshes per view before it rotates to the next view (0: no rotation)"),
    Setting("SAFEGRID_WALL_HOT_CELLS", "10", "how many of the hottest grid cells the wall lists"),
    Setting("SAFEGRID_PUBLIC_K", "3", "shared screens (the wall) never show a count from 1 to k-1"),
    Setting("SAFEGRID_SENSITIVE_CATEGORIES", "", "incident categories never shown on shared screens (comma-separated)"),
    Setting("SAFEGRID_PUBLIC_DELAY_DAYS", "0", "shared screens withhold the most recent N days"),
    Setting("SAFEGRID_SEVERITY", "", "patrol workload weight per incident category, e.g. fight=3,burglary=2 (others 1)"),
    Setting("SAFEGRID_IDLE_MINUTES", "30", "a session ends after this many minutes without activity"),
    Setting("SAFEGRID_MAX_SESSION_HOURS", "12", "a session ends this many hours after log-on, active or not"),
    Setting("SAFEGRID_NOW", "", "start the app's clock at this ISO date or time (tests, training); empty: the real clock"),
    Setting("SAFEGRID_RUN_LOG", "", "a file to which every page run appends one JSON line: page, server seconds (benchmarks)"),
    # ledger hygiene (read by geo.store.ledger_hygiene; defaults in geo.core.ledger_hygiene)
    Setting("SAFEGRID_DUP_METRES", "50", "ledger: a new item within this many metres of an open item of the same kind "
                                         "and category is a likely duplicate"),
    Setting("SAFEGRID_DUP_DAYS", "7", "ledger: ... and found at most this many days apart"),
    Setting("SAFEGRID_ESCALATE_DAYS", "14", "ledger: an open item overdue by this many days escalates to its street's "
                                            "oversight"),
) + tuple(Setting(*s) for s in DELIVERY_SETTINGS)  # alert e-mail and webhooks (geo.store.alerts_delivery)
_BY_NAME = {s.name: s for s in SETTINGS}


def get(name: str) -> str:
    return os.environ.get(name, _BY_NAME[name].default)


def get_int(name: str, low: int = 0) -> int:
    try:
        return max(low, int(get(name)))
    except ValueError:
        return max(low, int(_BY_NAME[name].default))


def basemap() -> Basemap:
    datum = get("SAFEGRID_TILES_DATUM").strip().lower() or "wgs84"
    return Basemap(url=get("SAFEGRID_TILES_URL").strip() or None, attribution=get("SAFEGRID_TILES_ATTRIBUTION"),
                   datum=datum if datum in ("wgs84", "gcj02") else "wgs84")


def sensitive_categories() -> tuple[str, ...]:
    return tuple(sorted({c.strip() for c in get("SAFEGRID_SENSITIVE_CATEGORIES").split(",") if c.strip()}))


def parse_weights(text: str) -> dict[str, float]:
    """``"fight=3, burglary=2"`` as a mapping (:func:`geo.core.severity.parse_weights`: the one parser,
    the command line's ``--severity`` too); raises ValueError on a malformed item or a weight below 0."""
    return severity.parse_weights(text)


def wall_settings() -> dict:
    """The shared-screen settings as ``geo.store.kpis.wall_view`` takes them (the wall page and
    ``python -m geo wall-snapshot`` read them here)."""
    return {"k": get_int("SAFEGRID_PUBLIC_K", 2), "hot_cells": get_int("SAFEGRID_WALL_HOT_CELLS", 1),
            "exclude": sensitive_categories(), "delay_days": get_int("SAFEGRID_PUBLIC_DELAY_DAYS")}
