"""The ledger page's work: filters, the table and map of the same items, the item card with its
history and workflow, and the create / edit forms."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from geo.core import clock
from geo.core import ledger as rules
from geo.maps.views import points_map
from geo.report import safefiles
from geo.store import ledger as store
from geo.ui import config, data
from geo.ui.auth import current_user
from geo.ui.downloads import offer
from geo.ui.i18n import catalogue, current_language, labelled, relabelled, t, t_or
from geo.ui.markup import plain

ITEM_KEY = "ledger.item"  # the id of the item whose card is open
SEEN_KEY = "ledger.seen"  # (item id, the version of it the user has seen)
FLASH_KEY = "ledger.flash"  # (item id, message): shown on that item's card only
PICK_KEY = "ledger.pick"  # the pick map's last click, as it reports it (acted on once)
PICKED_KEY = "ledger.picked"  # (create form key, click number, lon, lat): the place picked for that form
FORM_KEY = "ledger.form.n"  # the create form's instance: a fresh one after each item created
CREATED_KEY = "ledger.created"  # (id, title) of the item the create form made last
TABLE_SEL_KEY = "ledger.table.sel"  # (table key, rows) of the selection already acted on
CLICK_KEY = "ledger.last_click"
TABS_KEY = "ledger.tabs"
# status -> colour (ColorBrewer Set1/Dark2 family; overdue items get their own red)
COLORS = {"reported": "#377eb8", "assigned": "#984ea3", "rectifying": "#ff7f00", "rectified": "#4daf4a",
          "verified": "#1b7837", "cancelled": "#999999", "overdue": "#e41a1c"}
SHOWN = ["id", "kind", "category", "title", "responsible_unit", "found_on", "deadline", "status", "overdue_days",
         "cell_code"]


@dataclass(frozen=True)
class Query:
    kinds: tuple = ()
    categories: tuple = ()
    statuses: tuple = ()
    units: tuple = ()
    focus: str | None = None  # an area code inside the account's scope
    overdue_only: bool = False
    found_from: dt.date | None = None
    found_to: dt.date | None = None


@st.cache_data(ttl=data.TTL_SECONDS, show_spinner=False)
def _items(url, scope, today, query: Query):
    with data.reading(url, scope) as (conn, s):
        return store.items(conn, s, today, kinds=query.kinds, categories=query.categories, statuses=query.statuses,
                           units=query.units, focus=query.focus, overdue_only=query.overdue_only,
                           found_from=query.found_from, found_to=query.found_to)


def items(query: Query) -> gpd.GeoDataFrame:
    return _items(*data._key(), data.today(), query)


def _choices() -> dict[str, list[str]]:
    every = items(Query())
    out = {col: sorted(v for v in every[col].dropna().unique()) for col in ("kind", "category", "responsible_unit")}
    order = {c: i for i, c in enumerate(rules.CATEGORIES)}  # the domain's order, codes it does not know last
    out["category"] = sorted(out["category"], key=lambda c: (order.get(c, len(order)), c))
    return out


def known_units() -> list[str]:
    """The responsible units of the items in the account's scope: the list a unit is picked from."""
    return _choices()["responsible_unit"]


def kind_label(kind: str) -> str:
    return t_or(f"ledger.kind.{kind}", kind)


def category_label(code) -> str:
    return t_or(f"ledger.category.{code}", str(code)) if isinstance(code, str) and code else "—"


def open_item(item_id: int) -> None:
    """Open ``item_id``'s card (its forms are keyed by its id and version, so they start empty)."""
    st.session_state[ITEM_KEY] = int(item_id)


def status_label(status: str) -> str:
    return t(f"ledger.status.{status}")


