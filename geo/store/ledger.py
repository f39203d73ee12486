"""The ledger over the store: create, edit and move items through the workflow, with history.

Every write runs in one transaction that also appends to ``ledger_events`` and the audit
log, so either all three happen or none. Concurrent edits use the item's ``version``: a write
names the version it was based on and changes nothing if the item has moved on since
(:class:`StaleEdit`, "changed by someone else").
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import select, text
from sqlalchemy.engine import Connection, Engine

from geo.core import clock
from geo.core import ledger as rules
from geo.core import ledger_hygiene as hygiene
from geo.core.crs import STORAGE_CRS
from geo.core.identifiers import mask_pii
from geo.store import audit, filters, generation, ledger_hygiene
from geo.store import scope as scoping
from geo.store.scope import Scope
from geo.store.areas import AreaIndex
from geo.store.frames import to_frame
from geo.store.models import LedgerEvent, LedgerItem
from geo.store.schema import deployment_timezone
from geo.store.types import point_value

ITEMS, EVENTS = LedgerItem.__table__, LedgerEvent.__table__
EDITABLE = ("kind", "category", "title", "description", "responsible_unit", "found_on", "deadline")
APP_SOURCE = "app"


class StaleEdit(RuntimeError):
    """The item was changed by someone else since it was read."""

    def __init__(self, item_id: int, expected: int, current: int | None):
        self.item_id, self.expected, self.current = item_id, expected, current
        super().__init__(f"ledger item {item_id} was changed by someone else (you edited version {expected}, "
                         f"it is now version {current}): reload it and apply your change again")


class ItemRefused(rules.Refusal):
    """An item that cannot be saved as given, with the reason (and its code: see ``rules.Refusal``)."""

    @classmethod
    def of(cls, exc: ValueError) -> "ItemRefused":
        """``exc`` (a rule's refusal) as an item refusal, its code and values kept."""
        return cls(str(exc), getattr(exc, "code", None), **getattr(exc, "params", {}))


class DuplicateItem(ItemRefused):
    """The same account created the very same item (same fields and place) a moment ago."""

    def __init__(self, item_id: int, at: dt.datetime):
        self.item_id, self.at = int(item_id), at
        super().__init__(f"the same item was created by you a moment ago as #{item_id}: it was not added again",
                         "duplicate", id=int(item_id))


# An identical item (same fields, same place) by the same account within this window is a repeated
# submission (a double click, a re-sent form), not a second hazard: it is refused.
DUPLICATE_WINDOW = dt.timedelta(minutes=10)
SAME_PLACE_DEG = 1e-5  # about a metre


def _now() -> dt.datetime:
    return clock.now_utc()


def _clean(value: str | None) -> str | None:
    """Strip, and mask resident ID and phone numbers (events and places, never people)."""
    if value is None:
        return None
    value = value.strip()
    return mask_pii(value)[0] if value else None


def _locate(conn: Connection, lon: float, lat: float, scope: Scope) -> dict:
    if lon is None or lat is None or not (np.isfinite(lon) and np.isfinite(lat)):
        raise ItemRefused("a ledger item needs a location: pick it on the map or type longitude and latitude",
                          "needs_location")
    codes = AreaIndex.load(conn).assign(np.array([float(lon)]), np.array([float(lat)])).iloc[0]
    if codes.get("district_code") is None or pd.isna(codes.get("district_code")):
        raise ItemRefused(f"the location {lon:.5f}, {lat:.5f} is outside the district", "outside_district",
                          lon=f"{lon:.5f}", lat=f"{lat:.5f}")
    if not scope.everything and scope.code not in set(codes.dropna()):
        raise ItemRefused(f"the location {lon:.5f}, {lat:.5f} is outside your area {scope.code}", "outside_area",
                          lon=f"{lon:.5f}", lat=f"{lat:.5f}", area=scope.code)
    return {k: (None if pd.isna(v) else v) for k, v in codes.items()}


def history_row(item_id: int, actor: str, action: str, before: str | None, after: str | None, note: str | None,
                at: dt.datetime) -> dict:
    """One step of an item's history, as :func:`record_history` takes it: who did ``action`` when,
    moving the item from status ``before`` to ``after`` (both None or equal when it only changed fields)."""
    return {"item_id": int(item_id), "at": at, "actor": actor, "action": action, "from_status": before,
            "to_status": after, "note": note}


def record_history(conn: Connection, rows: Sequence[dict], rechecks: dict[int, dt.date | None] | None = None, *,
                   scope: Scope) -> None:
    """Append ``rows`` (:func:`history_row`) to the items' history, in the caller's transaction, and set
    the re-check dates the steps left (``rechecks``: item id -> date). The one writer of ``ledger_events``:
    the card (create, edit, workflow steps), the importer and the demo all write through here.

    Every item must lie inside ``scope`` (:class:`ItemRefused` names the first that does not)."""
    _require_items(conn, scope, {int(r["item_id"]) for r in rows} | {int(i) for i in rechecks or ()})
    if rows:
        conn.execute(EVENTS.insert(), list(rows))
    if rechecks:
        conn.execute(text("UPDATE ledger_items SET recheck_on = :r WHERE id = :i"),
                     [{"i": int(item), "r": when} for item, when in rechecks.items()])


def _require_items(conn: Connection, scope: Scope, ids: set[int]) -> None:
    """Raise :class:`ItemRefused` unless every item in ``ids`` exists inside ``scope``."""
    if not ids:
        return
    found: set[int] = set()
    wanted = sorted(ids)
    for start in range(0, len(wanted), 10_000):
        found.update(conn.execute(select(ITEMS.c.id).where(ITEMS.c.id.in_(wanted[start:start + 10_000]),
                                                           filters.rows(ITEMS, scope))).scalars())
    missing = sorted(ids - found)
    if missing:
        raise ItemRefused(f"no ledger item {missing[0]} (or not in your area)", "no_item", id=missing[0])


def _event(conn: Connection, item_id: int, actor: str, action: str, before: str | None, after: str | None,
           note: str | None, at: dt.datetime, scope: Scope) -> None:
    record_history(conn, [history_row(item_id, actor, action, before, after, note, at)], scope=scope)


def _require_edit(role: str | None) -> None:
    if role not in rules.EDIT_ROLES:
        raise rules.WorkflowRefused(f"the {role or 'anonymous'} role may not create or edit ledger items", "may_not_edit",
                                    role=role)


def create_item(engine: Engine, actor: str, role: str | None, *, kind: str, title: str, found_on: dt.date,
                lon: float, lat: float, category: str | None = None, description: str | None = None,
                responsible_unit: str | None = None, deadline: dt.date | None = None, scope: Scope,
                duplicate_of: int | None = None, distinct_from: Sequence[int] | None = None) -> int:
    """Add an item in status ``reported``; returns its id. ``scope``: the account's area (the item must lie in it).

    Likely duplicates (:mod:`geo.store.ledger_hygiene`): the item is linked to ``duplicate_of``, or every
    likely original must be in ``distinct_from`` (judged distinct), else ``LikelyDuplicate`` lists them."""
    _require_edit(role)
    try:
        rules.check_fields(kind, found_on, deadline, title)
        rules.check_category(category)
    except ValueError as exc:
        raise ItemRefused.of(exc) from exc
    at = _now()
    table = LedgerItem.__table__
    with generation.writing(engine, "ledger") as conn:
        scoping.apply(conn, scope)
        codes = _locate(conn, lon, lat, scope)
        values = dict(source=APP_SOURCE, source_id=uuid.uuid4().hex[:16], kind=kind.strip(), category=_clean(category),
                      title=_clean(title), description=_clean(description), responsible_unit=_clean(responsible_unit),
                      found_on=found_on, deadline=deadline, status=rules.INITIAL[0], version=1, row_hash=0,
                      updated_at=at, geom=shapely.Point(float(lon), float(lat)), **codes)
        _refuse_repeat(conn, actor, values, float(lon), float(lat), at)
        found = ledger_hygiene.vet_new(conn, scope, kind=values["kind"], category=values["category"], lon=lon, lat=lat,
                                       found_on=found_on, duplicate_of=duplicate_of, distinct_from=distinct_from)
        values["duplicate_of"] = None if duplicate_of is None else int(duplicate_of)
        item_id = conn.execute(table.insert().values(**values).returning(table.c.id)).scalar_one()
        _event(conn, item_id, actor, "create", None, rules.INITIAL[0], values["title"], at, scope)
        audit.record(conn, actor, "ledger.create", str(item_id), detail=f"kind={kind} cell={codes.get('cell_code')}")
        judged = ledger_hygiene.link_notes(item_id, duplicate_of, found)
        if judged:
            _event(conn, item_id, actor, judged[0], rules.INITIAL[0], rules.INITIAL[0], judged[1], at, scope)
            audit.record(conn, actor, f"ledger.{judged[0]}", str(item_id), detail=judged[1])
    return int(item_id)


def _refuse_repeat(conn: Connection, actor: str, values: dict, lon: float, lat: float, at: dt.datetime) -> None:
    """Raise :class:`DuplicateItem` when ``actor`` created an item with these very fields at this place
    within ``DUPLICATE_WINDOW``."""
    c, e = ITEMS.c, EVENTS.c
    same = [c[k].is_not_distinct_from(values[k]) for k in ("kind", "category", "title", "description",
                                                           "responsible_unit", "found_on", "deadline")]
    rows = conn.execute(select(c.id, c.geom, e.at).join_from(ITEMS, EVENTS, e.item_id == c.id)
                        .where(e.action == "create", e.actor == actor, e.at >= at - DUPLICATE_WINDOW, *same)
                        .order_by(c.id.desc())).all()
    for item_id, geom, when in rows:
        if geom is not None and abs(geom.x - lon) <= SAME_PLACE_DEG and abs(geom.y - lat) <= SAME_PLACE_DEG:
            raise DuplicateItem(item_id, when)


def _current(conn: Connection, item_id: int, version: int, scope: Scope) -> dict:
    """The item as it is in this transaction (scope applied), if still at ``version``."""
    scoping.apply(conn, scope)
    c = ITEMS.c
    row = conn.execute(select(c.id, c.status, c.version, c.recheck_on, c.found_on, c.deadline, c.cell_code,
                              c.community_code, c.street_code, c.district_code, c.category, c.responsible_unit)
                       .where(c.id == item_id, filters.rows(ITEMS, scope))).mappings().first()
    if row is None:
        raise ItemRefused(f"no ledger item {item_id} (or not in your area)", "no_item", id=item_id)
    if row["version"] != version:
        raise StaleEdit(item_id, version, row["version"])
    return dict(row)


def _guarded_update(conn: Connection, item_id: int, version: int, values: dict) -> None:
    """UPDATE only if the item is still at ``version``; bump the version."""
    sets = ", ".join(f"{k} = :{k}" for k in values)
    done = conn.execute(text(f"UPDATE ledger_items SET {sets}, version = version + 1 "
                             "WHERE id = :_id AND version = :_version"),
                        {**values, "_id": item_id, "_version": version}).rowcount
    if done != 1:
        now = conn.execute(text("SELECT version FROM ledger_items WHERE id = :i"), {"i": item_id}).scalar()
        raise StaleEdit(item_id, version, now)


def edit_item(engine: Engine, actor: str, role: str | None, item_id: int, version: int, *,
              lon: float | None = None, lat: float | None = None, scope: Scope, **changes) -> int:
    """Change fields of an open item (``EDITABLE``, and the location); returns the new version."""
    _require_edit(role)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ItemRefused(f"these fields cannot be edited: {', '.join(sorted(unknown))}", "not_editable",
                          fields=", ".join(sorted(unknown)))
    if "category" in changes:
        try:
            rules.check_category(changes["category"])
        except ValueError as exc:
            raise ItemRefused.of(exc) from exc
    at = _now()
    with generation.writing(engine, "ledger") as conn:
        cur = _current(conn, item_id, version, scope)
        if cur["status"] not in rules.OPEN:
            raise ItemRefused(f"a {cur['status']} item cannot be edited: reopen it first", "closed", status=cur["status"])
        values = {k: (_clean(v) if isinstance(v, str) and k != "kind" else v) for k, v in changes.items()}
        corrected = hygiene.is_correction(cur, values)
        if corrected:
            raise ItemRefused(f"changing {', '.join(corrected)} is a correction: give a reason (correct the item)",
                              "correct_not_edit", fields=", ".join(corrected))
        merged = {"kind": values.get("kind", "x"), "title": values.get("title", "x"),
                  "found_on": values.get("found_on", cur["found_on"]), "deadline": values.get("deadline", cur["deadline"])}
        try:
            rules.check_fields(merged["kind"], _as_date(merged["found_on"]), _as_date(merged["deadline"]),
                               merged["title"])
        except ValueError as exc:
            raise ItemRefused.of(exc) from exc
        if lon is not None or lat is not None:
            values.update(_locate(conn, lon, lat, scope))
            values["geom"] = point_value(conn, lon, lat)
        if not values:
            return version
        values["updated_at"] = at
        _guarded_update(conn, item_id, version, values)
        fields = sorted(k for k in changes) + (["location"] if lon is not None else [])
        _event(conn, item_id, actor, "edit", cur["status"], cur["status"], "changed: " + ", ".join(fields), at, scope)
        audit.record(conn, actor, "ledger.edit", str(item_id), detail=", ".join(fields))
    return version + 1


def _as_date(value) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def act(engine: Engine, actor: str, role: str | None, item_id: int, version: int, action: str, *,
        note: str | None = None, recheck_on: dt.date | None = None, today: dt.date | None = None,
        scope: Scope) -> int:
    """Take one workflow action (``geo.core.ledger.ACTIONS``); returns the new version."""
    at = _now()
    with generation.writing(engine, "ledger") as conn:
        today = today or clock.today(deployment_timezone(conn))
        cur = _current(conn, item_id, version, scope)
        wanted = recheck_on if action == "rectify" else _as_date(cur["recheck_on"])
        nxt = rules.step(cur["status"], action, role, note=note, today=today, recheck_on=wanted)
        clean = _clean(note)
        _guarded_update(conn, item_id, version, {"status": nxt.status, "recheck_on": nxt.recheck_on, "updated_at": at})
        _event(conn, item_id, actor, action, cur["status"], nxt.status, clean, at, scope)
        audit.record(conn, actor, f"ledger.{action}", str(item_id), detail=f"{cur['status']} -> {nxt.status}")
    return version + 1


def history(conn: Connection, scope: Scope, item_id: int) -> pd.DataFrame:
    """Every event of an item inside ``scope``, oldest first (empty for an item outside it)."""
    e = EVENTS.c
    return to_frame(conn.execute(select(e.at, e.actor, e.action, e.from_status, e.to_status, e.note)
                                 .join_from(EVENTS, ITEMS, ITEMS.c.id == e.item_id)
                                 .where(e.item_id == item_id, filters.rows(ITEMS, scope)).order_by(e.id)))


def events(conn: Connection, scope: Scope) -> pd.DataFrame:
    """item_id, action, at of every event of the items inside ``scope``."""
    e = EVENTS.c
    frame = to_frame(conn.execute(select(e.item_id, e.action, e.at).join_from(EVENTS, ITEMS, ITEMS.c.id == e.item_id)
                                  .where(filters.rows(ITEMS, scope)).order_by(e.id)))
    frame["at"] = pd.to_datetime(frame["at"], utc=True)
    return frame


COLUMNS = ("id", "kind", "category", "title", "description", "responsible_unit", "found_on", "deadline", "status",
           "recheck_on", "version", "cell_code", "community_code", "street_code", "district_code", "updated_at",
           "duplicate_of")


def items(conn: Connection, scope: Scope, today: dt.date, *, kinds: Sequence[str] = (), categories: Sequence[str] = (),
          statuses: Sequence[str] = (), units: Sequence[str] = (), focus: str | None = None,
          overdue_only: bool = False, found_from: dt.date | None = None, found_to: dt.date | None = None,
          ids: Sequence[int] = ()) -> gpd.GeoDataFrame:
    """Ledger items inside ``scope`` with ``overdue``, ``due_soon`` and ``overdue_days``, filtered;
    newest found first. ``focus``: an area code inside the scope (:class:`ScopeError` outside it).
    """
    c = ITEMS.c
    where = [filters.rows(ITEMS, scope.narrow(conn, focus))]
    for col, values in ((c.kind, kinds), (c.category, categories), (c.status, statuses),
                        (c.responsible_unit, units), (c.id, [int(i) for i in ids])):
        if values:
            where.append(col.in_(list(values)))
    if found_from:
        where.append(c.found_on >= found_from)
    if found_to:
        where.append(c.found_on <= found_to)
    sql = select(*(c[k] for k in COLUMNS), c.geom).where(*where) \
        .order_by(c.found_on.desc(), c.id.desc())
    frame = to_frame(conn.execute(sql))
    for col in ("found_on", "deadline", "recheck_on"):
        frame[col] = pd.to_datetime(frame[col], errors="coerce").dt.date
    stamps = pd.to_datetime(frame["updated_at"], utc=True, errors="coerce")  # a UTC instant, marked as such
    frame["updated_at"] = stamps.dt.strftime("%Y-%m-%dT%H:%M:%SZ").astype(object).where(stamps.notna(), None)
    frame = hygiene.escalation(rules.due_flags(frame, today), today, ledger_hygiene.settings().escalate_days)
    deadline = pd.to_datetime(frame["deadline"], errors="coerce")
    frame["overdue_days"] = np.where(frame["overdue"], (pd.Timestamp(today) - deadline).dt.days, 0).astype(int)
    if overdue_only:
        frame = frame[frame["overdue"]].reset_index(drop=True)
    frame["geometry"] = frame.pop("geom")  # shapely already: the column type converts on read
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=STORAGE_CRS)


