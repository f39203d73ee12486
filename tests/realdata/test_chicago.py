"""Chicago, end to end: beats as grid cells, July 2017 incidents with the chicago preset.

Incidents per beat for July (local dates) must equal a geopandas sjoin computed here
independently, exactly; incidents without coordinates are reported; re-import is a no-op.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from sqlalchemy import text

from geo.cli import main
from geo.ingest.areas import import_areas
from geo.ingest.pipeline import import_file
from geo.store.scope import Scope  # noqa: E402

EVERYTHING = Scope.jurisdiction()

pytestmark = pytest.mark.realdata


def expected_per_beat(shared_data) -> tuple[pd.Series, int, int]:
    """(count per beat, located incidents outside every beat, rows without coordinates)."""
    raw = pd.read_csv(shared_data / "chicago" / "chicago_crimes_2017_07.csv", dtype=str)
    when = pd.to_datetime(raw["Date"], format="%m/%d/%Y %I:%M:%S %p")
    raw = raw[(when >= "2017-07-01") & (when < "2017-08-01")]
    located = raw.dropna(subset=["Longitude", "Latitude"])
    points = gpd.GeoDataFrame(located[["ID"]], crs=4326,
                              geometry=gpd.points_from_xy(located["Longitude"].astype(float),
                                                          located["Latitude"].astype(float)))
    beats = gpd.read_file(shared_data / "chicago" / "police_beats.geojson")[["beat_num", "geometry"]]
    joined = gpd.sjoin(points, beats, how="left", predicate="intersects")
    # A point on a shared edge goes to the smallest code (SafeGrid's documented rule).
    first = joined.sort_values("beat_num").groupby(level=0)["beat_num"].first()
    counts = first.dropna().value_counts().sort_index()
    return counts, int(first.isna().sum()), len(raw) - len(located)


@pytest.fixture(params=["sqlite", pytest.param("postgis", marks=pytest.mark.postgis)])
def chicago_db(request, make_db, shared_data):
    engine = make_db(request.param, tz="America/Chicago")
    import_areas(engine, shared_data / "chicago" / "police_beats.geojson", "grid", code_field="beat_num")
    return engine


def test_chicago_july_counts_equal_sjoin(chicago_db, shared_data, tmp_path):
    report = import_file(chicago_db, shared_data / "chicago" / "chicago_crimes_2017_07.csv", "incidents", scope=EVERYTHING,
                         preset="chicago")
    expected, outside, no_coords = expected_per_beat(shared_data)
    assert report.rows_read == 24_783
    assert report.reasons() == {"missing coordinates": no_coords}
    assert report.outside == outside
    assert report.inserted == 24_783 - no_coords

    out = tmp_path / "july.csv"
    url = chicago_db.url.render_as_string(hide_password=False)
    assert main(["counts", "--db", url, "--level", "grid", "--from", "2017-07-01", "--to", "2017-07-31",
                 "--out", str(out)]) == 0
    got = pd.read_csv(out, dtype={"code": str}).set_index("code")["n_incidents"]
    assert len(got) == 275
    got = got[got > 0].sort_index()
    pd.testing.assert_series_equal(got, expected.astype(got.dtype), check_names=False, check_index_type=False)

    again = import_file(chicago_db, shared_data / "chicago" / "chicago_crimes_2017_07.csv", "incidents", scope=EVERYTHING,
                        preset="chicago")
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, report.inserted)
    with chicago_db.connect() as conn:
        assert conn.execute(text("SELECT SUM(n) FROM incident_daily")).scalar() == report.inserted


def test_chicago_swapped_coordinates_are_caught(chicago_db, shared_data, tmp_path):
    raw = pd.read_csv(shared_data / "chicago" / "chicago_crimes_2017_07.csv", dtype=str, nrows=50)
    raw = raw.dropna(subset=["Latitude"]).head(3).copy()
    raw.loc[raw.index[1], ["Latitude", "Longitude"]] = raw.loc[raw.index[1], ["Longitude", "Latitude"]].to_numpy()
    path = tmp_path / "swapped.csv"
    raw.to_csv(path, index=False)
    report = import_file(chicago_db, path, "incidents", scope=EVERYTHING, preset="chicago")
    assert report.inserted == 2
    assert len(report.skipped) == 1 and "swapped" in report.skipped[0][1]