def query_from_widgets(focus: str | None, start: dt.date, end: dt.date) -> Query:
    """The filter row: kind, category, status, unit, overdue only, found in the sidebar's period."""
    options = _choices()
    a, b, c, d = st.columns(4)
    any_ = t("ui.choose")
    kinds = a.multiselect(t("ledger.kind"), options["kind"], key=relabelled("ledger.f.kind"), format_func=kind_label,
                          placeholder=any_)
    cats = b.multiselect(t("ledger.category"), options["category"], key=relabelled("ledger.f.category"),
                         format_func=category_label, placeholder=any_)
    sts = c.multiselect(t("ledger.status"), rules.STATUSES, format_func=status_label, key=relabelled("ledger.f.status"),
                        placeholder=any_)
    units = d.multiselect(t("ledger.unit"), options["responsible_unit"], key="ledger.f.unit", placeholder=any_)
    e, f, g = st.columns([1, 1, 2])
    overdue = e.checkbox(t("ledger.overdue_only"), key="ledger.f.overdue")
    in_period = f.checkbox(t("ledger.found_in_period"), key="ledger.f.period")
    area = None
    trail = data.path(focus) if focus else []
    if trail:
        area = trail[-1]["code"]
        g.caption(t("ledger.in_area", name=trail[-1].get("name") or trail[-1]["code"]))
    return Query(tuple(kinds), tuple(cats), tuple(sts), tuple(units), area, overdue,
                 start if in_period else None, end if in_period else None)


def table_and_map(frame: gpd.GeoDataFrame) -> None:
    """The filtered items as a table and a map; a selected row or a clicked point opens its card."""
    st.caption(t("ledger.count", n=len(frame), overdue=int(frame["overdue"].sum()) if len(frame) else 0))
    shown = frame[SHOWN].copy()
    shown["status"] = shown["status"].map(status_label)
    shown["kind"] = shown["kind"].map(kind_label)
    shown["category"] = shown["category"].map(category_label)
    shown["deadline"] = shown["deadline"].map(lambda d: "—" if _date(d) is None else str(d))
    for col in ("category", "responsible_unit", "cell_code"):
        shown[col] = shown[col].fillna("—")
    # A selection belongs to the list it was made in: the table's key follows the listed ids, so a list
    # that changed (an action, a filter) starts unselected and never points a row at another item; and
    # only a selection the user just made opens a card (a row left selected never re-opens its item).
    ids = ",".join(str(int(i)) for i in frame["id"])
    key = "ledger.table." + hashlib.sha1(ids.encode()).hexdigest()[:12]
    left, right = st.columns([3, 2])
    with left:
        event = st.dataframe(shown.rename(columns=lambda c: t(f"ledger.col.{c}")), hide_index=True,
                             width="stretch", height=520, on_select="rerun", selection_mode="single-row",
                             key=key)
        rows = (event or {}).get("selection", {}).get("rows", []) if event else []
        picked = (key, tuple(rows))
        if rows and st.session_state.get(TABLE_SEL_KEY) != picked:
            open_item(int(frame["id"].iloc[rows[0]]))
        st.session_state[TABLE_SEL_KEY] = picked
    with right:
        points = frame.assign(shade=np.where(frame["overdue"], "overdue", frame["status"]),
                              status_text=frame["status"].map(status_label))
        labels = {"layer": t("ledger.layer"), "fullscreen": t("map.fullscreen"),
                  "fullscreen_exit": t("map.fullscreen_exit"),
                  "legend": t("ledger.legend"),
                  "legend_labels": {k: (t("ledger.overdue") if k == "overdue" else status_label(k)) for k in COLORS}}
        fmap = points_map(points, data.top_areas(), "shade", COLORS, labels,
                          tooltip_fields={"id": "#", "title": t("ledger.col.title"),
                                          "status_text": t("ledger.col.status")},
                          basemap=config.basemap())
        out = st_folium(fmap, key=f"ledger.map.{current_language()}", height=520, use_container_width=True,
                        returned_objects=["last_object_clicked"])
        clicked = (out or {}).get("last_object_clicked")
        if clicked and clicked != st.session_state.get(CLICK_KEY) and len(frame):
            st.session_state[CLICK_KEY] = clicked
            d = np.hypot(frame.geometry.x - clicked["lng"], frame.geometry.y - clicked["lat"])
            open_item(int(frame["id"].iloc[int(np.argmin(d))]))


