import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo.core.democity import generate_city
from geo.ingest.demo import load_recipe

END = dt.date(2026, 6, 30)


@pytest.fixture(scope="module")
def city():
    return generate_city(load_recipe(), seed=7, end=END, scale=0.2)


def test_generate_city_is_deterministic(city):
    again = generate_city(load_recipe(), seed=7, end=END, scale=0.2)
    pd.testing.assert_frame_equal(city.incidents, again.incidents)
    assert city.areas["grid"]["code"].tolist() == again.areas["grid"]["code"].tolist()


def test_generate_city_levels_nest_exactly(city):
    areas = city.areas
    assert len(areas["district"]) == 1 and len(areas["street"]) == 6
    assert len(areas["community"]) == 40 and len(areas["grid"]) == 1000
    district = areas["district"].geometry.iloc[0]
    cells = shapely.union_all(areas["grid"].geometry.values)
    assert cells.symmetric_difference(district).area / district.area < 1e-6
    parents = dict(zip(areas["community"]["code"], areas["community"]["parent"]))
    assert set(areas["grid"]["parent"]) == set(parents)
    assert all(code.startswith(parent) for code, parent in zip(areas["grid"]["code"], areas["grid"]["parent"]))


def test_generate_city_incidents_have_rhythm_and_decline(city):
    inc = city.incidents
    assert 0.18 * 150_000 < len(inc) < 0.22 * 150_000
    hours = inc["occurred_at"].dt.hour.value_counts(normalize=True)
    assert hours.loc[[0, 1, 2, 3, 4, 5]].sum() < hours.loc[[10, 11, 12, 13, 14, 15]].sum()
    years = (pd.Timestamp(END) - inc["occurred_at"]).dt.days // 365
    per_year = years.value_counts().sort_index()
    assert per_year[0] < per_year[1] < per_year[2]  # the newest year has the fewest incidents
    weekday = inc["occurred_at"].dt.day_of_week.value_counts()
    assert weekday[5] > weekday[1]  # Saturday busier than Tuesday


def test_generate_city_other_layers(city):
    assert len(city.cameras) == 1500 and len(city.places) == 300 and len(city.ledger) == 2000
    assert len(city.zones) == 12
    assert set(city.ledger["status"]) == {"reported", "assigned", "rectifying", "rectified", "verified", "cancelled"}
    open_items = city.ledger[city.ledger["status"].isin(["reported", "assigned", "rectifying"])]
    assert (pd.to_datetime(open_items["deadline"]) < pd.Timestamp(END)).any()  # some are overdue
    assert np.isin(city.cameras["status"], ["online", "offline", "planned"]).all()


def test_generate_city_buildings_stand_clear_of_cameras_places_and_each_other(city):
    from geo.core.crs import utm_epsg_for
    from geo.core.demostreets import CAMERA_INSIDE_M, PLACE_CLEAR_M

    shapes = city.buildings.to_crs(f"EPSG:{utm_epsg_for(112.93, 28.12)}")
    assert 2_000 < len(shapes) < 6_000 and city.buildings["source_id"].is_unique
    geoms = shapes.geometry.to_numpy()
    assert shapely.is_valid(geoms).all() and set(shapes.geom_type) == {"Polygon"}
    assert (shapely.get_num_coordinates(geoms) > 5).mean() > 0.03  # a few L shapes among the rectangles
    tree = shapely.STRtree(geoms)
    a, b = tree.query(geoms, predicate="intersects")
    assert (a == b).all()  # none overlaps another
    cams = gpd.GeoSeries(shapely.points(city.cameras["x"], city.cameras["y"]), crs="EPSG:4326").to_crs(shapes.crs)
    which, hit = tree.query(cams.to_numpy(), predicate="within")
    depth = shapely.distance(shapely.boundary(geoms[hit]), cams.to_numpy()[which])
    assert (depth <= CAMERA_INSIDE_M + 1e-6).all()  # a camera may stand on a wall, never inside
    places = gpd.GeoSeries(shapely.points(city.places["x"], city.places["y"]), crs="EPSG:4326").to_crs(shapes.crs)
    near = tree.query(places.to_numpy(), predicate="dwithin", distance=PLACE_CLEAR_M - 0.1)
    assert near.size == 0
    areas = shapely.area(geoms)
    assert 50 < areas.min() and areas.max() < 1_000


def test_generate_city_buildings_and_resolutions_are_deterministic(city):
    again = generate_city(load_recipe(), seed=7, end=END, scale=0.2)
    assert again.buildings.geometry.equals(city.buildings.geometry)
    pd.testing.assert_series_equal(again.cameras["resolution_h"], city.cameras["resolution_h"])
    other = generate_city(load_recipe(), seed=8, end=END, scale=0.2)
    assert not other.buildings.geometry.head(50).equals(city.buildings.geometry.head(50))


def test_generate_city_cameras_have_a_mix_of_resolutions(city):
    res = city.cameras["resolution_h"]
    assert 0.05 < res.isna().mean() < 0.15
    assert set(res.dropna().astype(int)) == {1280, 1920, 2560, 3840}
