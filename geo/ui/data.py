"""Cached access to the store for pages: one engine per database, query results with a TTL.

A page reads through :func:`loader` (cached) or :func:`session` (uncached, and for writes that need
the account's scope). Both take the database URL and the signed-in account's area scope from the
session themselves, so a cached result is always keyed by both: two databases (tests, a changed
``DATABASE_URL``) or two accounts with different scopes never share one. Each read sets the scope
for PostgreSQL's row-level security for its own transaction only.

With ``DATABASE_READ_URL`` set, loader reads and the wall go to that replica, everything else to the
primary; cached reads are also keyed by the data generations (README: "Production: a read replica").
"""

from __future__ import annotations

import datetime as dt
import hashlib
import inspect
import logging
from contextlib import ExitStack, contextmanager
from typing import Callable

import streamlit as st
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from geo.core import clock
from geo.core.auth import allowed
from geo.store import features, patrol, views
from geo.store import scope as scoping
from geo.store.engine import describe, make_engine, resolve_url
from geo.store.kpis import wall_view
from geo.store.measures import area_card, area_measures, area_path, search_areas
from geo.store.queries import area_level_counts, areas_for_map, categories, latest_day, table_counts
from geo.store.scope import Scope
from geo.ui import replica
from geo.ui.replica import read_url
from geo.store.schema import deployment_timezone, is_initialised

TTL_SECONDS = 60
GEOMETRY_TTL = 600  # shapes change only on import, which bumps the data generation
LOG = logging.getLogger(__name__)


@st.cache_resource
def _engine_for(url: str) -> Engine:
    return make_engine(url)


def engine() -> Engine:
    """The primary database: writes, sign-in and reads that must see the latest state."""
    return _engine_for(resolve_url())


def dispose() -> None:
    """Drop the pooled connections to the primary and the replica (after a failure; reconnect next time)."""
    for url in {resolve_url(), read_url()}:
        _engine_for(url).dispose()


def database_label() -> str:
    return describe(engine())


def user_scope() -> str | None:
    """The signed-in account's area scope (None: the whole jurisdiction)."""
    user = st.session_state.get("auth.user") or {}
    return user.get("scope")


def _connect(stack: ExitStack, url: str, read: bool = False):
    return replica.connect(stack, url, _engine_for, read)


@contextmanager
def _reading(url: str, scope: str | None, read: bool = False):
    """``(connection, Scope)`` for an account's stored scope code on the database at ``url``.

    The code is resolved strictly (an unknown code raises, it never means "everything"), and the
    transaction carries it for PostgreSQL's row-level security. Pages use :func:`session` or
    :func:`loader`, which supply both arguments from the session.
    """
    with ExitStack() as stack:
        conn = _connect(stack, url, read)
        resolved = Scope.for_account(conn, scope)
        scoping.apply(conn, resolved)
        yield conn, resolved


@contextmanager
def session():
    """``(connection, Scope)`` of the signed-in account on the app's database, uncached: for reads
    that must see the current state and for writes that check the scope."""
    with _reading(*_key()) as opened:
        yield opened


@contextmanager
def replica_session():
    """Like :func:`session` but on the read replica (when there is one): for uncached reads that may
    lag a little behind the primary, such as the wall's refresh."""
    with _reading(read_url(), user_scope(), read=True) as opened:
        yield opened


def _key() -> tuple[str, str | None]:  # the primary's URL and the account's scope code
    return resolve_url(), user_scope()


def _read_key() -> tuple[str, str | None]:  # what every cached read is keyed by: where it reads, and the scope
    return read_url(), user_scope()


def generations(url: str) -> dict[str, int]:  # polled every few seconds: geo.ui.replica
    return replica.poll(url, _connect)


def _identity(fn: Callable) -> str:
    """A loader's own part of the cache key: its module, qualified name and source (a changed body
    never serves the old body's results)."""
    try:
        body = inspect.getsource(fn).encode("utf-8")
    except (OSError, TypeError):
        body = fn.__code__.co_code
    return f"{fn.__module__}.{fn.__qualname__}:{hashlib.sha1(body).hexdigest()[:16]}"