def export_frame(frame: gpd.GeoDataFrame) -> pd.DataFrame:
    """The filtered rows as a flat table with lon/lat (written out by ``geo.report.safefiles``)."""
    return pd.DataFrame(frame.assign(lon=frame.geometry.x.round(6), lat=frame.geometry.y.round(6))
                        .drop(columns="geometry"))


def refusal_text(exc: Exception) -> str:
    """A ledger refusal in the reader's language: its code through the catalogue, with statuses, steps
    and roles named as on the page; the English message when it has no code. Markdown-inert."""
    code = getattr(exc, "code", None)
    if not code or f"ledger.refusal.{code}" not in catalogue():
        return plain(exc)
    named = {"status": status_label, "before": status_label, "after": status_label,
             "action": lambda a: t_or(f"ledger.act.{a}", str(a)), "role": lambda r: t_or(f"role.{r}", str(r or "—"))}
    values = {k: plain(named[k](v) if k in named else v) for k, v in getattr(exc, "params", {}).items()}
    return t(f"ledger.refusal.{code}", **values)


def readable_export(frame: gpd.GeoDataFrame) -> pd.DataFrame:
    """The export as a person opens it: headers, kinds, statuses and categories in the page's language."""
    out = export_frame(frame)
    for flag in ("overdue", "due_soon"):
        if flag in out:
            out[flag] = out[flag].map(lambda v: t("ui.yes") if bool(v) else t("ui.no"))
    return labelled(out, "ledger.col", {"kind": "ledger.kind", "status": "ledger.status",
                                        "category": "ledger.category"})


def downloads(frame: gpd.GeoDataFrame) -> None:
    """CSV and Excel of exactly the filtered rows, in the page's language."""
    out = readable_export(frame)
    a, b = st.columns(2)
    offer(t("ledger.export_csv"), safefiles.csv_bytes(out), "ledger.csv", key="ledger.csv", what="ledger",
          rows=len(out), where=a)
    offer(t("ledger.export_xlsx"), safefiles.xlsx_bytes(out), "ledger.xlsx", key="ledger.xlsx", what="ledger",
          rows=len(out), where=b)


def _history(item_id: int) -> pd.DataFrame:
    with data.reading(*data._key()) as (conn, scoped):
        return store.history(conn, scoped, item_id)


def _audit_read(item_id: int) -> None:
    from geo.store import audit

    user = current_user() or {}
    with data.engine().begin() as conn:
        audit.record(conn, user.get("username", "-"), "ledger.read", str(item_id))


def _fresh(item_id: int) -> gpd.GeoDataFrame:
    """The item as it is now (not cached: the card must show the current version)."""
    with data.reading(*data._key()) as (conn, scoped):
        return store.items(conn, scoped, data.today(), ids=[item_id])


def _refresh() -> None:
    """Drop what the ledger's change made stale: the ledger's own lists and the ledger counts of the maps
    (the area outlines and everything else stay cached)."""
    from geo.ui import oversight

    for cached in (_items, oversight._league, oversight._recurrence, data._measures, data._card, data._layer):
        cached.clear()


def _name(item) -> str:
    """``#id title``, as every form that changes the item names it (Markdown-inert)."""
    return f"#{int(item['id'])} {plain(item['title'])}"


