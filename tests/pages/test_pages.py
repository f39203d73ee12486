"""Every page, smoke-tested with Streamlit's AppTest against a real (small) demo database,
in both languages, plus the grid page's drill-down, search and card, set through widget keys."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from shapely.geometry import shape
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from geo.core import clock
from geo.store.engine import make_engine
from geo.store.scope import Scope
from geo.ui import config
from tests.conftest import ROOT, TEST_NOW, TODAY
from tests.pages.common import run_page, shown

PAGES = ["pages/home.py", "pages/grid_map.py", "pages/hotspots.py", "pages/coverage.py", "pages/zones.py",
         "pages/wall.py", "pages/import_data.py", "pages/admin.py"]
TITLES = {"pages/home.py": ("平安网格 · 总览", "SafeGrid · Overview"), "pages/grid_map.py": ("网格地图", "Grid map"),
          "pages/import_data.py": ("数据导入", "Import data"), "pages/hotspots.py": ("热点分析", "Hotspots"),
          "pages/admin.py": ("账号与审计", "Accounts and audit"),
          "pages/coverage.py": ("监控覆盖与新增点位规划", "Camera coverage and new-camera planning"),
          "pages/zones.py": ("巡区评估与调整", "Patrol zones")}


@pytest.fixture
def app_env(monkeypatch, demo_url):
    monkeypatch.setenv("DATABASE_URL", demo_url)
    monkeypatch.chdir(ROOT)


def _run(script: str, lang: str = "zh", user: str | None = "admin") -> AppTest:
    return run_page(script, lang, user)


def _open(page: str, lang: str = "zh", user: str = "admin") -> AppTest:
    """The router with its sidebar, signed in as ``user``, switched to ``page``."""
    return _run(page, lang, user)


def _markdown(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_router_runs_and_shows_overview(app_env, lang):
    at = _run("app.py", lang)
    assert not at.exception
    titles = [t.value for t in at.title]
    assert titles == (["平安网格 · 总览"] if lang == "zh" else ["SafeGrid · Overview"])
    metrics = {m.label: m.value for m in at.metric}
    key = "网格" if lang == "zh" else "Grid cells"
    assert metrics[key] == "1,000"


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("page", PAGES)
def test_page_smoke_in_both_languages(app_env, page, lang):
    at = _open(page, lang)
    assert not at.exception
    assert not at.error
    if page in TITLES:
        assert [t.value for t in at.title] == [TITLES[page][lang == "en"]]
    else:  # the wall draws its own large title
        assert ("指挥中心" if lang == "zh" else "Command centre") in _markdown(at)


def _ranking_codes(at: AppTest, lang: str = "zh") -> list[str]:
    frame = at.dataframe[-1].value
    return sorted(frame["编码" if lang == "zh" else "Code"])


def _children(demo_url: str, parent: str) -> list[str]:
    with make_engine(demo_url).connect() as conn:
        return sorted(conn.execute(text("SELECT code FROM areas WHERE parent_code = :p"), {"p": parent}).scalars())


def test_grid_page_starts_at_the_district_and_drills_down_by_focus(app_env, demo_url):
    at = _open("pages/grid_map.py")
    assert _ranking_codes(at) == _children(demo_url, "AN")  # the six streets
    at.selectbox(key="filters.focus").set_value("AN02").run()
    assert not at.exception
    assert _ranking_codes(at) == _children(demo_url, "AN02")  # its communities
    assert [b.label for b in at.button if b.key and b.key.startswith("grid.crumb.")] == ["安宁县", "› 东城街道"]
    community = _children(demo_url, "AN02")[0]
    at.selectbox(key="filters.focus").set_value(community).run()
    assert _ranking_codes(at) == _children(demo_url, community)  # its grid cells
    at.button(key="grid.crumb.AN").click().run()  # back up by the breadcrumb
    assert _ranking_codes(at) == _children(demo_url, "AN")
    assert at.selectbox(key="filters.focus").value in ("AN", "")


def test_grid_page_shows_every_cell_in_focus(app_env, demo_url):
    at = _open("pages/grid_map.py")
    at.selectbox(key="filters.focus").set_value("AN03").run()
    at.segmented_control(key="grid.mode").set_value("cells").run()
    cells = sorted(c for comm in _children(demo_url, "AN03") for c in _children(demo_url, comm))
    assert _ranking_codes(at) == cells and len(cells) > 50


def test_grid_page_search_opens_a_cell_card(app_env, demo_url):
    at = _open("pages/grid_map.py", "en")
    at.text_input(key="grid.search").set_value("AN0101").run()
    cell = _children(demo_url, "AN0101")[0]
    at.button(key=f"grid.found.{cell}").click().run()
    assert not at.exception
    labels = [m.label for m in at.metric]
    assert labels == ["Incidents", "Same period last year", "Open ledger items", "Overdue ledger items"]
    assert at.subheader[0].value.endswith("grid 1")  # the card's title is the cell's English name
    assert any(f"Code {cell}" in c.value for c in at.caption)
    at.button(key="grid.card.close").click().run()
    assert [m.label for m in at.metric] == [] and not at.exception


@pytest.mark.parametrize("measure", ["per_1000", "yoy_pct", "open_ledger", "n_cameras"])
def test_grid_page_every_measure_renders(app_env, measure):
    at = _open("pages/grid_map.py")
    at.segmented_control(key="grid.measure").set_value(measure).run()
    at.segmented_control(key="grid.method").set_value("natural_breaks").run()
    assert not at.exception and not at.error


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_wall_shows_every_kpi(app_env, lang, clock_at):
    at = _run("pages/wall.py", lang, "wall")
    assert not at.exception
    md = _markdown(at)
    for kpi in ("today", "week", "month", "open", "overdue", "coverage", "online"):
        assert f'data-kpi="{kpi}"' in md
    assert 'data-testid="wall-stale"' not in md
    assert ("数据截至" if lang == "zh" else "Data as of") in md
    # the demo's incidents end on the evening of 2026-06-30, hours before the suite's clock
    assert 'data-testid="wall-feed-quiet"' not in md
    # none of today's data is in yet: no "0, down 100 %", the tile says it is too early to compare
    today = md.split('data-kpi="today"')[1].split('data-kpi="week"')[0]
    assert "▼" not in today and "▲" not in today and "-100" not in today
    assert ("数据尚少，暂不比较" if lang == "zh" else "too early to compare") in today
    # three days later with nothing new, the wall says the feed has gone quiet
    clock_at(dt.datetime.fromisoformat(TEST_NOW) + dt.timedelta(days=3))
    md = _markdown(_run("pages/wall.py", lang, "wall"))
    assert 'data-testid="wall-feed-quiet"' in md
    hours = int(re.search(r"(\d+) ?(?:小时|hours)", md.split('wall-feed-quiet')[1]).group(1))
    assert 72 <= hours < 96  # 3 days after a last incident on the evening before the suite's clock


def test_wall_hot_list_is_sorted_and_labelled():
    """The wall listed its hot cells by z, unseen, beside their counts (6, 4, 6, 3...) with no header."""
    import pandas as pd

    from geo.ui import wall

    hot = pd.DataFrame({"code": list("abcde"), "name": ["甲", "乙", "丙", "丁", "戊"], "name_en": [None] * 5,
                        "n": [6, 4, 6, 3, 9], "gi_z": [4.1, 3.9, 3.0, 2.8, 2.2],
                        "gi_class": ["hot_99", "hot_99", "hot_99", "hot_99", "hot_95"]})
    from geo.ui.i18n import t

    html = wall.hot_html({"hot_cells": hot})
    assert re.findall(r'class="head">([^<]+)<', html) == [t("wall.hot.n"), t("wall.hot.cell"), t("wall.hot.level")]
    rows = re.findall(r'class="n">(\d+)</span><span>([^<]+)</span><span class="level">([^<]+)<', html)
    top, next_ = t("wall.hot.hot_99"), t("wall.hot.hot_95")
    assert rows == [("6", "甲", top), ("6", "丙", top), ("4", "乙", top), ("3", "丁", top),
                    ("9", "戊", next_)]  # strongest class first, then most incidents, then z
    assert top.startswith("99") and next_.startswith("95")
    assert "hot_9" not in html


def test_wall_chart_is_dark_with_large_type():
    """The chart was Streamlit's white box with small axes on the dark wall."""
    import pandas as pd

    from geo.maps.views import WALL_BACKGROUND
    from geo.ui import wall

    table = pd.DataFrame({"label": ["城关街道", "西湖街道"], "n_incidents": [519.0, None], "n_last_year": [575.0, 12.0]})
    spec = wall.streets_spec(table, {"this_year": "本期", "last_year": "去年同期", "axis": "近 28 天警情"})
    assert spec["background"] == WALL_BACKGROUND
    config = spec["config"]
    sizes = [config["axis"]["labelFontSize"], config["axis"]["titleFontSize"], config["legend"]["labelFontSize"]]
    assert min(sizes) >= wall.MIN_AXIS_PX and config["axisY"]["labelFontSize"] >= wall.MIN_AREA_NAME_PX
    assert spec["layer"][1]["mark"]["fontSize"] >= wall.MIN_AXIS_PX
    assert wall.LEGEND_PX >= wall.MIN_LEGEND_PX and wall.AREA_NAME_PX >= wall.MIN_AREA_NAME_PX
    # the map (or chart) reaches the bottom of a 1080-line screen: no empty quarter
    assert wall.MAP_HEIGHT + wall.HEAD_PX >= wall.SCREEN[1] - 20 and wall.MAP_HEIGHT > wall.SCREEN[1] * 0.6
    hidden = [r for r in spec["data"]["values"] if r["area"] == "西湖街道" and r["period"] == "本期"]
    assert hidden == [{"area": "西湖街道", "period": "本期", "n": None, "text": "—"}]  # no bar, no number