def oversight(conn: Connection, scope: Scope, today: dt.date, by: str = "responsible_unit", **filters) -> pd.DataFrame:
    """League table per responsible unit or area level inside ``scope`` (``geo.core.ledger.oversight``), with
    ``escalated`` (open items risen to the street's oversight); linked duplicates are not counted."""
    frame = items(conn, scope, today, **filters)
    frame = pd.DataFrame(frame[frame["duplicate_of"].isna()].drop(columns="geometry"))
    league = rules.oversight(frame, events(conn, scope), today, by)
    up = frame[frame["escalated"]].assign(**{by: lambda f: f[by].fillna("—")}).groupby(by).size()
    return league.assign(escalated=league[by].map(up).fillna(0).astype(int))


def recurrence(conn: Connection, scope: Scope, today: dt.date, distance_m: float = 100.0, tz: str = "UTC",
               window_days: int = 90) -> pd.DataFrame:
    """Closed (rectified or verified) items with the incidents within ``distance_m`` in the
    ``window_days`` after they were rectified, beside the same window before they were found.

    Columns: id, title, status, closed_on, incidents_before, incidents_after; most recurring first.
    """
    from geo.store import features

    empty = pd.DataFrame(columns=["id", "title", "status", "closed_on", "incidents_before", "incidents_after"])
    closed = items(conn, scope, today, statuses=("rectified", "verified"))
    ev = events(conn, scope)
    fixes = ev[ev["action"] == "rectify"].groupby("item_id")["at"].max()
    closed = closed[closed["id"].isin(fixes.index)].reset_index(drop=True)
    if closed.empty:
        return empty
    window = pd.Timedelta(days=window_days)
    fixed_at = pd.to_datetime(closed["id"].map(dict(zip(fixes.index, fixes))), utc=True)
    found_at = pd.to_datetime(closed["found_on"]).dt.tz_localize("UTC")
    pts = features.incident_points(conn, scope, (found_at.min() - window).date(), today, tz)
    before = np.zeros(len(closed), dtype=int)
    after = np.zeros(len(closed), dtype=int)
    if not pts.empty:
        crs = closed.estimate_utm_crs()
        where = gpd.GeoSeries(gpd.points_from_xy(pts["lon"], pts["lat"]), crs=STORAGE_CRS).to_crs(crs)
        tree = shapely.STRtree(np.asarray(where.values))
        item_idx, inc_idx = tree.query(np.asarray(closed.to_crs(crs).geometry.values), predicate="dwithin",
                                       distance=distance_m)
        naive = lambda v: v.dt.tz_convert(None).to_numpy()  # noqa: E731 (UTC instants as datetime64)
        when = naive(pd.to_datetime(pts["occurred_at"], utc=True))[inc_idx]
        fixed = naive(fixed_at)[item_idx]
        found = naive(found_at)[item_idx]
        after = np.bincount(item_idx[(when > fixed) & (when <= fixed + window.to_numpy())], minlength=len(closed))
        before = np.bincount(item_idx[(when >= found - window.to_numpy()) & (when < found)], minlength=len(closed))
    out = pd.DataFrame({"id": closed["id"], "title": closed["title"], "status": closed["status"],
                        "closed_on": fixed_at.dt.date, "incidents_before": before, "incidents_after": after})
    return out.sort_values(["incidents_after", "id"], ascending=[False, True], ignore_index=True)



# for geo.store.ledger_hygiene (the correction step reads and writes as every other step does)
clean_text, current_item = _clean, _current