def card(frame: gpd.GeoDataFrame) -> None:
    """The open item: fields, history, workflow actions the role may take, and the edit form.

    The card shows the item in ``ITEM_KEY`` whether or not the filters still list it (after an action
    it stays on the changed item, saying so when the list no longer holds it). The version the user has
    seen is kept from the moment the card opens; actions and edits are made against it, so a change made
    meanwhile by someone else is refused, not overwritten.
    """
    item_id = st.session_state.get(ITEM_KEY)
    rows = _fresh(int(item_id)) if item_id is not None else frame.iloc[0:0]
    if rows.empty:
        st.caption(t("ledger.pick_hint"))
        return
    item = rows.iloc[0]
    item_id, version = int(item["id"]), int(item["version"])
    seen_id, seen = st.session_state.get(SEEN_KEY) or (None, None)
    if seen_id != item_id:
        seen = version
        st.session_state[SEEN_KEY] = (item_id, version)
        _audit_read(item_id)
    user = current_user() or {}
    with st.container(border=True):
        st.subheader(_name(item))
        if item_id not in set(frame["id"].astype(int)):
            st.caption(":material/filter_alt_off: " + t("ledger.not_in_filter"))
        flash = st.session_state.get(FLASH_KEY)
        if flash and flash[0] == item_id:
            st.success(flash[1])
            del st.session_state[FLASH_KEY]
        if seen != version:
            st.warning(t("ledger.changed_meanwhile", seen=seen, now=version))
            if st.button(t("ledger.reload"), key=f"ledger.reload.{item_id}"):
                st.session_state[SEEN_KEY] = (item_id, version)
                st.rerun()
        flag = f" · :red[{t('ledger.overdue_days', n=int(item['overdue_days']))}]" if item["overdue"] else ""
        st.markdown(f"**{status_label(item['status'])}**{flag} · {kind_label(item['kind'])} · "
                    f"{plain(category_label(item['category']))} · {t('ledger.unit')}: "
                    f"{plain(item['responsible_unit']) or '—'}")
        st.caption(t("ledger.dates", found=item["found_on"], deadline=_date(item["deadline"]) or "—",
                     recheck=_date(item["recheck_on"]) or "—", cell=item["cell_code"] or "—", version=version))
        if item["description"]:
            st.markdown(plain(item["description"]))
        hist = _history(item_id)
        for col in ("from_status", "to_status"):
            hist[col] = hist[col].map(lambda s: status_label(s) if isinstance(s, str) and s else "—")
        hist["action"] = hist["action"].map(lambda a: t_or(f"ledger.act.{a}", a))
        hist["at"] = pd.to_datetime(hist["at"], utc=True).dt.tz_convert(data.timezone()).dt.strftime("%Y-%m-%d %H:%M")
        hist["note"] = hist["note"].fillna("—")
        zone = clock.zone_label(data.timezone())
        st.dataframe(hist.rename(columns=lambda c: t(f"ledger.hist.{c}", zone=zone)), hide_index=True,
                     width="stretch")
        _actions(item, user, seen)
        if user.get("role") in rules.EDIT_ROLES and item["status"] in rules.OPEN:
            with st.expander(t("ledger.edit", item=_name(item))):
                item_form(item, user, seen)


def _actions(item, user: dict, seen: int) -> None:
    """The workflow form of this item: keyed by its id and the version the user has seen, so it names and
    acts on this item only, and starts with an empty note after the user's own change or a reload (a
    change by someone else meanwhile leaves it as it is: submitting it is refused as stale)."""
    allowed = rules.actions_for(item["status"], user.get("role"))
    if not allowed:
        return
    item_id = int(item["id"])
    base = f"ledger.act.{item_id}.{seen}"
    with st.form(base, clear_on_submit=True):
        st.markdown(f"**{t('ledger.act.for', item=_name(item))}**")
        a, b, c = st.columns([1, 2, 1])
        # the natural next step is offered first; a destructive one (cancel) is never preselected
        action = a.selectbox(t("ledger.action"), allowed, format_func=lambda x: t(f"ledger.act.{x}"),
                             index=None if allowed[0] in rules.DESTRUCTIVE else 0, placeholder=t("ledger.choose"),
                             key=f"{base}.action")
        note = b.text_input(t("ledger.note"), key=f"{base}.note")
        recheck = c.date_input(t("ledger.recheck_on"), value=data.today() + dt.timedelta(days=rules.RECHECK_DAYS),
                               key=f"{base}.recheck")
        if not st.form_submit_button(t("ledger.apply"), type="primary"):
            return
    if action is None:
        st.error(t("ledger.choose.action"))
        return
    try:
        version = store.act(data.engine(), user["username"], user["role"], item_id, seen, action,
                            note=note or None, recheck_on=recheck if action == "rectify" else None,
                            today=data.today(), scope=data.scope())
    except store.StaleEdit:
        st.error(t("ledger.stale"))
        _refresh()
        return
    except (rules.WorkflowRefused, store.ItemRefused) as exc:
        st.error(t("ledger.refused", reason=refusal_text(exc)))
        return
    st.session_state[SEEN_KEY] = (item_id, version)
    st.session_state[FLASH_KEY] = (item_id, t("ledger.done", item=_name(item), action=t(f"ledger.act.{action}")))
    _refresh()
    st.rerun()