def test_home_without_schema_says_what_to_do(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'empty.sqlite'}")
    monkeypatch.chdir(ROOT)
    at = _run("app.py", "en", user=None)
    assert not at.exception
    assert "python -m geo init" in at.warning[0].value


NEAR_DEG = 5e-5  # about 5 m: the map rounds its coordinates to 1e-5 degrees and simplifies outlines by 2e-5


def test_grid_page_extra_layers_within_the_focus(app_env, demo_url, monkeypatch):
    """With a street in focus and every extra layer on, the grid map draws only what lies in that
    street: its communities and its outline, its key places and open ledger items, the patrol zones
    overlapping it, and the cameras standing in it (a field of view may reach past the boundary: each
    view starts at a camera of the street, one view per camera). Every layer has something outside the
    street in the database, so a map that ignored the focus fails here."""
    from geo.maps.base import to_display
    from geo.store import features
    from geo.ui.i18n import catalogue
    from tests.pages.common import drawn_maps, map_features

    maps = drawn_maps(monkeypatch, "geo.ui.gridview")
    at = _open("pages/grid_map.py")
    at.selectbox(key="filters.focus").set_value("AN01").run()
    at.multiselect(key="grid.layers").set_value(["cameras", "places", "ledger", "zones"]).run()
    assert not at.exception and not at.error

    everything = Scope.jurisdiction()
    with make_engine(demo_url).connect() as conn:
        focus = features.area_shape(conn, everything, "AN01")
        communities = features.areas_within(conn, everything, "community")
        rows = {"cameras": features.cameras(conn, everything), "places": features.places(conn, everything),
                "ledger": features.open_ledger(conn, everything, TODAY),
                "zones": features.zones(conn, everything)}
    street = to_display(focus, config.basemap()).geometry.iloc[0]  # in the map's datum
    near = street.buffer(NEAR_DEG)
    for name, frame in {"communities": communities, **rows}.items():  # the check can fail: things lie outside
        shapes = to_display(frame, config.basemap()).geometry
        assert (~shapes.intersects(street.buffer(-NEAR_DEG))).any(), f"no {name} outside the focus to leave out"

    def drawn(key: str) -> list:
        return [shape(f["geometry"]) for f in map_features(maps[-1], catalogue()[key]["zh"])]

    areas = drawn("measure.n_incidents")
    assert len(areas) == 6 and all(near.covers(a) for a in areas)  # the street's six communities
    outline = drawn("grid.outline")
    assert len(outline) == 1 and near.covers(outline[0]) and outline[0].buffer(NEAR_DEG).covers(street)
    for key in ("layer.places", "layer.ledger"):
        points = drawn(key)
        assert points and all(near.covers(p) for p in points), key
    zones = drawn("layer.zones")
    assert zones and all(z.intersection(street).area > 0 for z in zones)
    views = drawn("layer.cameras")
    sites = [p for p in to_display(rows["cameras"], config.basemap()).geometry if near.covers(p)]
    assert len(views) == len(sites) > 0
    assert all(any(v.distance(p) < NEAR_DEG for p in sites) for v in views)  # each view starts in the street


