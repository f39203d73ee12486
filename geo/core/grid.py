"""Grid geometry: assigning points to cells, generating regular grids, nesting areas.

Array in, array out. Polygons are shapely geometries in WGS 84 unless a docstring says
metres; metric work is done in a projected CRS chosen by :mod:`geo.core.crs`.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import shapely
from shapely import STRtree

from geo.core.crs import STORAGE_CRS

LEVELS = ("district", "street", "community", "grid")
SHAPES = ("square", "hex")
OUTSIDE = ""  # the code of "no area" where a code column cannot be NULL


def parent_level(level: str) -> str | None:
    """The level directly above ``level`` (``None`` for district)."""
    i = LEVELS.index(level)
    return LEVELS[i - 1] if i else None


def assign_points(xs: np.ndarray, ys: np.ndarray, polygons: np.ndarray) -> np.ndarray:
    """Index of the polygon containing each point, ``-1`` for points inside none.

    A point on a boundary shared by several polygons goes to the lowest polygon index,
    so callers that sort polygons by code get "smallest code wins". Vectorised with an
    STRtree: one bulk query, no Python loop over points.
    """
    n = len(xs)
    result = np.full(n, -1, dtype=np.int64)
    ok = np.isfinite(xs) & np.isfinite(ys)
    if not ok.any() or len(polygons) == 0:
        return result
    px, py = xs[ok], ys[ok]
    shapely.prepare(polygons)
    tree = STRtree(polygons)
    # Bounding-box candidates from the tree, then an exact test against prepared polygons.
    point_idx, poly_idx = tree.query(shapely.points(px, py))
    if len(point_idx):
        hit = shapely.intersects_xy(polygons[poly_idx], px[point_idx], py[point_idx])
        point_idx, poly_idx = point_idx[hit], poly_idx[hit]
    if len(point_idx):
        best = np.full(len(px), np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(best, point_idx, poly_idx)
        found = best != np.iinfo(np.int64).max
        sub = np.full(len(px), -1, dtype=np.int64)
        sub[found] = best[found]
        result[np.flatnonzero(ok)] = sub
    return result


def largest_overlap(children: np.ndarray, parents: np.ndarray, metric_crs: str) -> np.ndarray:
    """For each child polygon, the index of the parent it overlaps most (``-1`` if none).

    Areas are compared in ``metric_crs`` (metres), so the answer does not depend on latitude.
    """
    result = np.full(len(children), -1, dtype=np.int64)
    if len(children) == 0 or len(parents) == 0:
        return result
    child_m = gpd.GeoSeries(children, crs=STORAGE_CRS).to_crs(metric_crs).values
    parent_m = gpd.GeoSeries(parents, crs=STORAGE_CRS).to_crs(metric_crs).values
    ci, pi = STRtree(parent_m).query(child_m, predicate="intersects")
    if len(ci) == 0:
        return result
    area = shapely.area(shapely.intersection(child_m[ci], parent_m[pi]))
    order = np.lexsort((pi, -area, ci))  # per child: largest area first, then lowest index
    ci, pi, area = ci[order], pi[order], area[order]
    first = np.ones(len(ci), dtype=bool)
    first[1:] = ci[1:] != ci[:-1]
    keep = first & (area > 0)
    result[ci[keep]] = pi[keep]
    return result


def repair_polygons(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Make polygons valid, keeping only their polygonal parts as MultiPolygons.

    Returns (repaired geometries, bool mask of those that were invalid). A geometry with
    no polygonal part left becomes ``None``.
    """
    geoms = np.asarray(geoms, dtype=object)
    invalid = ~shapely.is_valid(geoms)
    out = geoms.copy()
    if invalid.any():
        out[invalid] = shapely.make_valid(geoms[invalid])
    return np.array([_as_multipolygon(g) for g in out], dtype=object), invalid


def _as_multipolygon(geom):
    if geom is None or geom.is_empty:
        return None
    if geom.geom_type == "MultiPolygon":
        return geom
    if geom.geom_type == "Polygon":
        return shapely.MultiPolygon([geom])
    parts = [g for g in getattr(geom, "geoms", []) if g.geom_type in ("Polygon", "MultiPolygon")]
    polys = []
    for part in parts:
        polys.extend(part.geoms if part.geom_type == "MultiPolygon" else [part])
    return shapely.MultiPolygon(polys) if polys else None


