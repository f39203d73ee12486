"""One geometry column type for every backend.

On PostgreSQL it is a PostGIS ``geometry(<type>, 4326)`` column; on SQLite the same
shapes are kept as WKB blobs. Shapes cross the boundary as shapely geometries through
two functions, :func:`to_db` and :func:`from_db`: a hex EWKB literal is what PostGIS's
geometry input accepts, so no SQL function wrapping is needed on either side.
"""

from __future__ import annotations

import numpy as np
import shapely
from sqlalchemy import LargeBinary
from sqlalchemy.types import TypeDecorator, UserDefinedType

from geo.core.crs import STORAGE_SRID


class PostGISGeometry(UserDefinedType):
    """The PostGIS column type ``geometry(<type>, 4326)``; values travel as hex EWKB text."""

    cache_ok = True

    def __init__(self, geometry_type: str = "GEOMETRY"):
        self.geometry_type = geometry_type.upper()

    def get_col_spec(self, **kw) -> str:
        return f"geometry({self.geometry_type},{STORAGE_SRID})"


class Geometry(TypeDecorator):
    """A shapely geometry in WGS 84: PostGIS geometry or a WKB blob on SQLite."""

    impl = LargeBinary
    cache_ok = True

    def __init__(self, geometry_type: str = "GEOMETRY"):
        super().__init__()
        self.geometry_type = geometry_type.upper()

    def load_dialect_impl(self, dialect):
        if dialect.name == "postgresql":
            return dialect.type_descriptor(PostGISGeometry(self.geometry_type))
        return dialect.type_descriptor(LargeBinary())

    def process_bind_param(self, value, dialect):
        return None if value is None else to_db(value, dialect.name)

    def process_result_value(self, value, dialect):
        return None if value is None else from_db(value)

    def __repr__(self) -> str:
        return f"Geometry({self.geometry_type!r})"


def to_db(geom, dialect_name: str):
    """A shapely geometry as the database stores it: hex EWKB (PostGIS) or WKB bytes."""
    if dialect_name == "postgresql":
        return shapely.to_wkb(shapely.set_srid(geom, STORAGE_SRID), hex=True, include_srid=True)
    return shapely.to_wkb(geom)


def from_db(value):
    """A stored geometry value (WKB bytes, hex EWKB text or memoryview) as shapely."""
    if isinstance(value, memoryview):
        value = value.tobytes()
    return shapely.from_wkb(value)


def points_to_db(lon: np.ndarray, lat: np.ndarray, dialect_name: str) -> list:
    """Many points as the database stores them, built with numpy alone (no shapely objects).

    Gives byte for byte what :func:`to_db` gives for ``Point(lon, lat)``: little-endian WKB
    (SQLite), or hex EWKB with SRID 4326 (PostGIS).
    """
    postgis = dialect_name == "postgresql"
    fields = [("order", "u1"), ("type", "<u4")] + ([("srid", "<u4")] if postgis else []) + [("x", "<f8"), ("y", "<f8")]
    packed = np.empty(len(lon), dtype=np.dtype(fields))
    packed["order"] = 1
    packed["type"] = 0x20000001 if postgis else 1
    if postgis:
        packed["srid"] = STORAGE_SRID
    packed["x"], packed["y"] = lon, lat
    raw = packed.view(f"V{packed.dtype.itemsize}").tolist()
    return [b.hex().upper() for b in raw] if postgis else raw