@pytest.mark.parametrize("method", ["gistar", "lisa", "kde", "emerging", "yoy", "pop", "count"])
def test_hotspots_page_every_method(app_env, method):
    at = _open("pages/hotspots.py", "en")
    at.segmented_control(key="hot.method").set_value(method).run()
    assert not at.exception and not at.error
    frame = at.dataframe[-1].value
    assert list(frame.columns[:3]) == ["Code", "Name", "Incidents"] and len(frame) == 1000
    column = {"gistar": "Class", "lisa": "Class", "kde": "Mean density (per km²)", "emerging": "Class",
              "yoy": "Change", "pop": "Change", "count": "Incidents per km²"}[method]
    assert column in frame.columns
    assert not any(c.startswith(("gi_", "lisa_", "kde_", "yoy_", "n_")) for c in frame.columns)


def test_hotspots_list_is_sorted_strongest_first_and_in_words(app_env):
    """The hot-cell list came in code order with raw columns (gi_z, gi_class) and values (hot_99)."""
    at = _open("pages/hotspots.py", "zh")
    frame = at.dataframe[-1].value
    assert list(frame.columns[:3]) == ["编码", "名称", "警情数"]
    classes = frame["类别"].tolist()
    order = ["热点 99%", "热点 95%", "热点 90%", "不显著", "冷点 90%", "冷点 95%", "冷点 99%"]
    ranks = [order.index(c) for c in classes]  # every value a label of the catalogue, none a code
    assert ranks == sorted(ranks) and classes[0] == "热点 99%"
    top = frame[frame["类别"] == "热点 99%"]["Gi* z 值"]
    assert top.is_monotonic_decreasing


