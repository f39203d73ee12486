"""Time playback on the grid and hotspot pages under AppTest: the controls, the counts of every step sent
to the map component once (not again on a rerun or a change of language), both languages, and a
period too long for day steps explained rather than sent."""

from __future__ import annotations

import json

import numpy as np
import pytest

from geo.maps.timeline import unpack_counts
from tests.pages.common import run_page

WORDS = {"zh": ("时间回放", "播放", "时段", "每时段警情数"), "en": ("Time playback", "Play", "Step", "Incidents per step")}


@pytest.fixture
def app_env(monkeypatch, demo_url):
    monkeypatch.setenv("DATABASE_URL", demo_url)
    from tests.conftest import ROOT

    monkeypatch.chdir(ROOT)


def _map_args(at) -> dict:
    maps = [json.loads(c.proto.json_args) for c in at.get("component_instance")
            if c.proto.component_name.endswith("safegrid_map")]
    assert len(maps) == 1
    return maps[0]


def _play(page: str, key: str, lang: str = "zh", user: str = "admin"):
    """The page with playback switched on; its map's codes kept from the run before (shapes went then)."""
    at = run_page(page, lang, user)
    assert not at.exception
    before = _map_args(at)
    assert before["playback"] is None and before["shapes"] is not None  # off until asked for
    at.toggle(key=f"{key}.playback").set_value(True).run()
    assert not at.exception
    at.codes = before["shapes"]["props"]["code"]
    return at


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_grid_playback_controls_and_words_in_both_languages(app_env, lang):
    at = _play("pages/grid_map.py", "grid", lang)
    toggle, play, step, measure = WORDS[lang]
    assert at.toggle(key="grid.playback").label == toggle
    assert at.get("button_group")  # the step (day, week, month) beside it
    args = _map_args(at)
    assert args["playback"]["words"]["play"] == play and args["playback"]["words"]["step"] == step
    assert measure in args["legend"]
    assert any(("时间回放：共" if lang == "zh" else "Time playback:") in c.value for c in at.caption)


def test_grid_playback_sends_every_step_once(app_env):
    at = _play("pages/grid_map.py", "grid")
    first = _map_args(at)
    data = first["playback"]["data"]
    assert data is not None and first["shapes"] is None  # the same areas: their shapes are not sent again
    codes = at.codes
    counts = unpack_counts(data["counts"], data["width"], len(codes))
    assert counts.shape == (len(data["labels"]), len(codes)) and counts.shape[0] >= 4
    assert data["totals"] == counts.sum(axis=1).tolist()
    # the legend's classes are pooled over every step: the highest count of any step is in the last class
    assert data["bins"][-1] == counts.max() > 0
    assert first["cells"]["values"]["value"] == [f"{v:,}" for v in counts[0]]  # the map opens on the first step

    at.run()  # a rerun with nothing changed: the key only
    again = _map_args(at)
    assert again["playback"]["data"] is None and again["playback"]["key"] == first["playback"]["key"]
    at.session_state["app.lang"] = "en"
    at.run()  # another language: new words, the same counts, not sent again
    english = _map_args(at)
    assert english["playback"]["data"] is None and english["playback"]["words"]["play"] == "Play"

    at.button_group(key="grid.playback.step").set_value("month").run()
    monthly = _map_args(at)["playback"]
    assert monthly["key"] != first["playback"]["key"] and monthly["data"] is not None
    by_month = unpack_counts(monthly["data"]["counts"], monthly["data"]["width"], len(codes))
    np.testing.assert_array_equal(by_month.sum(axis=0), counts.sum(axis=0))  # the same period, other steps


def test_grid_playback_refuses_too_many_day_steps(app_env):
    at = _play("pages/grid_map.py", "grid")
    at.selectbox(key="filters.period").set_value("365").run()
    at.button_group(key="grid.playback.step").set_value("day").run()
    assert not at.exception
    assert any("太多" in i.value for i in at.info)
    assert _map_args(at)["playback"] is None  # the period's map, nothing half-sent


def test_hotspot_playback_plays_counts_per_step(app_env):
    at = _play("pages/hotspots.py", "hot")
    args = _map_args(at)
    data = args["playback"]["data"]
    counts = unpack_counts(data["counts"], data["width"], len(at.codes))
    assert counts.sum() > 0 and "每时段警情数" in args["legend"]


def test_playback_stays_inside_a_street_account_scope(app_env, demo_url):
    """A street's account plays back its own street's cells only (every cell of the street, and only those)."""
    from sqlalchemy import text

    from geo.store.engine import make_engine

    engine = make_engine(demo_url)
    with engine.connect() as conn:
        scope = conn.execute(text("SELECT scope_code FROM users WHERE username = 'leader.street1'")).scalar()
    engine.dispose()
    assert scope  # the demo's street leader has a street's scope
    at = _play("pages/grid_map.py", "grid", user="leader.street1")
    at.button_group(key="grid.mode").set_value("cells").run()
    args = _map_args(at)
    assert args["shapes"] is not None  # the street's cells: a new shape set
    assert args["playback"]["data"] is not None
    codes = args["shapes"]["props"]["code"]
    assert len(codes) > 20 and all(code.startswith(scope) for code in codes)
    counts = unpack_counts(args["playback"]["data"]["counts"], args["playback"]["data"]["width"], len(codes))
    assert counts.shape[1] == len(codes) and counts.sum() > 0


def test_cell_map_args_send_each_part_only_to_a_page_without_it():
    """The shapes and the playback's counts each go when the page was not sent them, or when it asks."""
    import geopandas as gpd
    import shapely

    from geo.core.timeline import pooled_classes, step_classes
    from geo.maps.timeline import Timeline
    from geo.maps.views import measure_map
    from geo.ui.mapview import cell_map_args

    gdf = gpd.GeoDataFrame({"code": ["a", "b"], "value": ["1", "2"]},
                           geometry=[shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)], crs=4326)
    counts = np.array([[1, 2], [0, 5]])
    pooled = pooled_classes(counts)
    cmap = measure_map(gdf, step_classes(pooled, counts[0]), {"measure": "n"}, tooltip_fields={"value": "n"},
                       legend_labels=pooled.labels())
    cmap.timeline = Timeline(["w1", "w2"], counts, pooled)
    both = [cmap.cells.key, cmap.timeline.key]
    cases = {  # (sent, asked) -> (shapes sent, counts sent)
        ((), False): (True, True), ((both[0],), False): (False, True), ((both[1],), False): (True, False),
        (tuple(both), False): (False, False), (tuple(both), True): (True, True)}
    for (sent, asked), (shapes, data) in cases.items():
        args = cell_map_args(cmap, 500, False, list(sent), asked)
        assert (args["shapes"] is not None, args["playback"]["data"] is not None) == (shapes, data), (sent, asked)
        assert args["playback"]["key"] == cmap.timeline.key