def loader(ttl: int = TTL_SECONDS, show_spinner: bool = True, topics: tuple[str, ...] = ("data",)):
    """Decorator: ``fn(conn, scope, *args)`` becomes a cached ``fn(*args)``.

    The cache key holds the database URL and the signed-in account's scope code by construction (the
    caller never passes them), the generations of ``topics`` (what the result depends on: "data",
    and "ledger" for reads that count or show ledger items), and the loader's own identity: the
    cached function takes ``fn``'s module and qualified name (Streamlit keys a function's cache by them) and is also handed
    ``fn``'s name and source digest, so two loaders called with the same arguments never share a
    result. ``fn.clear()`` drops every cached result of the loader (after a write).
    """
    def wrap(fn: Callable) -> Callable:
        identity = _identity(fn)

        def read(url, code, which, stamp, /, *args, **kwargs):
            try:
                with _reading(url, code, read=True) as (conn, resolved):
                    return fn(conn, resolved, *args, **kwargs)
            except OperationalError:  # e.g. a standby cancelling a query that conflicts with replay
                if url == resolve_url():
                    raise
                LOG.warning("read on the replica failed; reading from the primary", exc_info=True)
            with _reading(resolve_url(), code, read=True) as (conn, resolved):
                return fn(conn, resolved, *args, **kwargs)

        read.__module__, read.__name__, read.__qualname__ = fn.__module__, fn.__name__, fn.__qualname__
        cached = st.cache_data(ttl=ttl, show_spinner=show_spinner)(read)

        def load(*args, **kwargs):
            url, code = _read_key()
            seen = generations(url)
            return cached(url, code, identity, tuple(seen[topic] for topic in topics), *args, **kwargs)

        load.__module__, load.__name__, load.__qualname__, load.__doc__ = (fn.__module__, fn.__name__,
                                                                          fn.__qualname__, fn.__doc__)
        load.clear = lambda: cached.clear()
        return load
    return wrap


def scope() -> Scope:
    """The signed-in account's scope, resolved (for writes, which check it too)."""
    with session() as (_, resolved):
        return resolved


def may_read_ledger() -> bool:
    """Whether the signed-in account holds the ledger permission (ledger layer, card items, report sheet)."""
    user = st.session_state.get("auth.user") or {}
    return allowed(user.get("role"), "view_ledger")


# ---- overview --------------------------------------------------------------------------------

@loader(ttl=TTL_SECONDS)
def _overview(conn, s) -> dict:
    return {"tables": table_counts(conn, s), "levels": area_level_counts(conn, s), "latest": latest_day(conn, s),
            "timezone": deployment_timezone(conn)}


def overview() -> dict | None:
    """Counts for the home page (inside the account's scope), or ``None`` without a schema."""
    return _overview() if is_initialised(engine()) else None


@loader(ttl=GEOMETRY_TTL)
def _boundary_layers(conn, s):
    return areas_for_map(conn, s, ("district", "street", "grid"))


def boundary_layers():
    return _boundary_layers()


# ---- filters and measures (grid map, wall) -------------------------------------------------

def today() -> dt.date:
    """Today's local date in the deployment's time zone."""
    return clock.today(timezone())


@st.cache_data(ttl=TTL_SECONDS)
def _timezone(url: str) -> str:
    with _engine_for(url).connect() as conn:
        return deployment_timezone(conn)


def timezone() -> str:
    return _timezone(resolve_url())


@loader(ttl=TTL_SECONDS)
def _latest(conn, s) -> dt.date | None:
    return latest_day(conn, s)


def anchor_day() -> dt.date:
    """The day quick periods end on: the latest incident's local date, never after today."""
    latest = _latest()
    return min(latest, today()) if latest else today()


@loader(ttl=TTL_SECONDS)
def _categories(conn, s) -> list[str]:
    return categories(conn, s)


def incident_categories() -> list[str]:
    return _categories()


@loader(ttl=TTL_SECONDS)
def _in_scope(conn, s, code: str | None) -> bool:
    return s.contains(conn, code)


def in_scope(code: str | None) -> bool:
    """Whether area ``code`` lies inside the account's scope."""
    return _in_scope(code)


@loader(ttl=TTL_SECONDS, topics=("data", "ledger"))
def _measures(conn, s, level, start, end, cats, parent, under, day):
    return area_measures(conn, s.narrow(conn, under), level, start, end, today=day,
                         categories=list(cats) or None, parent=parent)


def measures(level: str, start: dt.date, end: dt.date, cats: tuple[str, ...], parent: str | None,
             under: str | None = None):
    """Measures of the areas of ``level`` inside the scope: children of ``parent``, or all below ``under``."""
    return _measures(level, start, end, tuple(cats), parent, under, today())


@loader(ttl=TTL_SECONDS, topics=("data", "ledger"))
def _card(conn, s, code, start, end, cats, day, with_ledger):
    if not s.contains(conn, code):
        return None
    return area_card(conn, s, code, start, end, today=day, with_ledger=with_ledger,
                     categories=list(cats) or None)


def card(code: str, start: dt.date, end: dt.date, cats: tuple[str, ...]) -> dict | None:
    """An area's card, or None for an unknown code or one outside the account's scope. Its ledger
    items only for an account with the ledger permission."""
    return _card(code, start, end, tuple(cats), today(), may_read_ledger())


@loader(ttl=GEOMETRY_TTL)
def _path(conn, s, code):
    return area_path(conn, s, code)