def test_hotspots_backtest_runs_on_the_default_period_in_one_unit(app_env):
    """The default 28-day period was refused ("at least 4 weeks are needed"), and the table mixed
    hit rate 0.07 with area share 1 %."""
    at = _open("pages/hotspots.py", "en")
    assert not any("too short" in i.value for i in at.info)
    at.button(key="hot.backtest.run").click().run()
    assert not at.exception and not at.error
    table = at.dataframe[-1].value
    assert list(table.columns) == ["Method", "Target area share (%)", "Area flagged (%)", "Hit rate (%)",
                                   "PAI (hit rate ÷ area share)", "Weeks"]
    assert set(table["Target area share (%)"]) == {1, 5, 10}
    assert (table["Hit rate (%)"].between(0, 100)).all() and (table["Hit rate (%)"] > 1).any()
    assert (table["Area flagged (%)"] >= table["Target area share (%)"] - 1e-9).all()
    assert (table["PAI (hit rate ÷ area share)"] >= 0).all() and (table["Weeks"] >= 1).all()


def test_hotspots_page_picks_neighbours_from_a_list(app_env):
    at = _open("pages/hotspots.py", "en")
    assert at.selectbox(key="hot.neighbours").options == ["Shared edge or corner", "Distance band"]
    at.selectbox(key="hot.neighbours").set_value("distance").run()
    at.number_input(key="hot.neighbours.m").set_value(600).run()
    assert not at.exception and not at.error and "Gi* z-score" in at.dataframe[-1].value.columns


def test_hotspots_area_detail_has_its_rhythm_table(app_env):
    at = _open("pages/hotspots.py", "en")
    rhythm = at.dataframe[0].value
    assert rhythm.shape == (7, 24) and list(rhythm.index) == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    assert [m.label for m in at.metric] == [] and not at.exception


def test_hotspots_gaussian_kernel_and_backtest(app_env):
    at = _open("pages/hotspots.py", "en")
    at.segmented_control(key="hot.method").set_value("kde").run()
    at.radio(key="hot.kernel").set_value("gaussian").run()
    assert not at.exception and "Mean density (per km²)" in at.dataframe[-1].value.columns
    # a year's period (its last quarter is predicted), as the sidebar would set it
    from geo.ui.filters import Filters

    now = clock.now_utc()
    at = AppTest.from_file(str(ROOT / "pages/hotspots.py"), default_timeout=60)
    at.session_state["app.lang"] = "en"
    at.session_state["auth.user"] = {"username": "leader", "role": "leader", "scope": None, "started": now,
                                     "last_seen": now}
    at.session_state["filters.current"] = Filters(dt.date(2025, 7, 1), dt.date(2026, 6, 30), (), None)
    at.run()
    at.button(key="hot.backtest.run").click().run()
    assert not at.exception
    table = at.dataframe[-1].value
    assert set(table["Method"]) == {"Baseline: last week's counts", "Kernel density", "Near repeat (self-exciting)"}