def make_grid(boundary_m, cell_size: float, shape: str = "square") -> tuple[list[str], np.ndarray]:
    """Regular cells of ``cell_size`` metres covering ``boundary_m`` (a polygon in metres), clipped.

    Cells are laid on a lattice anchored at the CRS origin, so the same boundary, size and
    shape always give the same codes: ``S<size>_<col>_<row>`` for squares (col/row of the
    lower-left corner), ``H<size>_<q>_<r>`` for pointy-top hexagons in axial coordinates
    (``cell_size`` is then the distance between opposite flat sides). Returns codes and
    clipped polygons in metres; cells that only touch the boundary are dropped.
    """
    if cell_size <= 0:
        raise ValueError("cell size must be positive (metres)")
    if shape not in SHAPES:
        raise ValueError(f"unknown grid shape {shape!r}: use square or hex")
    minx, miny, maxx, maxy = boundary_m.bounds
    size_tag = f"{cell_size:g}"
    if shape == "square":
        cols = np.arange(math.floor(minx / cell_size), math.ceil(maxx / cell_size))
        rows = np.arange(math.floor(miny / cell_size), math.ceil(maxy / cell_size))
        cc, rr = np.meshgrid(cols, rows)
        cc, rr = cc.ravel(), rr.ravel()
        cells = shapely.box(cc * cell_size, rr * cell_size, (cc + 1) * cell_size, (rr + 1) * cell_size)
        codes = np.array([f"S{size_tag}_{c}_{r}" for c, r in zip(cc, rr)])
    else:
        radius = cell_size / math.sqrt(3.0)  # centre to vertex
        dx, dy = cell_size, 1.5 * radius
        r_lo, r_hi = math.floor(miny / dy) - 1, math.ceil(maxy / dy) + 1
        qs, rs = [], []
        for r in range(r_lo, r_hi + 1):
            q_lo = math.floor(minx / dx - r / 2.0) - 1
            q_hi = math.ceil(maxx / dx - r / 2.0) + 1
            qs.extend(range(q_lo, q_hi + 1))
            rs.extend([r] * (q_hi - q_lo + 1))
        q = np.array(qs)
        r = np.array(rs)
        cx = dx * (q + r / 2.0)
        cy = dy * r
        angles = np.deg2rad(np.arange(6) * 60.0 + 30.0)
        ring = np.stack([cx[:, None] + radius * np.cos(angles), cy[:, None] + radius * np.sin(angles)], axis=-1)
        cells = shapely.polygons(ring)
        codes = np.array([f"H{size_tag}_{a}_{b}" for a, b in zip(q, r)])
    shapely.prepare(boundary_m)
    hit = shapely.intersects(cells, boundary_m) & ~shapely.touches(cells, boundary_m)
    cells, codes = cells[hit], codes[hit]
    within = shapely.within(cells, boundary_m)
    clipped = cells.copy()
    clipped[~within] = shapely.intersection(cells[~within], boundary_m)
    keep = ~shapely.is_empty(clipped) & (shapely.area(clipped) > 1e-6 * cell_size * cell_size)
    return list(codes[keep]), clipped[keep]


def bin_points(lon: np.ndarray, lat: np.ndarray, size_deg: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Aggregate points into square bins of ``size_deg`` degrees.

    Returns the mean longitude and latitude of the points in each occupied bin and their
    count, largest bins first. Points with a missing coordinate are left out.
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    ok = np.isfinite(lon) & np.isfinite(lat)
    lon, lat = lon[ok], lat[ok]
    if not len(lon):
        return np.array([]), np.array([]), np.array([], dtype=np.int64)
    keys = np.column_stack([np.floor(lon / size_deg), np.floor(lat / size_deg)]).astype(np.int64)
    _, inverse, counts = np.unique(keys, axis=0, return_inverse=True, return_counts=True)
    inverse = inverse.ravel()
    mean_lon = np.bincount(inverse, weights=lon) / counts
    mean_lat = np.bincount(inverse, weights=lat) / counts
    order = np.argsort(-counts, kind="stable")
    return mean_lon[order], mean_lat[order], counts[order]
