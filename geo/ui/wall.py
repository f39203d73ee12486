"""The command-centre wall: dark, large type, refreshing itself, and honest when data is stale.

Each refresh reads one snapshot. When the database cannot be reached the last good
snapshot stays on screen under a stale warning, and the next refresh tries again.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from geo.core import clock
from geo.core.classify import SEQUENTIAL, classify
from geo.maps.views import WALL_BACKGROUND, WALL_LEGEND_PX, wall_map
from geo.core.disclosure import SUPPRESSED
from geo.core.auth import allowed
from geo.ui import alerts, config, data
from geo.ui.auth import check_session
from geo.ui.filters import area_name, category_label
from geo.ui.i18n import t
from geo.ui.mapview import show_cell_map
from geo.ui.markup import html_text

SNAPSHOT_KEY = "wall.snapshot"
FAILED_KEY = "wall.failed_at"
TICKS_KEY = "wall.ticks"
VIEWS = ("map", "streets")
FEED_QUIET_HOURS = 24  # no new incident for this long: say so, the feed may have stopped

# The wall is laid out for a 1920 x 1080 screen read from about 5 m. At that distance text
# under ~18 CSS px cannot be read; these are the least sizes allowed (tests check them).
SCREEN = (1920, 1080)
MIN_LEGEND_PX = 20  # the map legend's text
MIN_AXIS_PX = 18  # the chart's axis labels and titles
MIN_AREA_NAME_PX = 20  # area names: the chart's bars, the lists beside the map
LEGEND_PX = WALL_LEGEND_PX  # geo.maps.views draws the map legend at this size
AXIS_PX = 22
AREA_NAME_PX = 24
VALUE_PX = 22  # the counts at the end of the chart's bars
HEAD_PX = 300  # the title row, the tiles and the margins above the map
MAP_HEIGHT = SCREEN[1] - HEAD_PX  # the map (or the chart) fills the screen to its bottom edge
WALL_TEXT, WALL_MUTED, WALL_GRID = "#e6edf3", "#9da7b3", "#30363d"
THIS_PERIOD_COLOR, LAST_YEAR_COLOR = "#f0883e", "#6e7681"
QUIET_FILL = "#263040"  # cells with no incident on the dark map

CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], header[data-testid="stHeader"],
[data-testid="stToolbar"] { display: none !important; }
.stApp, [data-testid="stAppViewContainer"], [data-testid="stMain"] { background: #0e1117 !important; color: #e6edf3; }
.block-container { padding: 1rem 1.5rem !important; max-width: 100% !important; }
.stApp h1, .stApp h2, .stApp h3, .stApp p, .stApp span, .stApp label { color: #e6edf3; }
.wall-head { display: flex; align-items: baseline; justify-content: space-between; }
.wall-title { font-size: 2.6rem; font-weight: 700; }
.wall-asof { font-size: 1.6rem; color: #9da7b3; }
.wall-tiles { display: grid; grid-template-columns: repeat(8, 1fr); gap: 0.8rem; margin: 0.6rem 0 1rem; }
.wall-tile { background: #161b22; border: 1px solid #30363d; border-radius: 10px; padding: 0.7rem 1rem; }
.wall-tile .k { font-size: 1.25rem; color: #9da7b3; }
.wall-tile .v { font-size: 3.2rem; font-weight: 700; line-height: 1.1; }
.wall-tile .d { font-size: 1.3rem; }
.wall-up { color: #ff7b72; } .wall-down { color: #3fb950; } .wall-flat { color: #9da7b3; }
.wall-list { font-size: NAME_PXpx; line-height: 1.45; }
.wall-hot { display: grid; grid-template-columns: auto 1fr auto; column-gap: 0.9rem; align-items: baseline; }
.wall-hot .head { color: #9da7b3; font-size: MIN_NAME_PXpx; border-bottom: 1px solid #30363d; }
.wall-hot .n { font-weight: 700; text-align: right; font-variant-numeric: tabular-nums; }
.wall-hot .level { color: #ff7b72; font-variant-numeric: tabular-nums; }
.wall-note { font-size: MIN_NAME_PXpx; color: #9da7b3; margin: 0.2rem 0 0.4rem; }
.wall-list .time { color: #9da7b3; margin-right: 0.6rem; font-variant-numeric: tabular-nums; }
.wall-list .cat { font-weight: 700; margin-right: 0.6rem; }
.wall-stale { background: #5a1e02; border: 2px solid #f0883e; color: #ffdcb6; font-size: 1.6rem;
              padding: 0.6rem 1rem; border-radius: 8px; margin-bottom: 0.6rem; }
.wall-section { font-size: 1.6rem; font-weight: 700; margin: 0.4rem 0; }
iframe { background: #0e1117; }
[data-testid="stElementToolbar"] { display: none !important; }
</style>
""".replace("MIN_NAME_PX", str(MIN_AREA_NAME_PX)).replace("NAME_PX", str(AREA_NAME_PX))