def test_coverage_page_targets_plan_and_what_if(app_env, demo_url):
    at = _open("pages/coverage.py", "en", "admin")
    assert not at.exception and not at.error
    before = at.dataframe[0].value.set_index("Code")["Area covered %"]
    community = before.index[0]
    # a target for the first community, audited
    at.selectbox(key="cov.target.what").set_value(f"area:{community}")
    at.number_input(key="cov.target.pct").set_value(80.0)
    next(b for b in at.button if b.label == "Save target").click().run()
    assert not at.exception and any("target 80" in s.value for s in at.success)
    gaps = at.dataframe[0].value.set_index("Code")
    assert float(gaps.loc[community, "Target %"]) == 80.0  # a column with empty cells ("—") is text
    assert float(gaps.loc[community, "Gap %"]) == pytest.approx(max(0.0, 80.0 - gaps.loc[community, "Area covered %"]),
                                                               abs=1e-3)
    with make_engine(demo_url).connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM audit_log WHERE action = 'target.set' AND object = :c"),
                            {"c": community}).scalar() >= 1
    # the best 5 new sites, exact
    at.number_input(key="cov.plan.amount").set_value(5.0)
    at.toggle(key="cov.plan.exact").set_value(True)
    next(b for b in at.button if b.label == "Plan").click().run()
    assert not at.exception and not at.error
    plan = at.dataframe[-1].value
    assert len(plan) == 5 and plan["Cumulative coverage %"].is_monotonic_increasing
    assert any("optimality gap 0.00%" in s.value for s in at.success)


def test_coverage_what_if_camera_raises_coverage(app_env):
    from geo.ui.filters import Filters

    def run(extra):
        now = clock.now_utc()
        at = AppTest.from_file(str(ROOT / "pages/coverage.py"), default_timeout=60)
        at.session_state["app.lang"] = "en"
        at.session_state["auth.user"] = {"username": "planner", "role": "planner", "scope": None, "started": now,
                                         "last_seen": now}
        at.session_state["filters.current"] = Filters(dt.date(2026, 6, 1), dt.date(2026, 6, 30), (), None)
        at.session_state["cov.extra"] = extra
        return at.run()

    base = run([])
    table = base.dataframe[0].value.set_index("Code")["Area covered %"]
    lon, lat = 112.93, 28.12  # the demo county's centre
    after = run([("what-if 1", lon, lat, 0.0, 360.0, 400.0, "online", "what-if", None)])
    grown = after.dataframe[0].value.set_index("Code")["Area covered %"].reindex(table.index)  # rows sort by gap
    assert (grown >= table - 1e-9).all() and (grown > table).any()


def test_zones_page_scorecard_proposal_and_plan(app_env):
    at = _open("pages/zones.py", "en", "planner")
    assert not at.exception and not at.error
    scorecard = at.dataframe[0].value
    assert len(scorecard) == 12 and "Polsby-Popper" in scorecard.columns
    # shares in percent, like the camera coverage beside them (not 0.0727 beside 1.39 %)
    assert scorecard["Share %"].sum() == pytest.approx(100, abs=0.5)
    assert scorecard["Hot share %"].sum() == pytest.approx(100, abs=0.5) or scorecard["Hot share %"].sum() == 0
    at.number_input(key="zones.k").set_value(8)
    next(b for b in at.button if b.label == "Propose").click().run()
    assert not at.exception and not at.error
    proposed = at.dataframe[1].value
    assert len(proposed) == 8 and proposed["Contiguous"].all()
    assert any("cells change zone" in i.value for i in at.info)
    at.button(key="zones.plan.pdf_make").click().run()
    assert not at.exception and not at.error
    pdf = at.session_state["zones.plan.pdf"]
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000


def test_zones_page_saves_a_sketch_or_says_why_not(app_env, demo_url):
    from shapely.geometry import mapping

    from geo.store import features as f

    with make_engine(demo_url).connect() as conn:
        zone = f.zones(conn, Scope.jurisdiction()).iloc[0]
    at = _open("pages/zones.py", "en", "planner")
    # what the drawing tool hands back: a polygon lying on an existing zone, under a new code
    at.session_state["zones.sketch"] = mapping(zone.geometry.buffer(-0.002))
    at.run()
    at.text_input(key="zones.sketch.code").set_value("NEWZ")
    next(b for b in at.button if b.label == "Check and save").click().run()
    assert not at.exception and any("Not saved: the zone overlaps other zones" in e.value for e in at.error), \
        [e.value for e in at.error] + [s.value for s in at.success]
    at.session_state["zones.sketch"] = mapping(zone.geometry.buffer(-0.002))
    at.run()
    at.text_input(key="zones.sketch.code").set_value(zone["code"])
    next(b for b in at.button if b.label == "Check and save").click().run()
    assert not at.exception and f"Zone {zone['code']} saved." in [s.value for s in at.success]


