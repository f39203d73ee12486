"""Blind spots inside key places and the views' DORI bands, on both backends, with real buildings."""

from __future__ import annotations

import datetime as dt
import uuid

import geopandas as gpd
import numpy as np
import pytest
import shapely
from sqlalchemy import delete

from geo.core.crs import STORAGE_CRS, metric_crs_of
from geo.store import blindspots, coverage, views
from geo.store.models import Building, Camera, Place, Setting
from geo.store.scope import Scope

EVERYTHING = Scope.jurisdiction()
AT = dt.date(2026, 6, 30)
ORIGIN = shapely.Point(112.95, 28.15)  # the first place; the rest are laid out in metres from it


def _frame() -> tuple[str, shapely.Point]:
    """The metric CRS of the scene and its origin in it."""
    crs = metric_crs_of(gpd.GeoSeries([ORIGIN], crs=STORAGE_CRS))
    return crs, gpd.GeoSeries([ORIGIN], crs=STORAGE_CRS).to_crs(crs).iloc[0]


def _wgs(shape, crs: str):
    return gpd.GeoSeries([shape], crs=crs).to_crs(STORAGE_CRS).iloc[0]


def _at(dx: float, dy: float):
    crs, o = _frame()
    return _wgs(shapely.Point(o.x + dx, o.y + dy), crs)


def _scene(engine, *, building: bool) -> None:
    """Two places of kind "other" (needing detect, 20 m around): A with a dome camera at its centre,
    B (1 km east) with a dome camera 50 m to its west; with ``building``, a block between that camera
    and B (from 40 to 36 m west of B, 4 m wide) and a fresh buildings stamp."""
    crs, o = _frame()
    with engine.begin() as conn:
        conn.execute(Place.__table__.insert(), [
            {"source": "t", "source_id": "A", "kind": "other", "name": "A", "row_hash": 1, "geom": _at(0, 0)},
            {"source": "t", "source_id": "B", "kind": "other", "name": "B", "row_hash": 2, "geom": _at(1000, 0)}])
        conn.execute(Camera.__table__.insert(), [
            {"source": "t", "source_id": f"C{i}", "heading": 0.0, "fov": 360.0, "range_m": 150.0, "status": "online",
             "row_hash": i, "geom": _at(dx, 0)} for i, dx in ((1, 0.0), (2, 950.0))])
        if building:
            block = _wgs(shapely.box(o.x + 960, o.y - 2, o.x + 964, o.y + 2), crs)
            x0, y0, x1, y1 = block.bounds
            conn.execute(Building.__table__.insert().values(
                source="t", source_id="b1", row_hash=1, lon_min=x0, lat_min=y0, lon_max=x1, lat_max=y1,
                geom=shapely.MultiPolygon([block])))
            conn.execute(delete(Setting).where(Setting.key == views.STAMP_KEY))
            conn.execute(Setting.__table__.insert().values(key=views.STAMP_KEY, value=uuid.uuid4().hex))


def _blind(engine) -> gpd.GeoDataFrame:
    with engine.connect() as conn:
        return blindspots.blind_spots(conn, EVERYTHING, AT).set_index("source_id")


def test_blind_spots_none_where_every_place_is_seen(db):
    _scene(db, building=False)
    found = _blind(db)
    assert found["blind_pct"].tolist() == [0.0, 0.0] and found.geometry.isna().all()
    assert found["required_level"].tolist() == ["detect", "detect"]
    np.testing.assert_allclose(found["ground_m2"], np.pi * blindspots.FOOTPRINT_M["other"] ** 2, rtol=0.01)


def test_blind_spots_behind_a_building(db):
    _scene(db, building=True)
    found = _blind(db)
    assert found.loc["A", "blind_pct"] == 0.0 and found.loc["A"].geometry is None  # nothing between
    b = found.loc["B"]
    assert 1.0 < b["blind_pct"] < 80.0 and b["blind_m2"] > 0
    assert b.geometry.contains(_at(1000, 0))  # the place's centre lies in the building's shadow
    assert not b.geometry.intersects(_at(1000, 15))  # off the shadow (11.3° either side of the axis): seen
    assert found.index[0] == "B"  # worst first


def test_blind_spots_follow_the_kinds_required_level(db):
    _scene(db, building=False)
    coverage.set_target(db, "planner1", 90.0, scope=EVERYTHING, place_kind="other", level="identify")
    found = _blind(db)  # the cameras have no resolution: they reach detect only
    assert found["required_level"].tolist() == ["identify", "identify"] and (found["blind_pct"] == 100.0).all()


def test_footprints_buffer_points_by_kind_and_keep_polygons():
    crs, o = _frame()
    square = _wgs(shapely.box(o.x - 5, o.y - 5, o.x + 5, o.y + 5), crs)
    places = gpd.GeoDataFrame({"kind": ["school", "bank", "unheard-of", "park"]},
                              geometry=[_at(0, 0), _at(200, 0), _at(400, 0), square], crs=STORAGE_CRS)
    got = shapely.area(blindspots.footprints(places, crs))
    expected = [np.pi * blindspots.FOOTPRINT_M["school"] ** 2, np.pi * blindspots.FOOTPRINT_M["bank"] ** 2,
                np.pi * blindspots.DEFAULT_FOOTPRINT_M ** 2, 100.0]
    np.testing.assert_allclose(got, expected, rtol=0.01)


def test_level_bands_nest_from_range_to_identify(db):
    _scene(db, building=False)
    with db.begin() as conn:  # C1 gets a resolution: a panoramic 4K camera reaches every level near it
        conn.execute(Camera.__table__.update().where(Camera.source_id == "C1").values(resolution_h=3840))
    with db.connect() as conn:
        cams = coverage.cameras_on(conn, EVERYTHING, AT)
        bands = blindspots.level_bands(conn, cams)
    crs, _ = _frame()
    assert bands["level"].tolist() == list(blindspots.BANDS)
    metric = bands.to_crs(crs).set_index("level").geometry
    assert metric.area.sum() == pytest.approx(2 * np.pi * 150.0 ** 2, rel=0.02)  # two whole views, no overlap
    # C1 identifies up to 3840 / (250 * 2 pi) m; the bands do not overlap
    assert metric["identify"].area == pytest.approx(np.pi * (3840 / (250 * 2 * np.pi)) ** 2, rel=0.03)
    assert metric["identify"].intersection(metric["recognise"]).area < 1e-6