def load_snapshot() -> tuple[dict | None, bool]:
    """(snapshot, stale): a fresh read, or the last good one marked stale when the read fails."""
    try:
        snap = data.wall(clock.now_utc(), **config.wall_settings())  # with its read_at: it may be shared
        snap = {**snap, "alerts_band": alerts.wall_band(snap["k"])}  # a band, never a count (geo.core.alerts)
        st.session_state[SNAPSHOT_KEY] = snap
        st.session_state.pop(FAILED_KEY, None)
        return snap, False
    except (SQLAlchemyError, OSError):
        data.dispose()  # drop broken connections; the next refresh reconnects
        st.session_state.setdefault(FAILED_KEY, clock.now_utc())
        return st.session_state.get(SNAPSHOT_KEY), True


def _count(n: int, k: int) -> str:
    return f"<{k}" if n == SUPPRESSED else f"{n:,}"


def _delta(pct: float | None, early: bool = False) -> str:
    if pct is None:  # too early in the day, too few to compare, or hidden: no arrow (geo.core.today)
        text = t("wall.today.early") if early else "—"
        return f'<span class="wall-flat" data-testid="wall-no-change">{html_text(text)}</span>'
    cls = "wall-up" if pct > 0 else ("wall-down" if pct < 0 else "wall-flat")
    arrow = "▲" if pct > 0 else ("▼" if pct < 0 else "■")
    return f'<span class="{cls}">{arrow} {pct:+.1f}% {html_text(t("wall.yoy"))}</span>'


def _tile(key: str, value: str, detail: str) -> str:
    return (f'<div class="wall-tile" data-kpi="{html_text(key)}"><div class="k">{html_text(t(f"wall.kpi.{key}"))}'
            f'</div><div class="v">{html_text(value)}</div><div class="d">{detail}</div></div>')


def tiles_html(snap: dict) -> str:
    c = snap["counts"]
    cov = snap["coverage_pct"]
    target = snap["coverage_target_pct"]
    online = snap["cameras_online"]
    installed = snap["cameras_installed"]
    ratio = f"{online / installed * 100:.0f}%" if installed else "—"
    tiles = [
        _tile("today", _count(c[1]["n"], snap["k"]), _delta(c[1]["yoy_pct"], c[1].get("early", False))),
        _tile("week", _count(c[7]["n"], snap["k"]), _delta(c[7]["yoy_pct"])),
        _tile("month", _count(c[28]["n"], snap["k"]), _delta(c[28]["yoy_pct"])),
        _tile("open", _count(snap["open_ledger"], snap["k"]), html_text(t("wall.items"))),
        _tile("overdue", _count(snap["overdue_ledger"], snap["k"]), html_text(t("wall.items"))),
        _tile("coverage", "—" if cov is None else f"{cov:.1f}%",
              html_text(t("wall.target", target=f"{target:.0f}%") if target is not None else t("wall.no_target"))),
        _tile("online", ratio, html_text(t("wall.cameras", online=online, installed=installed))),
        _tile("alerts", snap.get("alerts_band") or f"<{snap['k']}", html_text(t("wall.alerts_detail"))),
    ]
    return '<div class="wall-tiles">' + "".join(tiles) + "</div>"


