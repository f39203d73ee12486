"""Real data end to end: Baltimore's 614 police CCTV cameras as 360-degree cameras of range
150 m, and the 2018 burglary/arson incidents: incident-weighted coverage through the importers
and the store equals an independent geopandas computation."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Geod
from sqlalchemy import text

from geo.ingest.areas import import_areas
from geo.ingest.pipeline import import_file
from geo.store import coverage
from geo.store.scope import Scope

EVERYTHING = Scope.jurisdiction()

UTM_18N = "EPSG:32618"


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgis", marks=pytest.mark.postgis)])
def test_baltimore_incident_coverage_equals_geopandas(make_db, shared_data, backend):
    base = shared_data / "baltimore"
    engine = make_db(backend, tz="America/New_York")
    import_areas(engine, base / "police_districts.geojson", "district", code_field="name")
    cams = import_file(engine, base / "cctv_cameras_2014.csv", "cameras", scope=EVERYTHING, preset="baltimore")
    inc = import_file(engine, base / "part1_burglary_arson_2018.csv", "incidents", scope=EVERYTHING, preset="baltimore")
    assert cams.written == 614
    with engine.begin() as conn:  # the file has no lens data: domes of 150 m
        conn.execute(text("UPDATE cameras SET fov = 360, range_m = 150, heading = NULL, status = 'online', "
                          "installed_on = NULL"))
        table = coverage.area_coverage(conn, EVERYTHING, "district", dt.date(2018, 12, 31), dt.date(2018, 1, 1),
                                       dt.date(2018, 12, 31))
    ours_seen = int((table["incident_covered_pct"].fillna(0) / 100 * table["n_incidents"]).round().sum())
    ours_total = int(table["n_incidents"].sum())

    # independently: raw files, discs of 150 m on the ground walked as geodesics from each camera (64
    # segments, from due south clockwise, as a dome's arc is drawn), a spatial join
    cam_raw = pd.read_csv(base / "cctv_cameras_2014.csv").dropna(subset=["Longitude", "Latitude"])
    az = -180.0 + 360.0 * np.arange(65) / 64
    lon = np.repeat(cam_raw["Longitude"].to_numpy(), 65)
    lat = np.repeat(cam_raw["Latitude"].to_numpy(), 65)
    ring_lon, ring_lat, _ = Geod(ellps="WGS84").fwd(lon, lat, np.tile(az, len(cam_raw)), np.full(len(lon), 150.0))
    rings = shapely.polygons(np.stack([ring_lon, ring_lat], axis=-1).reshape(len(cam_raw), 65, 2))
    discs = gpd.GeoSeries(rings, crs=4326).to_crs(UTM_18N)
    raw = pd.read_csv(base / "part1_burglary_arson_2018.csv").dropna(subset=["Longitude", "Latitude"])
    # the preset keys an incident on these fields; repeated rows are one incident (reported as duplicates)
    raw = raw.drop_duplicates(["CrimeDate", "CrimeTime", "CrimeCode", "Location", "Post", "Longitude", "Latitude"])
    pts = gpd.GeoDataFrame(raw, geometry=gpd.points_from_xy(raw["Longitude"], raw["Latitude"]), crs=4326)
    districts = gpd.read_file(base / "police_districts.geojson").to_crs(4326)
    pts = gpd.sjoin(pts, districts[["geometry"]], predicate="intersects", how="inner")
    pts = pts[~pts.index.duplicated()].to_crs(UTM_18N)
    seen = gpd.sjoin(pts[["geometry"]], gpd.GeoDataFrame(geometry=discs), predicate="intersects", how="inner")
    theirs_seen = seen.index.unique().size
    assert inc.written > 6000
    assert ours_total == len(pts)
    assert ours_seen == theirs_seen
    assert 0 < ours_seen < ours_total