def _date(value):
    return None if value is None or pd.isna(value) else value


def form_key() -> str:
    """The key of the create form now on the page (a new instance after each item created)."""
    return f"ledger.form.{st.session_state.setdefault(FORM_KEY, 1)}"


def pick_map() -> None:
    """A map to pick a new item's location (shown on request: it draws every grid cell); a click fills
    longitude and latitude of the create form.

    The click is not written into the form's widgets (a value set from outside can lose the race with
    what the browser sends back, e.g. a latitude sent as 0): each click gives the coordinate inputs a new
    key whose default is the picked place, so the browser simply draws new inputs showing it."""
    from geo.maps.views import boundary_map

    if not st.toggle(t("ledger.pick_on_map"), key="ledger.pick.on"):
        return

    labels = {"district": t("layer.district"), "street": t("layer.street"), "grid": t("layer.grid"),
              "code": t("field.code"), "name": t("field.name"), "team": t("field.team"),
              "fullscreen": t("map.fullscreen"), "fullscreen_exit": t("map.fullscreen_exit")}
    out = st_folium(boundary_map(data.boundary_layers(), labels, config.basemap()), key="ledger.pick.map",
                    height=380, use_container_width=True, returned_objects=["last_clicked"])
    clicked = (out or {}).get("last_clicked")
    if clicked and clicked != st.session_state.get(PICK_KEY):
        st.session_state[PICK_KEY] = clicked
        before = st.session_state.get(PICKED_KEY)
        st.session_state[PICKED_KEY] = (form_key(), (before[1] + 1) if before else 1,
                                        round(float(clicked["lng"]), 6), round(float(clicked["lat"]), 6))


def created_notice() -> None:
    """On the add tab: the item the form made last, with the way to open it."""
    done = st.session_state.get(CREATED_KEY)
    if not done:
        return
    item_id, title = done
    a, b = st.columns([4, 1], vertical_alignment="center")
    a.success(t("ledger.created", item=f"#{item_id} {plain(title)}"))
    b.button(t("ledger.open", id=item_id), key=f"ledger.open.{item_id}", on_click=_show_item, args=(item_id,))


def _show_item(item_id: int) -> None:
    """Open the item's card and bring the items tab forward (a callback: it runs before the tabs are drawn)."""
    open_item(item_id)
    st.session_state[TABS_KEY] = t("ledger.tab.items")


def _unit_choice(key: str, current: str | None, units: list[str], column, adding: bool):
    """The responsible unit: picked from the known units; a new one only through the explicit
    "new unit" switch, and never a spelling of a known one."""
    if adding:
        return column.text_input(t("ledger.unit.new.name"), key=f"{key}.unit.name", help=t("ledger.unit.new.help"))
    options = list(units)
    if current and current not in options:
        options.append(current)
    return column.selectbox(t("ledger.unit"), options, index=options.index(current) if current else None,
                            placeholder=t("ledger.choose"), key=f"{key}.unit")


