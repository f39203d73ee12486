"""Reading areas out of the store and assigning area codes to points."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from sqlalchemy import select, text
from sqlalchemy.engine import Connection

from geo.core.crs import STORAGE_CRS
from geo.core.distinct import MOST_DISTINCT_SHARE, distinct_pairs
from geo.core.grid import LEVELS, assign_points
from geo.store.models import Area
from geo.store.frames import to_frame

CODE_COLUMNS = {"grid": "cell_code", "community": "community_code", "street": "street_code", "district": "district_code"}


def load_areas(conn: Connection, level: str | None = None) -> gpd.GeoDataFrame:
    """Areas (all, or one level) as a GeoDataFrame sorted by code."""
    stmt = select(Area.code, Area.name, Area.name_en, Area.level, Area.parent_code, Area.population,
                  Area.team, Area.area_km2, Area.geom).order_by(Area.code)
    if level:
        stmt = stmt.where(Area.level == level)
    frame = to_frame(conn.execute(stmt), ["code", "name", "name_en", "level", "parent_code", "population",
                                          "team", "area_km2", "geometry"])
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=STORAGE_CRS)


@dataclass
class AreaIndex:
    """Polygons per level and each area's chain of ancestors, for assigning codes to points."""

    areas: gpd.GeoDataFrame
    chains: dict[str, dict[str, str]]  # code -> {code column: ancestor-or-self code}

    @classmethod
    def load(cls, conn: Connection) -> "AreaIndex":
        areas = load_areas(conn)
        parent = dict(zip(areas["code"], areas["parent_code"]))
        level = dict(zip(areas["code"], areas["level"]))
        chains = {}
        for code in areas["code"]:
            chain, cur, seen = {}, code, set()
            while cur is not None and cur in level and cur not in seen:
                seen.add(cur)
                chain.setdefault(CODE_COLUMNS[level[cur]], cur)
                cur = parent.get(cur)
            chains[code] = chain
        return cls(areas, chains)

    @property
    def extent(self) -> tuple | None:
        return None if self.areas.empty else tuple(self.areas.total_bounds)

    def assign(self, lon: np.ndarray, lat: np.ndarray) -> pd.DataFrame:
        """Codes of the cell and every ancestor for each point (None where there is none).

        The cell is found by location; its ancestors follow from the parent chain. A point
        inside no cell still gets the areas of higher levels that contain it. Each distinct
        point is looked up once (crimes of one block share its coordinates).
        """
        codes, first = distinct_pairs(np.asarray(lon), np.asarray(lat))
        if len(first) > MOST_DISTINCT_SHARE * len(codes):
            return self._assign_each(lon, lat)
        return self._assign_each(np.asarray(lon)[first], np.asarray(lat)[first]).take(codes).reset_index(drop=True)

    def _assign_each(self, lon: np.ndarray, lat: np.ndarray) -> pd.DataFrame:
        n = len(lon)
        out = {col: np.full(n, None, dtype=object) for col in CODE_COLUMNS.values()}
        for level in reversed(LEVELS):  # grid first, then upwards
            col = CODE_COLUMNS[level]
            todo = np.flatnonzero(pd.isna(out[col]))
            layer = self.areas[self.areas["level"] == level]
            if not len(todo) or layer.empty:
                continue
            idx = assign_points(lon[todo], lat[todo], layer.geometry.values)
            hit = idx >= 0
            rows = todo[hit]
            if not len(rows):
                continue
            layer_codes = layer["code"].tolist()
            for code_col in CODE_COLUMNS.values():  # each polygon's ancestor codes, taken by polygon index
                chain = np.array([self.chains[c].get(code_col) for c in layer_codes], dtype=object)
                values = chain[idx[hit]]
                fill = pd.isna(out[code_col][rows])
                out[code_col][rows[fill]] = values[fill]
        return pd.DataFrame(out)


def descendants(conn: Connection, code: str, level: str) -> list[str]:
    """Codes of the areas of ``level`` below ``code`` (at any depth)."""
    links = to_frame(conn.execute(text("SELECT code, parent_code, level FROM areas")), ["code", "parent", "level"])
    children: dict[str, list[str]] = {}
    for child, parent in zip(links["code"], links["parent"]):
        children.setdefault(parent, []).append(child)
    levels = dict(zip(links["code"], links["level"]))
    found, todo = [], [code]
    while todo:
        for child in children.get(todo.pop(), []):
            (found if levels[child] == level else todo).append(child)
    return sorted(found)