def path(code: str | None) -> list[dict]:
    """Breadcrumbs from the top of the account's scope down to ``code`` (empty outside the scope)."""
    return _path(code) if code else []


@loader(ttl=GEOMETRY_TTL)
def _search(conn, s, query):
    return search_areas(conn, s, query, limit=20)


def search(query: str):
    """Areas matching ``query`` inside the account's scope."""
    return _search(query)


@loader(ttl=GEOMETRY_TTL)
def _shapes(conn, s, level, parent, under):
    return features.areas_within(conn, s.narrow(conn, under), level, parent)


def shapes(level: str, parent: str | None, under: str | None = None):
    """Areas of ``level`` inside the account's scope (children of ``parent``, below ``under``)."""
    return _shapes(level, parent, under)


@loader(ttl=GEOMETRY_TTL)
def _outline(conn, s, code):
    return features.area_shape(conn, s, code)


def outline(code: str):
    return _outline(code)


@loader(ttl=GEOMETRY_TTL)
def _top_areas(conn, s):
    if not s.everything:
        return features.area_shape(conn, s, s.code)
    return features.areas_within(conn, s, "district")


def top_areas():
    """The top of the account's world: its scope area, else the districts."""
    return _top_areas()


@loader(ttl=TTL_SECONDS, topics=("data", "ledger"))
def _layer(conn, s, name, focus, day, with_ledger):
    inside = s.narrow(conn, focus)
    if name == "cameras":
        cams = features.cameras(conn, inside)
        if not cams.empty:
            cams["geometry"] = views.drawn(conn, cams)
        return cams
    if name == "places":
        return features.places(conn, inside)
    if name == "ledger":
        if not with_ledger:
            raise PermissionError("the ledger layer needs the ledger permission")
        return features.open_ledger(conn, inside, day)
    if name == "zones":
        if not patrol.zones_visible(s):
            raise PermissionError("patrol zones are shown to accounts of a district or the whole jurisdiction")
        return features.zones(conn, inside)
    raise ValueError(name)


def layer(name: str, focus: str | None = None):
    """Cameras (as fields of view), key places, open ledger items (ledger permission) or patrol zones
    (district-wide accounts), inside the account's scope and the area ``focus``."""
    return _layer(name, focus, today(), may_read_ledger())


@loader(ttl=TTL_SECONDS)
def _incidents(conn, s, start, end, cats, focus, limit):
    return features.incident_points(conn, s.narrow(conn, focus), start, end, deployment_timezone(conn),
                                    categories=list(cats) or None, limit=limit)


def incidents(start: dt.date, end: dt.date, cats: tuple[str, ...] = (), focus: str | None = None,
              limit: int | None = None):
    """Incident points inside the account's scope (and the area ``focus``)."""
    return _incidents(start, end, tuple(cats), focus, limit)


def forget_ledger_counts() -> None:
    """Drop the cached reads that count or show ledger items (after a ledger change): the measures,
    the area cards, the map layers and the wall's shared snapshot. Outlines and everything else stay cached."""
    for cached in (_measures, _card, _layer, _wall_shared):
        cached.clear()


# Wall screens of one scope share one snapshot read for this long (every screen read its own: ~0.6 s of
# CPU per screen per refresh, which 50 screens on one server could not afford). It is at most this old
# when shown, and each screen still opens a connection on every refresh, so an outage shows at once.
WALL_SHARED_S = 10


@st.cache_data(ttl=60, max_entries=64, show_spinner=False)  # the period keeps it fresh; the TTL frees memory
def _wall_shared(url: str, code: str | None, period: int, k: int, hot_cells: int, exclude: tuple[str, ...],
                 delay_days: int, _now: dt.datetime) -> dict:
    """The snapshot at ``_now``, the time of the first screen asking in the ``period`` (of WALL_SHARED_S)."""
    with _reading(url, code, read=True) as (conn, s):
        snap = wall_view(conn, s, _now, k=k, hot_cells=hot_cells, exclude=exclude, delay_days=delay_days)
    snap["read_at"] = clock.now_utc()
    return snap


def wall(now: dt.datetime, *, k: int, hot_cells: int, exclude: tuple[str, ...], delay_days: int) -> dict:
    """What the wall shows now inside the account's scope, through disclosure control: read at most
    ``WALL_SHARED_S`` seconds before (its ``read_at``), shared by the screens of one scope; from the read
    replica when there is one (its "data as of" then tells how far the replica has got)."""
    with replica_session():
        pass  # a connection on every refresh: a database that is away marks the wall stale at once
    period = int(now.timestamp() // WALL_SHARED_S)
    return _wall_shared(*_read_key(), period, k, hot_cells, tuple(exclude), delay_days, _now=now)