def item_form(item, user: dict, seen: int | None = None) -> None:
    """Create (``item`` None) or edit an item; saved only when valid.

    Every widget is keyed by the form's own instance: the item's id and seen version when editing, a new
    instance number after each item created; so a saved form is replaced by an empty one (creating) or
    by the item's new values (editing), never left filled for a second click.
    """
    new = item is None
    key = form_key() if new else f"ledger.edit.{int(item['id'])}.{seen}"
    point = None if new else item.geometry
    units = known_units()
    adding_unit = st.toggle(t("ledger.unit.new"), key=f"{key}.unit.new")
    with st.form(key):
        if not new:
            st.markdown(f"**{t('ledger.edit.for', item=_name(item))}**")
        a, b, c = st.columns(3)
        kinds = list(rules.KINDS)
        current_kind = kinds[0] if new else item["kind"]
        if current_kind not in kinds:
            kinds.append(current_kind)
        kind = a.selectbox(t("ledger.kind"), kinds, index=kinds.index(current_kind), key=f"{key}.kind",
                           format_func=kind_label)
        cats = list(rules.CATEGORIES)
        current_cat = None if new or not isinstance(item["category"], str) else item["category"]
        if current_cat and current_cat not in cats:
            cats.append(current_cat)  # an older free-text category stays as it is until changed
        category = b.selectbox(t("ledger.category"), cats, index=cats.index(current_cat) if current_cat else None,
                               placeholder=t("ledger.choose"), format_func=category_label, key=f"{key}.category")
        current_unit = None if new or not isinstance(item["responsible_unit"], str) else item["responsible_unit"]
        unit = _unit_choice(key, current_unit, units, c, adding_unit)
        title = st.text_input(t("ledger.col.title"), value="" if new else (item["title"] or ""), key=f"{key}.title")
        description = st.text_area(t("ledger.description"), value="" if new else (item["description"] or ""),
                                   key=f"{key}.description", help=t("ledger.description.help"))
        d, e, f, g = st.columns(4)
        found = d.date_input(t("ledger.col.found_on"), value=data.today() if new else item["found_on"],
                             key=f"{key}.found")
        deadline = e.date_input(t("ledger.col.deadline"), value=None if new else _date(item["deadline"]),
                                key=f"{key}.deadline")
        picked = st.session_state.get(PICKED_KEY) if new else None
        if picked and picked[0] == key:  # a click on the pick map for this form: see pick_map
            where, x, y = f".{picked[1]}", picked[2], picked[3]
        else:
            where, x, y = "", None if new else round(point.x, 6), None if new else round(point.y, 6)
        lon = f.number_input(t("ledger.lon"), value=x, format="%.6f", key=f"{key}.lon{where}")
        lat = g.number_input(t("ledger.lat"), value=y, format="%.6f", key=f"{key}.lat{where}")
        if not st.form_submit_button(t("ledger.create" if new else "ledger.save"), type="primary"):
            return
    if adding_unit:
        unit = (unit or "").strip()
        known = rules.same_unit(unit, units) if unit else None
        if not unit or known:
            st.error(t("ledger.unit.exists", unit=plain(known)) if known else t("ledger.unit.new.empty"))
            return
    fields = dict(kind=kind, category=category, responsible_unit=unit or None, title=title,
                  description=description or None, found_on=found, deadline=deadline)
    try:
        if new:
            item_id = store.create_item(data.engine(), user["username"], user["role"], lon=lon, lat=lat,
                                        scope=data.scope(), **fields)
            # straight away, before anything else can interrupt the run: this form instance is spent
            st.session_state[FORM_KEY] = st.session_state.get(FORM_KEY, 1) + 1
            made = _fresh(item_id)
            st.session_state[CREATED_KEY] = (item_id, made["title"].iloc[0] if len(made) else title)
            # PICK_KEY stays: the pick map still reports its last click, which must not fill the new form
            # (and PICKED_KEY names the spent form: the new one starts without a place)
            open_item(item_id)  # its card is open on the items tab
        else:
            item_id = int(item["id"])
            moved = lon is not None and lat is not None and (abs(lon - point.x) > 1e-6 or abs(lat - point.y) > 1e-6)
            changed = {k: v for k, v in fields.items() if v != (None if pd.isna(item[k]) else item[k])}
            version = store.edit_item(data.engine(), user["username"], user["role"], item_id, seen,
                                      lon=lon if moved else None, lat=lat if moved else None, scope=data.scope(),
                                      **changed)
            st.session_state[SEEN_KEY] = (item_id, version)
            st.session_state[FLASH_KEY] = (item_id, t("ledger.saved", item=_name(item)))
    except store.StaleEdit:
        st.error(t("ledger.stale"))
        return
    except store.DuplicateItem as exc:
        st.error(t("ledger.duplicate", id=exc.item_id, minutes=int(store.DUPLICATE_WINDOW.total_seconds() // 60)))
        return
    except (store.ItemRefused, rules.WorkflowRefused) as exc:
        st.error(t("ledger.refused", reason=refusal_text(exc)))
        return
    _refresh()
    st.rerun()