def header(snap: dict | None, stale: bool) -> None:
    tz = snap["timezone"] if snap else "UTC"
    as_of = "—"
    if snap and snap["data_as_of"] is not None:
        as_of = snap["data_as_of"].tz_convert(tz).strftime("%Y-%m-%d %H:%M")
    read = snap["read_at"].astimezone(_zone(tz)).strftime("%H:%M:%S") if snap else "—"
    st.markdown(f'<div class="wall-head"><div class="wall-title">{html_text(t("wall.title"))}</div>'
                f'<div class="wall-asof" data-testid="wall-asof">{html_text(t("wall.as_of", time=as_of, read=read))}'
                "</div></div>", unsafe_allow_html=True)
    if snap and not stale and snap["data_as_of"] is not None:
        quiet = clock.now_utc() - snap["data_as_of"].to_pydatetime()
        if quiet > dt.timedelta(hours=FEED_QUIET_HOURS):
            st.markdown(f'<div class="wall-stale" data-testid="wall-feed-quiet">'
                        f'{html_text(t("wall.feed_quiet", hours=int(quiet.total_seconds() // 3600)))}</div>',
                        unsafe_allow_html=True)
    if stale:
        since = st.session_state.get(FAILED_KEY)
        since_text = since.astimezone(_zone(tz)).strftime("%H:%M:%S") if since else "—"
        st.markdown(f'<div class="wall-stale" data-testid="wall-stale">{html_text(t("wall.stale", since=since_text))}'
                    "</div>", unsafe_allow_html=True)


def _zone(tz: str):
    from zoneinfo import ZoneInfo

    return ZoneInfo(tz)


def latest_html(snap: dict) -> str:
    """The latest incidents as the shared screen may list them: category, area and hour (see
    ``geo.core.disclosure.publish_wall``)."""
    rows = []
    for r in snap["latest"].to_dict("records"):
        place = area_name({"name": _text(r.get("area_name")), "name_en": _text(r.get("area_name_en")),
                           "code": _text(r.get("area_code")) or t("wall.outside")})
        rows.append(f'<div><span class="time">{html_text(r["hour"])}</span>'
                    f'<span class="cat">{html_text(category_label(r["category"]))}</span>{html_text(place)}</div>')
    return '<div class="wall-list">' + ("".join(rows) or html_text(t("wall.none"))) + "</div>"


def _text(value) -> str | None:
    """A name from a frame cell: None for missing (None or NaN)."""
    return value if isinstance(value, str) and value else None


HOT_ORDER = {"hot_99": 0, "hot_95": 1}


def _level(gi_class: str) -> str:
    """A hot cell's confidence in words ("99%"), never its code."""
    return t(f"wall.hot.{gi_class}")


def hot_html(snap: dict) -> str:
    """The Gi* hot cells under a header row: strongest class first, then the most incidents."""
    hot = snap["hot_cells"]
    if hot.empty:
        return f'<div class="wall-list">{html_text(t("wall.none"))}</div>'
    if "gi_class" not in hot:
        hot = hot.assign(gi_class="hot_95")
    hot = hot.assign(_rank=hot["gi_class"].map(HOT_ORDER).fillna(len(HOT_ORDER)))
    hot = hot.sort_values(["_rank", "n", "gi_z"], ascending=[True, False, False], kind="stable")
    head = "".join(f'<span class="head">{html_text(t(f"wall.hot.{c}"))}</span>' for c in ("n", "cell", "level"))
    rows = "".join(f'<span class="n">{int(r["n"])}</span><span>{html_text(area_name(r))}</span>'
                   f'<span class="level">{html_text(_level(r["gi_class"]))}</span>'
                   for r in hot.to_dict("records"))
    return f'<div class="wall-list wall-hot" data-testid="wall-hot">{head}{rows}</div>'