def _weights_asked(monkeypatch) -> list[dict]:
    """The severity weights each workload computation of the zones page is asked for."""
    from geo.store import patrol as store_patrol

    asked, original = [], store_patrol.zone_scores

    def recording(*args, severity=None, **kwargs):
        asked.append(dict(severity or {}))
        return original(*args, severity=severity, **kwargs)

    monkeypatch.setattr(store_patrol, "zone_scores", recording)
    return asked


def test_zones_page_severity_weights_change_the_workload(app_env, monkeypatch):
    asked = _weights_asked(monkeypatch)
    at = _open("pages/zones.py", "en", "planner")
    plain = at.dataframe[0].value.set_index("Code")["Workload"]
    boxes = {n.key: n for n in at.number_input if n.key.startswith("zones.severity.")}
    # one box per category of the data, named as people read it, starting at 1, never below 0
    assert boxes["zones.severity.fight"].label == "Fights" and boxes["zones.severity.drunk"].label == \
        "Drunk and disorderly"
    assert all(n.value == 1.0 and n.min == 0.0 for n in boxes.values())
    assert not any(n.label in ("fight", "drunk", "theft") for n in boxes.values())
    assert "zones.severity" not in [w.key for w in at.text_input]  # no codes typed by hand
    boxes["zones.severity.fight"].set_value(3.0)
    boxes["zones.severity.drunk"].set_value(2.0)
    next(b for b in at.button if b.label == "Apply weights").click().run()
    weighted = at.dataframe[0].value.set_index("Code")["Workload"]
    assert not at.exception and (weighted >= plain).all() and (weighted > plain).any()
    # the same weights as typed before ("fight=3, drunk=2"): the same computation, the same workloads
    assert asked[-1] == config.parse_weights("fight=3, drunk=2") == {"fight": 3.0, "drunk": 2.0}
    assert "Category weights: 2 differ from 1" in [e.label for e in at.expander]


def test_zones_page_weights_start_from_the_deployment_setting(app_env, monkeypatch):
    monkeypatch.setenv("SAFEGRID_SEVERITY", "fight=3, theft=0.5")
    asked = _weights_asked(monkeypatch)
    at = _open("pages/zones.py", "zh", "planner")
    assert at.number_input(key="zones.severity.fight").value == 3.0
    assert at.number_input(key="zones.severity.theft").value == 0.5
    assert at.number_input(key="zones.severity.fight").label == "打架斗殴"
    assert asked[-1] == {"fight": 3.0, "theft": 0.5}
    monkeypatch.setenv("SAFEGRID_SEVERITY", "fight:3")
    at = _open("pages/zones.py", "zh", "planner")
    assert not at.exception and "SAFEGRID_SEVERITY" in shown(at.warning[0].value)
    assert at.number_input(key="zones.severity.fight").value == 1.0


def test_a_long_ranking_lists_the_top_areas_by_the_measure(app_env, demo_url, monkeypatch):
    """A city-wide grid has tens of thousands of cells: the table lists the top ones by the measure
    (the map draws all) and says so."""
    from geo.ui import gridview

    monkeypatch.setattr(gridview, "RANKING_ROWS", 25)
    at = _open("pages/grid_map.py")
    at.segmented_control(key="grid.mode").set_value("cells").run()
    assert not at.exception
    frame = at.dataframe[-1].value
    assert len(frame) == 25
    counts = frame["警情数"].to_numpy()
    everything = _children_counts(demo_url)
    assert sorted(counts, reverse=True) == list(counts) == sorted(everything, reverse=True)[:25]
    assert any("前 25 个" in c.value and f"共 {len(everything):,} 个区域" in c.value for c in at.caption)


def _children_counts(demo_url: str) -> list[int]:
    """Each grid cell's incidents in the page's default period (the 28 days to the fixed clock's
    yesterday), as the store counts them county-wide."""
    from geo.store.measures import area_measures

    end = TODAY - dt.timedelta(days=1)
    with make_engine(demo_url).connect() as conn:
        table = area_measures(conn, Scope.jurisdiction(), "grid", end - dt.timedelta(days=27), end, today=TODAY)
    return [int(n) for n in table["n_incidents"]]
