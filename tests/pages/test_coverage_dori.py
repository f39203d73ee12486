"""The coverage page by DORI level: measures and gap-table columns per level, the caption on how levels
are computed (and how many cameras shown lack a resolution), what-if resolution, targets and plans at a
level, the map's level bands and the blind spots inside key places."""

from __future__ import annotations

import re

import pytest

from geo.ingest.demo import build_demo
from geo.maps.bands import BAND_COLORS, BLIND_COLOR
from geo.store import blindspots, camera_plan, coverage
from geo.store.engine import make_engine
from geo.store.scope import Scope
from tests.conftest import ROOT, TODAY
from tests.pages.common import drawn_maps, map_features, run_page, submit

EVERYTHING = Scope.jurisdiction()
SPOT = (112.93, 28.12)  # lon, lat of the what-if cameras: inside the demo city
BANDS_EN, BLIND_EN = "Camera views by DORI level", "Blind spots in key places"
CAPTION = re.compile(r"Of the (\d+) cameras shown, (\d+) have no resolution")


@pytest.fixture(scope="module")
def city_url(tmp_path_factory):
    """A small demo city of its own (the tests save targets in it)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('dori') / 'demo.sqlite'}"
    engine = make_engine(url)
    build_demo(engine, seed=21, scale=0.03, end=TODAY)
    engine.dispose()
    return url


@pytest.fixture
def drawn(monkeypatch, city_url):
    """The maps the page hands to the browser, in order."""
    monkeypatch.setenv("DATABASE_URL", city_url)
    monkeypatch.chdir(ROOT)
    return drawn_maps(monkeypatch, "geo.ui.coverage")


def _features(cmap, name: str) -> list[dict]:
    return map_features(cmap, name)


def _what_if(resolution):
    return ("what-if 1", *SPOT, 0.0, 90.0, 120.0, "online", "what-if", resolution)


def _table(at, *headers):
    return next(d.value for d in at.dataframe if set(headers) <= set(d.value.columns))


@pytest.mark.parametrize("lang,detect,identify,school,caption", [
    ("en", "Detect %", "Identify %", "Recognise", "25, 62, 125 and 250 pixels per metre"),
    ("zh", "探测级 %", "辨认级 %", "识别", "每米 25、62、125、250 个像素")])
def test_levels_in_measures_gap_tables_and_caption(drawn, lang, detect, identify, school, caption):
    at = run_page("pages/coverage.py", lang, "planner")
    assert not at.exception
    areas = _table(at, detect, identify)
    assert list(areas.columns).index(detect) < list(areas.columns).index(identify)
    required = "Required level" if lang == "en" else "要求等级"
    kinds = _table(at, required)
    assert kinds.set_index(kinds.columns[0]).loc["School" if lang == "en" else "学校", required] == school
    assert any(caption in c.value for c in at.caption)
    at.segmented_control(key="cov.measure").set_value("identify_pct").run()
    assert not at.exception
    assert ("Seen at identify" if lang == "en" else "辨认级覆盖率") in drawn[-1].text()


def test_caption_counts_the_cameras_without_a_resolution(drawn, city_url):
    at = run_page("pages/coverage.py", "en", "planner")
    day = at.date_input(key="cov.at").value
    engine = make_engine(city_url)
    with engine.connect() as conn:
        cams = coverage.cameras_on(conn, EVERYTHING, day)
    engine.dispose()
    unknown = int(cams["resolution_h"].isna().sum())

    def counted():
        return next(tuple(map(int, m.groups())) for c in at.caption for m in [CAPTION.search(c.value)] if m)

    assert counted() == (len(cams), unknown)
    at.session_state["cov.extra"] = [_what_if(1920.0)]
    at.run()
    assert counted() == (len(cams) + 1, unknown)
    at.session_state["cov.extra"] = [_what_if(None)]  # 0 in the input: unknown
    at.run()
    assert counted() == (len(cams) + 1, unknown + 1)


def test_map_draws_level_bands_and_blind_spots(drawn, city_url):
    at = run_page("pages/coverage.py", "en", "planner")
    at.session_state["cov.extra"] = [_what_if(3840.0)]
    at.run()
    assert not at.exception
    fmap = drawn[-1]
    bands = _features(fmap, BANDS_EN)
    assert {"detect", "observe", "recognise", "identify"} <= {f["properties"]["level"] for f in bands}
    assert len(bands) == len({f["properties"]["level"] for f in bands})  # one shape per band
    day = at.date_input(key="cov.at").value
    engine = make_engine(city_url)
    with engine.connect() as conn:
        blind = blindspots.blind_spots(conn, EVERYTHING, day)
    engine.dispose()
    spots = _features(fmap, BLIND_EN)
    assert len(spots) == int(blind.geometry.notna().sum()) > 0
    kinds = {f["properties"]["kind_text"] for f in spots}
    assert "School" in kinds and not kinds & set(blindspots.FOOTPRINT_M)  # translated, never the code
    assert all(f["properties"]["share"].endswith("%") for f in spots)
    html = fmap.text()
    assert "Seen: Identify" in html and BAND_COLORS["identify"] in html and BLIND_EN in html and BLIND_COLOR in html
    worst = _table(at, "Place", "Blind share %")
    assert 0 < len(worst) <= 20 and worst["Blind share %"].is_monotonic_decreasing


def test_targets_are_saved_with_their_level(drawn, city_url):
    at = run_page("pages/coverage.py", "en", "planner")
    at.selectbox(key="cov.target.what").set_value("kind:school")
    at.selectbox(key="cov.target.level").set_value("identify")
    submit(at, "Save target")
    assert not at.exception and not at.error
    kinds = _table(at, "Required level").set_index("Place kind")
    assert kinds.loc["School", "Required level"] == "Identify" and kinds.loc["School", "Target level"] == "Identify"
    area = at.selectbox(key="cov.target.what").options[0]
    at.selectbox(key="cov.target.what").set_value(at.selectbox(key="cov.target.what").options[0])
    at.selectbox(key="cov.target.level").set_value("default")
    submit(at, "Save target")
    at.selectbox(key="cov.target.what").set_value("kind:park")
    submit(at, "Save target")  # the default for a kind: its required level
    assert not at.exception and not at.error
    engine = make_engine(city_url)
    with engine.connect() as conn:
        saved = coverage.targets(conn, EVERYTHING)
    engine.dispose()
    by_kind = saved[saved["place_kind"].notna()].set_index("place_kind")["level"]
    assert by_kind["school"] == "identify" and by_kind["park"] == "detect"
    assert saved[saved["area_code"].notna()]["level"].isna().all() and area


def test_plans_count_at_the_level_chosen(drawn, city_url):
    at = run_page("pages/coverage.py", "en", "planner")
    at.selectbox(key="cov.plan.level").set_value("recognise")
    submit(at, "Plan")
    assert [e.value for e in at.error] == ['New cameras need a horizontal resolution to reach "Recognise".']
    at.selectbox(key="cov.plan.demand").set_value("places")
    at.number_input(key="cov.plan.fov").set_value(90.0)
    at.number_input(key="cov.plan.resolution").set_value(3840)
    submit(at, "Plan")
    assert not at.exception and not at.error
    summary = at.session_state["cov.plan.result"]["summary"]
    assert summary["level"] == "recognise" and 'counted at "Recognise"' in at.success[-1].value
    day = at.date_input(key="cov.at").value
    engine = make_engine(city_url)
    with engine.connect() as conn:  # key-place demand reads no incidents: the period does not matter
        _, direct = camera_plan.plan(conn, EVERYTHING, day, day, day, add=10, radius=150.0, fov=90.0,
                                     demand="places", level="recognise", resolution_h=3840.0)
    engine.dispose()
    assert (summary["covered_before_pct"], summary["covered_after_pct"]) == (direct["covered_before_pct"],
                                                                             direct["covered_after_pct"])
    at.selectbox(key="cov.plan.level").set_value("required")  # the default: for incidents, "detect"
    at.selectbox(key="cov.plan.demand").set_value("incidents")
    submit(at, "Plan")
    assert at.session_state["cov.plan.result"]["summary"]["level"] == "detect"
