"""One geometry column type for every backend.

On PostgreSQL it is a PostGIS ``geometry(<type>, 4326)`` column; on SQLite the same
shapes are kept as WKB blobs. Shapes cross the boundary as shapely geometries through
two functions, :func:`to_db` and :func:`from_db`: a hex EWKB literal is what PostGIS's
geometry input accepts, so no SQL function wrapping is needed on either side.
"""

from __future__ import annotations

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
