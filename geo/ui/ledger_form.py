"""The ledger's create / edit form, the map a new item's place is picked on, and the notice of the
item just created."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from geo.core import ledger as rules
from geo.store import ledger as store
from geo.store import ledger_hygiene
from geo.ui import config, data, ledger_dupes
from geo.ui.i18n import t
from geo.ui.ledger import (FLASH_KEY, SEEN_KEY, TABS_KEY, category_label, date_or_none, fresh_item, item_name,
                           kind_label, known_units, open_item, refresh, refusal_text)
from geo.ui.markup import plain

PICK_KEY = "ledger.pick"  # the pick map's last click, as it reports it (acted on once)
PICKED_KEY = "ledger.picked"  # (create form key, click number, lon, lat): the place picked for that form
FORM_KEY = "ledger.form.n"  # the create form's instance: a fresh one after each item created
CREATED_KEY = "ledger.created"  # (id, title) of the item the create form made last


def form_instance() -> str:
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
        st.session_state[PICKED_KEY] = (form_instance(), (before[1] + 1) if before else 1,
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


def _unit_choice(key: str, current: str | None, units: list[str], column, adding: bool, new: bool):
    """The responsible unit: picked from the known units; a new one only through the explicit
    "new unit" switch, and never a spelling of a known one."""
    if adding:
        return column.text_input(t("ledger.unit.new.name"), key=f"{key}.unit.name", help=t("ledger.unit.new.help"))
    options = list(units)
    if current and current not in options:
        options.append(current)
    return column.selectbox(t("ledger.unit"), options, index=options.index(current) if current else None,
                            placeholder=t("ledger.choose"), key=f"{key}.unit", disabled=bool(current) and not new,
                            help=t("ledger.correct.use") if current and not new else None)


def item_form(item, user: dict, seen: int | None = None) -> None:
    """Create (``item`` None) or edit an item; saved only when valid.

    Every widget is keyed by the form's own instance: the item's id and seen version when editing, a new
    instance number after each item created; so a saved form is replaced by an empty one (creating) or
    by the item's new values (editing), never left filled for a second click.
    """
    new = item is None
    key = form_instance() if new else f"ledger.edit.{int(item['id'])}.{seen}"
    point = None if new else item.geometry
    units = known_units()
    set_unit = not new and isinstance(item["responsible_unit"], str) and bool(item["responsible_unit"])
    adding_unit = False if set_unit else st.toggle(t("ledger.unit.new"), key=f"{key}.unit.new")
    with st.form(key):
        if not new:
            st.markdown(f"**{t('ledger.edit.for', item=item_name(item))}**")
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
        # a category or unit already set changes only through a correction with a reason (on the card)
        fixed = t("ledger.correct.use") if not new else None
        category = b.selectbox(t("ledger.category"), cats, index=cats.index(current_cat) if current_cat else None,
                               placeholder=t("ledger.choose"), format_func=category_label, key=f"{key}.category",
                               disabled=bool(current_cat), help=fixed if current_cat else None)
        current_unit = None if new or not isinstance(item["responsible_unit"], str) else item["responsible_unit"]
        unit = _unit_choice(key, current_unit, units, c, adding_unit, new)
        title = st.text_input(t("ledger.col.title"), value="" if new else (item["title"] or ""), key=f"{key}.title")
        description = st.text_area(t("ledger.description"), value="" if new else (item["description"] or ""),
                                   key=f"{key}.description", help=t("ledger.description.help"))
        d, e, f, g = st.columns(4)
        found = d.date_input(t("ledger.col.found_on"), value=data.today() if new else item["found_on"],
                             key=f"{key}.found")
        deadline = e.date_input(t("ledger.col.deadline"), value=None if new else date_or_none(item["deadline"]),
                                key=f"{key}.deadline")
        picked = st.session_state.get(PICKED_KEY) if new else None
        if picked and picked[0] == key:  # a click on the pick map for this form: see pick_map
            where, x, y = f".{picked[1]}", picked[2], picked[3]
        else:
            where, x, y = "", None if new else round(point.x, 6), None if new else round(point.y, 6)
        lon = f.number_input(t("ledger.lon"), value=x, format="%.6f", key=f"{key}.lon{where}")
        lat = g.number_input(t("ledger.lat"), value=y, format="%.6f", key=f"{key}.lat{where}")
        submitted = st.form_submit_button(t("ledger.create" if new else "ledger.save"), type="primary")
    if new:
        ledger_dupes.panel(key, user, _created)
    if not submitted:
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
            ledger_dupes.drop()
            try:
                item_id = store.create_item(data.engine(), user["username"], user["role"], lon=lon, lat=lat,
                                            scope=data.scope(), **fields)
            except ledger_hygiene.LikelyDuplicate as held:  # shown with its candidates: link or confirm distinct
                ledger_dupes.hold(key, {**fields, "lon": lon, "lat": lat}, held)
                st.rerun()
            _created(item_id, title)
            return
        else:
            item_id = int(item["id"])
            moved = lon is not None and lat is not None and (abs(lon - point.x) > 1e-6 or abs(lat - point.y) > 1e-6)
            changed = {k: v for k, v in fields.items() if v != (None if pd.isna(item[k]) else item[k])}
            version = store.edit_item(data.engine(), user["username"], user["role"], item_id, seen,
                                      lon=lon if moved else None, lat=lat if moved else None, scope=data.scope(),
                                      **changed)
            st.session_state[SEEN_KEY] = (item_id, version)
            st.session_state[FLASH_KEY] = (item_id, t("ledger.saved", item=item_name(item)))
    except store.StaleEdit:
        st.error(t("ledger.stale"))
        return
    except store.DuplicateItem as exc:
        st.error(t("ledger.duplicate", id=exc.item_id, minutes=int(store.DUPLICATE_WINDOW.total_seconds() // 60)))
        return
    except rules.Refusal as exc:
        st.error(t("ledger.refused", reason=refusal_text(exc)))
        return
    refresh()
    st.rerun()


def _created(item_id: int, title: str) -> None:
    """After a new item is saved: this form instance is spent, the notice names the item, its card opens."""
    # straight away, before anything else can interrupt the run: this form instance is spent
    st.session_state[FORM_KEY] = st.session_state.get(FORM_KEY, 1) + 1
    made = fresh_item(item_id)
    st.session_state[CREATED_KEY] = (item_id, made["title"].iloc[0] if len(made) else title)
    # PICK_KEY stays: the pick map still reports its last click, which must not fill the new form
    # (and PICKED_KEY names the spent form: the new one starts without a place)
    open_item(item_id)  # its card is open on the items tab
    refresh()
    st.rerun()
