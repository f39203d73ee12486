import numpy as np
import pytest
import shapely

from geo.store.dialects import named
from geo.store.types import from_db


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_points_to_db_matches_shapely_encoding(dialect):
    rng = np.random.default_rng(7)
    lon = np.concatenate([rng.uniform(-180, 180, 200), [0.0, -0.0, 112.93]])
    lat = np.concatenate([rng.uniform(-90, 90, 200), [0.0, 0.0, 28.12]])
    backend = named(dialect)
    fast = backend.point_values(lon, lat)
    slow = [backend.geometry_value(shapely.Point(x, y)) for x, y in zip(lon, lat)]
    assert fast == slow
    back = [from_db(v) for v in fast]
    assert shapely.get_x(back).tolist() == lon.tolist() and shapely.get_y(back).tolist() == lat.tolist()
