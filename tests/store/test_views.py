"""Camera views over the store: cut by the stored buildings, per DORI level, cached per camera until
the buildings change (on both backends)."""

from __future__ import annotations

import uuid

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geo.core import dori
from geo.core.crs import metric_crs_for
from geo.store import views
from geo.store.models import Building, Setting

LON, LAT = 112.93, 28.12
CRS = metric_crs_for([LON], [LAT])


def _cams(**columns) -> gpd.GeoDataFrame:
    n = len(next(iter(columns.values())))
    base = {"heading": [np.nan] * n, "fov": [360.0] * n, "range_m": [40.0] * n, "resolution_h": [np.nan] * n}
    base.update(columns)
    return gpd.GeoDataFrame(base, geometry=gpd.points_from_xy([LON] * n, [LAT] * n), crs=4326)


def _add_building(engine, metric_polygon) -> None:
    """A footprint given in metres (the test's metric CRS), written as the importer writes one, with a new stamp."""
    shape = gpd.GeoSeries([metric_polygon], crs=CRS).to_crs(4326).iloc[0]
    x0, y0, x1, y1 = shape.bounds
    with engine.begin() as conn:
        n = conn.execute(Building.__table__.select()).rowcount or 0
        conn.execute(Building.__table__.insert().values(
            source="test", source_id=f"b{uuid.uuid4().hex[:8]}{n}", row_hash=1, lon_min=x0, lat_min=y0, lon_max=x1,
            lat_max=y1, geom=shapely.MultiPolygon([shape])))
        conn.execute(Setting.__table__.delete().where(Setting.key == views.STAMP_KEY))
        conn.execute(Setting.__table__.insert().values(key=views.STAMP_KEY, value=uuid.uuid4().hex))


def _here():
    return gpd.GeoSeries(gpd.points_from_xy([LON], [LAT]), crs=4326).to_crs(CRS).iloc[0]


def test_a_building_cuts_the_view_and_a_new_stamp_renews_the_cache(db):
    views.clear_cache()
    cams = _cams(range_m=[40.0])
    with db.connect() as conn:
        first = views.camera_views(conn, cams, CRS)
        again = views.camera_views(conn, cams, CRS)
    assert first.at()[0].area == pytest.approx(np.pi * 40 ** 2, rel=0.01)
    assert again.at()[0] is first.at()[0]  # from the cache
    c = _here()
    _add_building(db, shapely.box(c.x + 10, c.y - 5, c.x + 12, c.y + 5))  # a wall 10 m east
    with db.connect() as conn:
        cut = views.camera_views(conn, cams, CRS)
    lost = first.at()[0].area - cut.at()[0].area
    wedge = 2 * np.arctan2(5, 10)
    assert lost == pytest.approx(0.5 * wedge * 40 ** 2 - 50, rel=0.02)  # the sector behind the wall
    assert not cut.at()[0].contains(shapely.Point(c.x + 20, c.y))
    assert cut.at()[0].contains(shapely.Point(c.x - 20, c.y))


def test_dori_views_reach_the_formulas_distances(db):
    views.clear_cache()
    cams = _cams(heading=[90.0, 90.0], fov=[90.0, 90.0], range_m=[100.0, 100.0], resolution_h=[1920.0, np.nan])
    with db.connect() as conn:
        got = views.camera_views(conn, cams, CRS)
    want = dori.distances([1920], [90.0], [100.0])[0]  # 38.4, 15.48, 7.68, 3.84 m
    for lv, d in zip(dori.LEVELS, want):
        assert got.column(lv)[0].area == pytest.approx(np.pi * d ** 2 / 4, rel=0.01), lv
    # no resolution: detect up to the range, no other level
    assert got.column("detect")[1].area == pytest.approx(np.pi * 100 ** 2 / 4, rel=0.01)
    assert all(got.column(lv)[1] is None for lv in dori.LEVELS[1:])
    assert len(got.at("identify")) == 1


def test_a_camera_inside_a_building_is_not_blinded_by_it(db):
    views.clear_cache()
    c = _here()
    _add_building(db, shapely.box(c.x - 3, c.y - 3, c.x + 3, c.y + 3))
    with db.connect() as conn:
        got = views.camera_views(conn, _cams(range_m=[30.0]), CRS)
    assert got.at()[0].area == pytest.approx(np.pi * 30 ** 2, rel=0.01)