def show_map(snap: dict) -> None:
    scope = data.user_scope()
    cells = data.shapes("grid", None, scope)
    counts = snap["cell_counts"].set_index("code")["n"]
    gdf = cells[["code", "name", "name_en", "geometry"]].copy()
    n = gdf["code"].map(counts).fillna(0).astype(int)
    gdf["n"] = [_count(v, snap["k"]) for v in n]  # the tooltip: "<k" where suppressed
    gdf["label"] = [area_name(r) for r in gdf[["code", "name", "name_en"]].to_dict("records")]
    hidden = (n == SUPPRESSED).to_numpy()
    # hidden cells get a class of their own (explained in the legend); the classes of the shown
    # counts start at k, the least count above zero the wall can show
    classes = classify(n.to_numpy(dtype=float), "natural_breaks", colors=SEQUENTIAL, suppressed=hidden,
                       floor=snap["k"])
    if len(classes.bins) and classes.bins[0] == 0:  # quiet cells recede into the dark wall; heat stands out
        classes = dataclasses.replace(classes, colors=(QUIET_FILL,) + classes.colors[1:])
    outline = data.shapes("community", None, scope) if scope else data.shapes("street", None)
    labels = {"measure": t("wall.map_measure"), "outline": t("layer.street"),
              "cell_tips": {"label": t("field.name"), "n": t("wall.map_measure")},
              "suppressed": t("legend.suppressed", k=snap["k"]), "no_data": t("legend.no_data")}
    fmap = wall_map(gdf, classes, outline, labels, legend_labels=classes.labels("{:,.0f}"), basemap=config.basemap())
    show_cell_map(fmap, key="wall.map", height=MAP_HEIGHT)


def streets_spec(table, labels: dict[str, str]) -> dict:
    """The chart of the last 28 days per area beside the same days a year before, as a Vega-Lite
    spec for the dark wall: horizontal bars (area names on the axis, large), a count at the end of
    every bar, and no bar where the count is hidden (its count reads "—")."""
    names = table["label"].tolist()
    rows = []
    for period, column in ((labels["this_year"], "n_incidents"), (labels["last_year"], "n_last_year")):
        for name, v in zip(names, table[column]):
            hidden = v is None or v != v
            rows.append({"area": name, "period": period, "n": None if hidden else int(v),
                         "text": "—" if hidden else f"{int(v):,}"})
    periods = [labels["this_year"], labels["last_year"]]
    encoding = {"y": {"field": "area", "type": "nominal", "sort": names, "title": None},
                "yOffset": {"field": "period", "sort": periods},
                "x": {"field": "n", "type": "quantitative", "title": labels["axis"],
                      "scale": {"domain": [0, max([r["n"] or 0 for r in rows] + [1]) * 1.12], "nice": False}}}
    return {
        "data": {"values": rows}, "width": "container", "height": MAP_HEIGHT - 70, "background": WALL_BACKGROUND,
        "config": {
            "view": {"stroke": None},
            "axis": {"labelFontSize": AXIS_PX, "titleFontSize": AXIS_PX, "labelColor": WALL_TEXT,
                     "titleColor": WALL_MUTED, "gridColor": WALL_GRID, "domainColor": WALL_GRID,
                     "tickColor": WALL_GRID, "labelLimit": 360, "titleFontWeight": "normal", "titlePadding": 12},
            "axisY": {"labelFontSize": AREA_NAME_PX, "labelPadding": 10},
            "legend": {"labelFontSize": AXIS_PX, "labelColor": WALL_TEXT, "orient": "top", "symbolSize": 320,
                       "title": None, "labelLimit": 400, "columnPadding": 30},
        },
        "encoding": encoding,
        "layer": [
            {"mark": {"type": "bar", "cornerRadiusEnd": 3},
             "encoding": {"color": {"field": "period", "type": "nominal", "sort": periods, "title": None,
                                    "scale": {"domain": periods, "range": [THIS_PERIOD_COLOR, LAST_YEAR_COLOR]}}}},
            {"mark": {"type": "text", "align": "left", "dx": 6, "fontSize": VALUE_PX, "color": WALL_TEXT},
             "encoding": {"text": {"field": "text"}, "x": {"field": "n", "type": "quantitative", "impute": None}}},
        ],
    }


