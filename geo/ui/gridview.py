"""The grid map page's work: measure choice, drill-down, breadcrumbs, search and the area card."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from geo.core.classify import SEQUENTIAL, SEQUENTIAL_BLUE, change_classes, classify
from geo.core.grid import LEVELS
from geo.maps.views import measure_map
from geo.store import audit
from geo.store.measures import child_level
from geo.ui import charts, config, data, playback
from geo.ui.filters import Filters, area_name, category_label, set_focus
from geo.ui.i18n import relabelled, t, t_or
from geo.ui.mapview import show_cell_map
from geo.ui.markup import plain

MEASURE_KEY = "grid.measure"
METHOD_KEY = "grid.method"
CELL_KEY = "grid.cell"
SEARCH_KEY = "grid.search"
LAYERS_KEY = "grid.layers"
MODE_KEY = "grid.mode"
MODES = ("areas", "cells")
MEASURES = ("n_incidents", "per_1000", "yoy_pct", "open_ledger", "n_cameras")
EXTRA_LAYERS = ("cameras", "places", "ledger", "zones")


# coded values of the extra layers' tooltips, shown in words (``<column>_text``; colours follow the codes)
READABLE = {"cameras": {"status": "camera.status"}, "places": {"kind": "place"}, "ledger": {"status": "ledger.status"}}


def readable_layer(name: str, frame):
    """``frame`` (an extra map layer) with its coded tooltip values also in words."""
    for column, prefix in READABLE.get(name, {}).items():
        if frame is not None and column in frame:
            frame = frame.assign(**{f"{column}_text": frame[column].map(lambda v, p=prefix: t_or(f"{p}.{v}", str(v)))})
    return frame


def layers_allowed() -> tuple[str, ...]:
    """The extra layers this account may switch on: the ledger with the ledger permission, patrol zones
    for accounts of a district or the whole jurisdiction."""
    from geo.store.patrol import zones_visible

    return tuple(name for name in EXTRA_LAYERS
                 if (name != "ledger" or data.may_read_ledger()) and (name != "zones" or zones_visible(data.scope())))
MAP_HEIGHT = 620


def default_focus() -> str | None:
    """With one top-level area (one district), it is the natural starting focus."""
    top = data.top_areas()
    return top["code"].iloc[0] if len(top) == 1 else None


def effective_focus(focus: str | None) -> str | None:
    """The focus, kept inside the account's scope (an outside code falls back to the scope's top)."""
    return focus if focus and data.in_scope(focus) else default_focus()


def view_level(focus: str | None, mode: str = "areas") -> tuple[str, str | None, str | None]:
    """(level shown, parent whose children are shown, ancestor whose cells are shown).

    ``mode`` "areas" shows the level below the focus (a grid cell in focus shows its
    community's cells); "cells" shows every grid cell under the focus.
    """
    focus = effective_focus(focus)
    trail = data.path(focus)
    if mode == "cells":
        return "grid", None, (trail[-1]["code"] if trail and trail[-1]["level"] != "grid" else
                              (trail[-1]["parent_code"] if trail else None))
    if not trail:
        return LEVELS[0], None, None
    here = trail[-1]
    if here["level"] == "grid":
        return "grid", here["parent_code"], None
    return child_level(here["level"]), here["code"], None


def breadcrumbs(focus: str | None) -> None:
    """The path from the top down to the focus; every step but the last is a button."""
    top = default_focus()
    focus = effective_focus(focus)
    trail = [row for row in data.path(focus) if data.in_scope(row["code"])]
    steps = ([] if top else [(None, t("grid.crumb.all"))]) + [(row["code"], area_name(row)) for row in trail]
    with st.container(horizontal=True, gap="small"):
        for i, (code, label) in enumerate(steps):
            if st.button(("› " if i else "") + label, key=f"grid.crumb.{code or '__all__'}", type="tertiary",
                         disabled=code == focus):
                _go(code)


def _go(code: str | None) -> None:
    set_focus(code)
    trail = data.path(code)
    st.session_state[CELL_KEY] = code if trail and trail[-1]["level"] == "grid" else None
    st.rerun()


def search_box() -> None:
    query = st.text_input(t("grid.search"), key=SEARCH_KEY, placeholder=t("grid.search.hint"))
    if not query.strip():
        return
    found = data.search(query)
    if found.empty:
        st.caption(t("grid.search.none"))
        return
    for row in found.head(8).to_dict("records"):
        level = t(f"level.{row['level']}")
        if st.button(f"{area_name(row)} · {row['code']} · {level}",
                     key=f"grid.found.{row['code']}", type="tertiary"):
            _go(row["code"])


def measure_controls() -> tuple[str, str, str]:
    """(measure, classification method, mode) chosen above the map."""
    measure = st.segmented_control(t("grid.measure"), MEASURES, key=relabelled(MEASURE_KEY), default="n_incidents",
                                 format_func=lambda m: t(f"measure.{m}"))
    mid, right, _ = st.columns([2, 2, 3])
    mode = mid.segmented_control(t("grid.mode"), MODES, key=relabelled(MODE_KEY), default="areas",
                                 format_func=lambda m: t(f"grid.mode.{m}"))
    method = right.segmented_control(t("grid.method"), ("quantiles", "natural_breaks"), key=relabelled(METHOD_KEY),
                                     default="quantiles", format_func=lambda m: t(f"method.{m}"))
    return measure or "n_incidents", method or "quantiles", mode or "areas"


def classes_for(table: pd.DataFrame, measure: str, method: str):
    """(classes, legend labels, value format) of ``measure`` over the areas of ``table``: fixed classes
    of change for the year-on-year change (never below -100 %, "new" where last year had none),
    data-driven classes for the counts and rates."""
    if measure == "yoy_pct":
        classes = change_classes(table["n_incidents"].to_numpy(dtype=float),
                                 table["n_last_year"].to_numpy(dtype=float))
        return classes, [t(f"legend.change.{k}") for k in classes.keys], "{:+.0f}%"
    palette = SEQUENTIAL_BLUE if measure in ("n_cameras",) else SEQUENTIAL
    fmt = "{:,.1f}" if measure == "per_1000" else "{:,.0f}"
    classes = classify(table[measure].to_numpy(dtype=float), method, colors=palette)
    return classes, classes.labels(fmt), fmt


def show_grid_map(filters: Filters, measure: str, method: str, mode: str = "areas") -> str | None:
    """Draw the choropleth of the areas in focus; return the code of a newly clicked area."""
    level, parent, under = view_level(filters.focus, mode)
    step = playback.controls("grid")
    shapes = data.shapes(level, parent, under)
    if shapes.empty:
        st.info(t("grid.no_areas"))
        return None
    table = data.measures(level, filters.start, filters.end, filters.categories, parent, under)
    gdf = shapes[["code", "geometry"]].merge(table, on="code", how="left")
    gdf["label"] = [area_name(r) for r in gdf[["code", "name", "name_en"]].to_dict("records")]
    values = gdf[measure].to_numpy(dtype=float)
    classes, legend_labels, fmt = classes_for(gdf, measure, method)
    gdf["value"] = [("—" if np.isnan(v) else fmt.format(v)) for v in values]
    if measure == "yoy_pct":  # a rise from nothing is "new", not a missing value
        gdf.loc[(gdf["n_last_year"] == 0) & (gdf["n_incidents"] > 0), "value"] = t("legend.change.new")
    made = playback.prepare(gdf, level, filters, step, parent=parent, under=under, method=method) if step else None
    if made:  # incidents per step: the first step's classes here, every step's in the browser
        classes, legend_labels, timeline = made
        measure = "per_step"
    tips = {"label": t("field.name"), "code": t("field.code"), "value": t(f"measure.{measure}")}
    if level == "grid":
        tips["team"] = t("field.team")
    chosen = st.session_state.get(LAYERS_KEY) or []
    extra = {name: readable_layer(name, data.layer(name, parent or under)) for name in chosen if name in layers_allowed()}
    labels = {"measure": t(f"measure.{measure}"), "outline": t("grid.outline"), "no_data": t("legend.no_data"),
              "fullscreen": t("map.fullscreen"),
              "fullscreen_exit": t("map.fullscreen_exit"), "cameras": t("layer.cameras"),
              "places": t("layer.places"), "ledger": t("layer.ledger"), "zones": t("layer.zones"),
              "camera_tips": {"kind": t("field.kind"), "status_text": t("field.status")},
              "place_tips": {"name": t("field.name"), "kind_text": t("field.kind")},
              "ledger_tips": {"title": t("field.title"), "status_text": t("field.status"),
                              "deadline": t("field.deadline"), "responsible_unit": t("field.unit")},
              "zone_tips": {"code": t("field.code"), "name": t("field.name"), "team": t("field.team")}}
    outline = data.outline(parent or under) if (parent or under) else None
    highlight = st.session_state.get(CELL_KEY)
    fmap = measure_map(gdf, classes, labels, tooltip_fields=tips, legend_labels=legend_labels,
                       outline=outline, highlight=highlight, basemap=config.basemap(), **extra)
    fmap.timeline = made[2] if made else None
    # one map for every view: a drill-down rebuilds it in place, a change of measure only restyles it
    out = show_cell_map(fmap, key="grid.map", height=MAP_HEIGHT, clicks=True)
    return (out or {}).get("code")


def handle_click(code: str) -> None:
    """A click drills down into a street or community, and opens a grid cell's card."""
    trail = data.path(code)
    if not trail:
        return
    if trail[-1]["level"] == "grid":
        st.session_state[CELL_KEY] = code
        st.rerun()
    else:
        _go(code)


RANKING_ROWS = 500  # a city's 50,000 cells are read on the map; the table lists the top ones


def ranking(filters: Filters, measure: str, mode: str = "areas") -> None:
    level, parent, under = view_level(filters.focus, mode)
    table = data.measures(level, filters.start, filters.end, filters.categories, parent, under)
    if table.empty:
        return
    if len(table) > RANKING_ROWS:
        st.caption(t("grid.ranking.top", n=RANKING_ROWS, total=f"{len(table):,}"))
        table = table.sort_values(measure, ascending=False, na_position="last", kind="stable").head(RANKING_ROWS)
    shown = pd.DataFrame({
        t("field.code"): table["code"],
        t("field.name"): [area_name(r) for r in table[["code", "name", "name_en"]].to_dict("records")],
        **{t(f"measure.{m}"): table[m] for m in MEASURES},
    }).sort_values(t(f"measure.{measure}"), ascending=False, na_position="last")
    st.dataframe(shown, hide_index=True, width="stretch", height=280)


def _audit_read(code: str, n: int) -> None:
    """Reading ledger details is audited (once per cell per session)."""
    seen = st.session_state.setdefault("grid.audited_reads", set())
    if code in seen:
        return
    user = st.session_state.get("auth.user") or {}
    with data.engine().begin() as conn:
        audit.record(conn, user.get("username", "-"), "ledger.read", code, detail=f"{n} open items")
    seen.add(code)


def show_card(code: str, filters: Filters) -> None:
    card = data.card(code, filters.start, filters.end, filters.categories)
    if card is None:  # unknown, or outside the scope: the same words either way, and the code is not echoed
        st.warning(t("card.unknown"))
        return
    area = card["area"]
    st.subheader(plain(area_name(area)))
    st.caption(t("card.caption", code=plain(area["code"]), level=t(f"level.{area['level']}"),
                 team=plain(area.get("team")) or "—", population=area.get("population") or "—"))
    a, b = st.columns(2)
    delta = None if card["yoy_pct"] is None else f"{card['yoy_pct']:+.1f}% {t('card.yoy')}"
    a.metric(t("card.incidents"), f"{card['n']:,}", delta=delta, delta_color="inverse")
    b.metric(t("card.last_year"), f"{card['n_last_year']:,}")
    c, d = st.columns(2)
    c.metric(t("card.open_ledger"), card["open_ledger"])
    d.metric(t("card.overdue_ledger"), card["overdue_ledger"])
    cams = card["cameras"]
    st.caption(t("card.cameras", online=cams.get("online", 0), offline=cams.get("offline", 0),
                 planned=cams.get("planned", 0)))
    st.markdown(f"**{t('card.monthly')}**")
    charts.monthly_line(card["monthly"], height=140)
    if not card["by_category"].empty:
        st.markdown(f"**{t('card.by_category')}**")
        cats = card["by_category"].copy()
        cats["category"] = cats["category"].map(category_label)
        st.dataframe(cats.rename(columns={"category": t("card.category"), "n": t("card.incidents"),
                                          "n_last_year": t("card.last_year")}),
                     hide_index=True, width="stretch")
    if not card["ledger"].empty:
        _audit_read(code, len(card["ledger"]))
        st.markdown(f"**{t('card.ledger')}**")
        ledger = card["ledger"][["title", "status", "deadline", "overdue_days", "responsible_unit"]]
        ledger = ledger.assign(status=ledger["status"].map(lambda v: t_or(f"ledger.status.{v}", str(v))))
        st.dataframe(ledger.rename(columns={"title": t("field.title"), "status": t("field.status"),
                                            "deadline": t("field.deadline"), "overdue_days": t("card.overdue_days"),
                                            "responsible_unit": t("field.unit")}),
                     hide_index=True, width="stretch")
    if st.button(t("card.close"), key="grid.card.close"):
        st.session_state[CELL_KEY] = None
        st.rerun()
