import numpy as np
import pytest
from pyproj import Transformer

from geo.core.crs import (CRSError, bd09_to_gcj02, gcj02_to_bd09, gcj02_to_wgs84, metric_crs_for, metric_crs_of,
                          parse_crs, to_metric, to_wgs84, utm_epsg_for, wgs84_to_gcj02)


@pytest.mark.parametrize("text,expected", [("4326", "EPSG:4326"), ("EPSG:3435", "EPSG:3435"), ("epsg:32650", "EPSG:32650"),
                                           ("GCJ-02", "gcj02"), ("bd09", "bd09"), (None, "EPSG:4326")])
def test_parse_crs_normalises(text, expected):
    assert parse_crs(text) == expected


@pytest.mark.parametrize("text", ["wgs", "EPSG:999999", "12.5"])
def test_parse_crs_refuses_unknown(text):
    with pytest.raises(CRSError):
        parse_crs(text)


def test_utm_zone_for_beijing_and_chicago():
    assert utm_epsg_for(116.4, 39.9) == 32650
    assert utm_epsg_for(-87.6, 41.9) == 32616
    assert utm_epsg_for(151.2, -33.9) == 32756


def test_metric_crs_of_points_and_of_a_frame_is_the_utm_zone_at_the_centre_of_the_extent():
    import geopandas as gpd
    import shapely

    # points spread over two zones: the centre of their extent decides, not the first point
    assert metric_crs_for(np.array([113.5, 114.4, 114.6]), np.array([28.0, 28.2, 28.1])) == "EPSG:32650"
    assert metric_crs_for([-87.9, -87.5], [41.6, 42.0]) == "EPSG:32616"
    assert metric_crs_for([151.1, 151.3], [-34.0, -33.8], configured_epsg=28356) == "EPSG:28356"
    frame = gpd.GeoDataFrame(geometry=[shapely.box(112.8, 28.0, 113.0, 28.2)], crs=4326)
    assert metric_crs_of(frame) == "EPSG:32649"
    assert metric_crs_of(frame.to_crs(3857)) == "EPSG:32649"  # taken back to WGS 84 first
    assert metric_crs_of(frame.geometry) == "EPSG:32649"


def test_to_metric_is_the_inverse_of_to_wgs84():
    lon, lat = np.array([112.90, 112.95, 113.05]), np.array([28.05, 28.12, 28.20])
    x, y = to_metric(lon, lat, "EPSG:32649")
    assert 600_000 < x.min() and x.max() < 720_000  # UTM eastings around the 111th meridian
    back = to_wgs84(x, y, "EPSG:32649")
    np.testing.assert_allclose(back, (lon, lat), atol=1e-9)
    assert [len(v) for v in to_metric([], [], "EPSG:32649")] == [0, 0]


def test_gcj02_offset_size_and_inverse():
    lon = np.array([116.397, 121.4737, 113.2644])
    lat = np.array([39.908, 31.2304, 23.1291])
    g_lon, g_lat = wgs84_to_gcj02(lon, lat)
    shift_m = np.hypot((g_lon - lon) * 111320 * np.cos(np.radians(lat)), (g_lat - lat) * 110540)
    assert ((shift_m > 100) & (shift_m < 700)).all()  # the published offset is a few hundred metres
    back_lon, back_lat = gcj02_to_wgs84(g_lon, g_lat)
    np.testing.assert_allclose(back_lon, lon, atol=1e-7)
    np.testing.assert_allclose(back_lat, lat, atol=1e-7)


def test_bd09_round_trip():
    lon, lat = np.array([116.404, 113.3]), np.array([39.915, 23.1])
    b_lon, b_lat = gcj02_to_bd09(lon, lat)
    g_lon, g_lat = bd09_to_gcj02(b_lon, b_lat)
    np.testing.assert_allclose(g_lon, lon, atol=2e-6)
    np.testing.assert_allclose(g_lat, lat, atol=2e-6)


def test_to_wgs84_matches_pyproj_for_epsg():
    x, y = np.array([1176350.0]), np.array([1899750.0])  # Illinois East state plane, US feet
    lon, lat = to_wgs84(x, y, "EPSG:3435")
    ref = Transformer.from_crs("EPSG:3435", "EPSG:4326", always_xy=True).transform(x, y)
    np.testing.assert_allclose([lon[0], lat[0]], [ref[0][0], ref[1][0]])
    assert -88 < lon[0] < -87 and 41 < lat[0] < 42.1