def show_streets(snap: dict) -> None:
    """Last 28 days per area beside the same days a year before; a hidden count draws no bar."""
    table = snap["area_counts"]
    table = table.assign(n_incidents=table["n"].where(table["n"] != SUPPRESSED),
                         n_last_year=table["n_last_year"].where(table["n_last_year"] != SUPPRESSED))
    table = table.assign(label=[area_name(r) for r in table[["code", "name", "name_en"]].to_dict("records")])
    st.markdown(f'<div class="wall-section">{html_text(t("wall.streets"))}</div>', unsafe_allow_html=True)
    if table["n_incidents"].isna().any() or table["n_last_year"].isna().any():
        st.markdown(f'<div class="wall-note" data-testid="wall-chart-hidden">'
                    f'{html_text(t("wall.chart.hidden", k=snap["k"]))}</div>', unsafe_allow_html=True)
    spec = streets_spec(table, {"this_year": t("wall.this_year"), "last_year": t("wall.last_year"),
                                "axis": t("wall.chart.axis")})
    st.vega_lite_chart(spec, theme=None, width="stretch")


def current_view(ticks: int) -> str:
    every = config.get_int("SAFEGRID_WALL_ROTATE")
    if every <= 0:
        return VIEWS[0]
    return VIEWS[(ticks // every) % len(VIEWS)]


def render() -> None:
    """One refresh of the wall."""
    ticks = st.session_state.get(TICKS_KEY, 0)
    st.session_state[TICKS_KEY] = ticks + 1
    snap, stale = load_snapshot()
    header(snap, stale)
    if snap is None:
        st.markdown(f'<div class="wall-stale">{html_text(t("wall.no_data"))}</div>', unsafe_allow_html=True)
        return
    st.markdown(tiles_html(snap), unsafe_allow_html=True)
    left, right = st.columns([2.2, 1])
    with left:
        if current_view(ticks) == "map" or stale:
            show_map_cached(snap)
        else:
            show_streets(snap)
    with right:
        st.markdown(f'<div class="wall-section">{html_text(t("wall.latest"))}</div>', unsafe_allow_html=True)
        st.markdown(latest_html(snap), unsafe_allow_html=True)
        st.markdown(f'<div class="wall-section">{html_text(t("wall.hot"))}</div>', unsafe_allow_html=True)
        st.markdown(hot_html(snap), unsafe_allow_html=True)


def show_map_cached(snap: dict) -> None:
    """While the database is away the map is drawn from cached shapes (when they are cached)."""
    try:
        show_map(snap)
    except SQLAlchemyError:
        st.markdown(f'<div class="wall-list">{html_text(t("wall.map_unavailable"))}</div>', unsafe_allow_html=True)


def run() -> None:
    st.markdown(CSS, unsafe_allow_html=True)
    every = config.get_int("SAFEGRID_WALL_REFRESH_S", 5)

    @st.fragment(run_every=dt.timedelta(seconds=every))
    def refresh() -> None:
        # a timed refresh reruns only this part: it checks the account itself, so that disabling the
        # account, changing its role or scope, or resetting its password reaches a screen already open
        user = check_session()
        if user is None or not allowed(user["role"], "view_wall"):
            st.rerun(scope="app")
        render()

    refresh()
