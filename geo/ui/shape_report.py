"""A report for any shape on the grid and hotspot pages: draw a polygon (or rectangle), or pick a point
and a radius, and get the area report (PDF and Excel) for it, the page's period and categories.

The drawn shape is hostile input: :mod:`geo.core.shapes` checks it; the figures come from the store
through the account's scope (:func:`geo.store.shape_report.shape_report_data`), which cuts the shape
to the account's area. Making a report is audited with the shape; each download goes through the
download audit (:func:`geo.ui.downloads.offer`).
"""

from __future__ import annotations

import hashlib

import geopandas as gpd
import shapely
import streamlit as st
from streamlit_folium import st_folium

from geo.core.crs import STORAGE_CRS
from geo.core.privacy import PUBLIC_K
from geo.core.progress import span
from geo.core.shapes import MAX_RADIUS_M, MIN_RADIUS_M, ShapeRefused, circle, drawn_polygon
from geo.report import area_report
from geo.store.scope import ScopeError
from geo.store.shape_report import shape_report_data
from geo.ui import config, data
from geo.ui.auth import current_user, may
from geo.ui.campaigns import report_labels
from geo.ui.downloads import offer
from geo.ui.filters import Filters, category_label
from geo.ui.i18n import current_language, t, t_or
from geo.ui.markup import plain
from geo.ui.progress import working

MODES = ("polygon", "circle")
DEFAULT_RADIUS_M = 500


def _key(page: str, name: str) -> str:
    return f"shape.{page}.{name}"


def _outline(focus: str | None) -> gpd.GeoDataFrame:
    """The area the page looks at (its focus, else the account's area, else every district)."""
    code = focus or data.user_scope()
    if code:
        return data.outline(code)
    return data.shapes("district", None)


def _public_k() -> int:
    try:
        return config.get_int("SAFEGRID_PUBLIC_K", 2)
    except (KeyError, ValueError):
        return PUBLIC_K


def _wanted_shape(page: str, mode: str):
    """The shape asked for, checked (:class:`ShapeRefused` with a reason otherwise), and its name."""
    if mode == "circle":
        lon, lat = st.session_state.get(_key(page, "lon")), st.session_state.get(_key(page, "lat"))
        radius = st.session_state.get(_key(page, "radius"))
        if lon is None or lat is None:
            raise ShapeRefused("no_point")
        return circle(lon, lat, radius), t("shape.name.circle", radius=f"{float(radius):g}", lon=f"{float(lon):.5f}",
                                            lat=f"{float(lat):.5f}")
    text = (st.session_state.get(_key(page, "geojson")) or "").strip()
    if not text:
        raise ShapeRefused("no_polygon")
    shape = drawn_polygon(text)
    return shape, t("shape.name.polygon", vertices=len(shapely.get_coordinates(shape)))


def _take_drawing(page: str, drawn) -> None:
    """A shape drawn on the map goes into the GeoJSON box (polygon) or the point's boxes (marker)."""
    import json

    geometry = (drawn or {}).get("geometry") or {}
    seen = _key(page, "seen")
    if not geometry or st.session_state.get(seen) == geometry:
        return
    st.session_state[seen] = geometry
    if geometry.get("type") in ("Polygon", "MultiPolygon"):
        st.session_state[_key(page, "geojson")] = json.dumps(geometry)
        st.session_state[_key(page, "mode")] = "polygon"
    elif geometry.get("type") == "Point":
        coords = geometry.get("coordinates") or [None, None]
        try:
            st.session_state[_key(page, "lon")] = round(float(coords[0]), 6)
            st.session_state[_key(page, "lat")] = round(float(coords[1]), 6)
            st.session_state[_key(page, "mode")] = "circle"
        except (TypeError, ValueError, IndexError):
            pass


def _notes(figures: dict, k: int) -> str:
    facts = figures["shape"]
    notes = [t("shape.note.area", km2=f"{facts['area_m2'] / 1e6:.3f}")]
    if facts["clipped"]:
        notes.append(t("shape.note.clipped"))
    if figures.get("categories_filter"):
        notes.append(t("shape.note.categories", categories=", ".join(category_label(c)
                                                                    for c in figures["categories_filter"])))
    if facts["small"]:
        notes.append(t("shape.note.small", k=k))
    return " · ".join(notes)


