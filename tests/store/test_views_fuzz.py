"""Red team for the per-camera view cache and the DORI views (issue 21): keys that must tell cameras
apart, what-if cameras, a building moved by a re-import, and degenerate ranges. Tests named
``..._bug_...`` failed on the code they were written against (fixed on branch i21-fuzz)."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo.core import dori
from geo.ingest.buildings import import_buildings
from geo.store import views
from tests.store.test_views import CRS, LAT, LON, _cams, _here


def test_same_place_and_heading_but_another_resolution_or_angle_is_another_view(db):
    views.clear_cache()
    cams = _cams(heading=[90.0, 90.0, 90.0], fov=[90.0, 90.0, 30.0], range_m=[100.0] * 3,
                 resolution_h=[1920.0, 3840.0, 1920.0])
    with db.connect() as conn:
        got = views.camera_views(conn, cams, CRS)
    want = dori.distances([1920.0, 3840.0, 1920.0], [90.0, 90.0, 30.0], [100.0] * 3)
    for k in range(3):
        for j, lv in enumerate(dori.LEVELS):
            fov = [90.0, 90.0, 30.0][k]
            assert got.column(lv)[k].area == pytest.approx(np.pi * want[k, j] ** 2 * fov / 360, rel=0.01), (k, lv)


def test_a_what_if_camera_leaves_the_real_cameras_views_alone(db):
    views.clear_cache()
    real = _cams(heading=[0.0], fov=[90.0], range_m=[50.0], resolution_h=[1920.0])
    with db.connect() as conn:
        before = views.camera_views(conn, real, CRS)
        # a what-if camera at the very same place and heading, with another lens and range, drawn first
        what_if = _cams(heading=[0.0], fov=[60.0], range_m=[80.0], resolution_h=[np.nan]).assign(kind="what-if")
        views.camera_views(conn, what_if, CRS)
        both = views.camera_views(conn, pd.concat([real.assign(kind="fixed"), what_if]), CRS)
        after = views.camera_views(conn, real, CRS)
    for lv in (None,) + dori.LEVELS:
        assert after.column(lv)[0].equals(before.column(lv)[0])
        assert both.column(lv)[0].equals(before.column(lv)[0])
    assert both.column()[1].area == pytest.approx(np.pi * 80 ** 2 / 6, rel=0.01)
    assert both.column("observe")[1] is None


def _footprint_file(tmp_path, dx: float):
    c = _here()
    wall = gpd.GeoSeries([shapely.box(c.x + dx, c.y - 5, c.x + dx + 2, c.y + 5)], crs=CRS).to_crs(4326).iloc[0]
    path = tmp_path / f"b{int(dx)}.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"building_id": "W1"}, "geometry": json.loads(shapely.to_geojson(wall))}]}))
    return path


def test_a_building_moved_by_a_re_import_gives_fresh_views(db, tmp_path):
    views.clear_cache()
    cams = _cams(range_m=[40.0])
    c = _here()
    import_buildings(db, _footprint_file(tmp_path, 10.0))
    with db.connect() as conn:
        east = views.camera_views(conn, cams, CRS).column()[0]
    import_buildings(db, _footprint_file(tmp_path, -12.0))  # the same building id, now to the west
    with db.connect() as conn:
        west = views.camera_views(conn, cams, CRS).column()[0]
    assert not east.contains(shapely.Point(c.x + 20, c.y)) and east.contains(shapely.Point(c.x - 20, c.y))
    assert west.contains(shapely.Point(c.x + 20, c.y)) and not west.contains(shapely.Point(c.x - 20, c.y))


@pytest.mark.parametrize("range_m", [0.0, np.nan])
def test_bug_a_camera_without_range_or_resolution_identifies_within_a_metre(db, range_m):
    """A camera of unknown resolution reaches "detect" only (dori.distances gives 0 for the other levels),
    and one of no range sees nothing. views._compute takes a level whose distance equals the range as the
    range's view: with a range of 0 that is every level, and the range's view is a 1 m disc (sectors'
    smallest radius), so the camera observes, recognises and identifies around itself."""
    views.clear_cache()
    cams = _cams(range_m=[range_m], resolution_h=[np.nan])
    with db.connect() as conn:
        got = views.camera_views(conn, cams, CRS)
    assert [got.column(lv)[0] for lv in dori.LEVELS[1:]] == [None, None, None]


def test_cameras_far_apart_in_one_frame_get_their_own_buildings(db, tmp_path):
    """The buildings are read once for the frame's box: a camera 5 km away is still cut by its own wall."""
    views.clear_cache()
    import_buildings(db, _footprint_file(tmp_path, 10.0))
    far_lon = LON + 5000 / (111_320 * np.cos(np.radians(LAT)))
    cams = _cams(range_m=[40.0, 40.0])
    cams = cams.set_geometry(gpd.points_from_xy([LON, far_lon], [LAT, LAT]), crs=4326)
    with db.connect() as conn:
        got = views.camera_views(conn, cams, CRS).column()
    assert got[0].area < np.pi * 40 ** 2 * 0.9
    assert got[1].area == pytest.approx(np.pi * 40 ** 2, rel=0.01)
