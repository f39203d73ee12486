"""One geometry column type for every backend, and shapes as values a connection takes.

On PostgreSQL it is a PostGIS ``geometry(<type>, 4326)`` column; on SQLite the same
shapes are kept as WKB blobs (how each backend stores them is its dialect's business:
``geo.store.dialects``). Shapes cross the boundary as shapely geometries: written through
:func:`geometry_values` / :func:`point_values` (or the column type itself), read back
through :func:`from_db`. A hex EWKB literal is what PostGIS's geometry input accepts, so no
SQL function wrapping is needed on either side.
"""

from __future__ import annotations

import numpy as np
import shapely
from sqlalchemy import LargeBinary
from sqlalchemy.engine import Connection
from sqlalchemy.types import TypeDecorator

from geo.store.dialects import dialect_for, named


class Geometry(TypeDecorator):
    """A shapely geometry in WGS 84: PostGIS geometry or a WKB blob on SQLite."""

    impl = LargeBinary
    cache_ok = True

    def __init__(self, geometry_type: str = "GEOMETRY"):
        super().__init__()
        self.geometry_type = geometry_type.upper()

    def load_dialect_impl(self, dialect):
        return dialect.type_descriptor(named(dialect.name).geometry_column(self.geometry_type))

    def process_bind_param(self, value, dialect):
        return None if value is None else named(dialect.name).geometry_value(value)

    def process_result_value(self, value, dialect):
        return None if value is None else from_db(value)

    def __repr__(self) -> str:
        return f"Geometry({self.geometry_type!r})"


def geometry_values(conn: Connection, geoms) -> list:
    """Shapely geometries (an array, or one) as the values ``conn``'s database stores them."""
    values = dialect_for(conn).geometry_value(geoms)
    return list(values) if isinstance(values, np.ndarray) else values


def point_values(conn: Connection, lon: np.ndarray, lat: np.ndarray) -> list:
    """Points ``(lon[i], lat[i])`` as the values ``conn``'s database stores them, without building
    shapely objects (what :func:`geometry_values` gives for the same points, byte for byte)."""
    return dialect_for(conn).point_values(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))


def point_value(conn: Connection, lon: float, lat: float):
    """One point as the value ``conn``'s database stores it."""
    return geometry_values(conn, shapely.Point(float(lon), float(lat)))


def from_db(value):
    """A stored geometry value (WKB bytes, hex EWKB text or memoryview) as shapely."""
    if isinstance(value, memoryview):
        value = value.tobytes()
    return shapely.from_wkb(value)