def _make(page: str, filters: Filters, shape, name: str, wanted: tuple) -> None:
    from geo.store import audit

    k = _public_k()
    with working("report.making") as progress:
        progress(0.0, "figures")
        with data.session() as (conn, s):
            figures = shape_report_data(conn, s, shape, filters.start, filters.end, data.today(),
                                        categories=filters.categories or None, with_ledger=wanted[4], k=k, name=name)
        labels = report_labels(figures)
        labels.update(title=t("shape.report_title"), note=_notes(figures, k))
        pdf = area_report.report_pdf(figures, labels, progress=span(progress, 0.2, 0.9))
        progress(0.9, "excel")
        xlsx = area_report.report_xlsx(figures, labels)
        with data.engine().begin() as conn:
            audit.record(conn, (current_user() or {}).get("username", "-"), "report", f"shape:{wanted[0]}",
                         detail=f"{filters.start}..{filters.end}; {page}; {shapely.to_wkt(shape, rounding_precision=6)}")
    st.session_state[_key(page, "files")] = (wanted, pdf, xlsx, figures["shape"])


def _current(page: str, mode: str):
    """The shape now asked for and its name, or None when there is none or it is refused."""
    try:
        return _wanted_shape(page, mode)
    except ShapeRefused:
        return None


def _digest(shape) -> str:
    return hashlib.sha256(shapely.to_wkb(shape)).hexdigest()[:12]


def _point_boxes(page: str, outline: gpd.GeoDataFrame) -> None:
    centre = outline.union_all().representative_point() if not outline.empty else None
    st.session_state.setdefault(_key(page, "lon"), round(centre.x, 6) if centre else 0.0)
    st.session_state.setdefault(_key(page, "lat"), round(centre.y, 6) if centre else 0.0)
    st.session_state.setdefault(_key(page, "radius"), float(DEFAULT_RADIUS_M))
    a, b, c = st.columns(3)
    a.number_input(t("shape.lon"), -180.0, 180.0, step=0.001, format="%.6f", key=_key(page, "lon"))
    b.number_input(t("shape.lat"), -85.0, 85.0, step=0.001, format="%.6f", key=_key(page, "lat"))
    c.number_input(t("shape.radius"), MIN_RADIUS_M, MAX_RADIUS_M, step=50.0, key=_key(page, "radius"))


def section(page: str, filters: Filters) -> None:
    """The "report for a shape" section of ``page`` ("grid" or "hot")."""
    if not may("view_reports") or not st.toggle(t("shape.open"), key=_key(page, "open")):
        return
    from geo.maps.shapesketch import shape_sketch_map

    outline = _outline(filters.focus)
    made = st.session_state.get(_key(page, "files"))
    current = _current(page, st.session_state.get(_key(page, "mode"), "polygon"))
    taken = gpd.GeoDataFrame({"code": ["shape"]}, geometry=[current[0]], crs=STORAGE_CRS) if made and current else None
    labels = {"area": t("shape.layer.area"), "taken": t("shape.layer.taken"), "fullscreen": t("map.fullscreen"),
              "fullscreen_exit": t("map.fullscreen_exit")}
    out = st_folium(shape_sketch_map(outline, labels, taken=taken, basemap=config.basemap()), key=_key(page, "map"),
                    height=420, use_container_width=True, returned_objects=["last_active_drawing"])
    _take_drawing(page, (out or {}).get("last_active_drawing"))
    st.caption(t("shape.hint"))
    mode = st.radio(t("shape.mode"), MODES, key=_key(page, "mode"), horizontal=True,
                    format_func=lambda m: t(f"shape.mode.{m}"))
    if mode == "polygon":
        st.text_area(t("shape.geojson"), key=_key(page, "geojson"), height=90, help=t("shape.geojson.help"))
    else:
        _point_boxes(page, outline)
    st.caption(t("report.period", start=filters.start, end=filters.end))
    rights = (current_language(), filters.start, filters.end, may("view_ledger"), tuple(filters.categories))
    if st.button(t("shape.make"), type="primary", key=_key(page, "make")):
        st.session_state.pop(_key(page, "files"), None)
        try:
            shape, name = _wanted_shape(page, mode)
            _make(page, filters, shape, name, (_digest(shape), *rights))
        except ShapeRefused as exc:
            st.error(t("shape.refused", reason=plain(t_or(f"shape.why.{exc.code}", str(exc), **exc.values))))
        except ScopeError as exc:
            st.error(t("shape.refused", reason=plain(exc)))
    made = st.session_state.get(_key(page, "files"))
    current = _current(page, mode)
    if not made or current is None or made[0] != (_digest(current[0]), *rights):
        return  # made for another shape, language, period, categories or rights: not offered
    wanted, pdf, xlsx, facts = made
    if facts["clipped"]:
        st.info(t("shape.note.clipped"))
    if facts["small"]:
        st.info(t("shape.note.small", k=_public_k()))
    d, e = st.columns(2)
    stem = f"shape_report_{wanted[0]}_{filters.start}_{filters.end}_{wanted[1]}"
    offer(t("report.pdf"), pdf, f"{stem}.pdf", key=_key(page, "pdf"), what="report:shape", where=d)
    offer(t("report.xlsx"), xlsx, f"{stem}.xlsx", key=_key(page, "xlsx"), what="report:shape", where=e)
