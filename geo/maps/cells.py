"""A cell layer as two parts: its geometry, sent to the browser once per area set, and its values.

A city-wide grid has 10,000 to 50,000 cells. Written out as GeoJSON inside a folium page, every
change of measure, period or category would send (and make the browser parse and draw) every
outline again. Here the outlines, the codes and the other per-area fields that do not change with
the measure form the *shape set*, named by a hash of its content; the fill colours, the measure's
values and the highlighted area form the *values*, a few bytes per cell.

Geometry travels compactly: coordinates quantised to ``COORD_DECIMALS`` (about 1 m), each ring
without its closing vertex, the first vertex relative to the set's origin and every other vertex
as a difference from the one before it, all in flat integer lists with the counts of vertices per
ring, rings per polygon and polygons per area beside them. The browser side is
``geo/maps/frontend/cellmap.js``.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.core.classify import Classes
from geo.maps.base import COORD_DECIMALS, NO_BASEMAP, Basemap, to_display

STATIC_FIELDS = ("code", "label", "name", "team")  # per-area fields that do not change with the measure
KEEP_ENCODED = 8  # shape sets kept encoded in this process (a city's levels, a few foci); ~10 MB at 50,000 cells
_encoded: OrderedDict[tuple, dict] = OrderedDict()
_encoded_lock = threading.Lock()


def encode_shapes(geoms, decimals: int = COORD_DECIMALS) -> dict:
    """Polygons and multipolygons (WGS 84 or display degrees) as flat integer lists.

    ``origin`` [x, y] and ``scale`` give degrees back: x = origin_x + sum of deltas / scale.
    ``xy`` holds, ring by ring, the first vertex minus the origin and then vertex-to-vertex
    differences (x and y interleaved); ``rings`` the vertices of each ring (closing vertex
    dropped), ``polys`` the rings of each polygon (outer first), ``parts`` the polygons of each area.
    """
    geoms = np.asarray(geoms, dtype=object)
    scale = 10 ** decimals
    if len(geoms) == 0:
        return {"origin": [0, 0], "scale": scale, "xy": [], "rings": [], "polys": [], "parts": []}
    kinds = shapely.get_type_id(geoms)
    if not np.isin(kinds, (3, 6)).all():
        raise ValueError("a cell layer holds polygons only")
    _kind, coords, offsets = shapely.to_ragged_array(geoms)
    if len(offsets) == 2:  # polygons only: one polygon per area
        offsets = (*offsets, np.arange(len(geoms) + 1))
    ring_off, poly_off, part_off = offsets
    q = np.rint(coords * scale).astype(np.int64)
    origin = q.min(axis=0)
    q -= origin
    # drop each ring's closing vertex (the browser closes rings itself)
    keep = np.ones(len(q), dtype=bool)
    keep[ring_off[1:] - 1] = False
    q = q[keep]
    ring_len = np.diff(ring_off) - 1
    starts = np.concatenate([[0], np.cumsum(ring_len)[:-1]])
    delta = np.diff(q, axis=0, prepend=np.zeros((1, 2), dtype=np.int64))
    delta[starts[ring_len > 0]] = q[starts[ring_len > 0]]  # each ring starts from the origin again
    return {"origin": [int(origin[0]), int(origin[1])], "scale": scale, "xy": delta.ravel().tolist(),
            "rings": ring_len.tolist(), "polys": np.diff(poly_off).tolist(), "parts": np.diff(part_off).tolist()}


def decode_shapes(encoded: dict) -> list:
    """The shapes of :func:`encode_shapes` back as shapely geometries (for tests and checks)."""
    xy = np.asarray(encoded["xy"], dtype=np.int64).reshape(-1, 2)
    rings, polys, parts = encoded["rings"], encoded["polys"], encoded["parts"]
    origin, scale = np.asarray(encoded["origin"], dtype=np.int64), encoded["scale"]
    out, v, r = [], 0, 0
    p = 0
    for n_parts in parts:
        if n_parts == 0:
            out.append(shapely.Polygon())
            continue
        polygons = []
        for _ in range(n_parts):
            ring_list = []
            for _ in range(polys[p]):
                n = rings[r]
                pts = (np.cumsum(xy[v:v + n], axis=0) + origin) / scale
                ring_list.append(pts)
                v += n
                r += 1
            p += 1
            polygons.append(shapely.Polygon(ring_list[0], ring_list[1:]))
        out.append(polygons[0] if len(polygons) == 1 else shapely.MultiPolygon(polygons))
    return out


def _text(values) -> list[str]:
    values = pd.Series(values, dtype=object)
    return values.where(values.notna(), "").astype(str).tolist()


def display_shapes(geoms, crs, tolerance_deg: float = 0.0, basemap: Basemap = NO_BASEMAP) -> dict:
    """:func:`encode_shapes` of ``geoms`` simplified by ``tolerance_deg`` and moved to the basemap's
    datum. The same shapes come from a cache the second time (the geometry's bytes name them), so a
    rerun that only changes the measure spends no time on outlines."""
    geoms = np.asarray(geoms, dtype=object)
    digest = hashlib.sha256(b"".join(shapely.to_wkb(geoms, output_dimension=2))).hexdigest()
    name = (digest, str(crs), float(tolerance_deg), basemap.datum, COORD_DECIMALS)
    with _encoded_lock:
        if name in _encoded:
            _encoded.move_to_end(name)
            return _encoded[name]
    shapes = gpd.GeoSeries(geoms, crs=crs)
    if tolerance_deg:
        shapes = shapes.simplify(tolerance_deg, preserve_topology=True)
    shown = to_display(gpd.GeoDataFrame(geometry=shapes.values, crs=crs), basemap).geometry.values
    encoded = encode_shapes(shown)
    encoded["digest"] = hashlib.sha256(json.dumps(encoded, separators=(",", ":")).encode()).hexdigest()
    with _encoded_lock:
        _encoded[name] = encoded
        while len(_encoded) > KEEP_ENCODED:
            _encoded.popitem(last=False)
    return encoded


@dataclass
class CellLayer:
    """One choropleth layer: the shape set (``key``, ``shapes``, ``props``) and its ``values``.

    ``tips`` is [(field, label), ...] in tooltip order; fields are read from ``props`` or ``values``.
    Text is sent as data, never as markup: the browser writes it with ``textContent``.
    """

    name: str
    key: str
    shapes: dict
    props: dict[str, list[str]]
    values: dict[str, list[str]]
    fill: list[int]
    palette: list[str]
    highlight: str | None
    tips: list[tuple[str, str]]
    style: dict = field(default_factory=dict)

    @property
    def codes(self) -> list[str]:
        return self.props["code"]

    def shape_args(self) -> dict:
        """The shape set as the browser receives it the first time."""
        return {"shapes": self.shapes, "props": self.props}

    def value_args(self) -> dict:
        """What every run sends: the values, colours, highlight, tooltip labels and style."""
        return {"key": self.key, "name": self.name, "values": self.values, "fill": self.fill,
                "palette": self.palette, "highlight": self.highlight, "tips": [list(t) for t in self.tips],
                "style": self.style}

    def features(self) -> list[dict]:
        """The layer as GeoJSON-like features (shapely geometry; for tests and exports)."""
        shapes = decode_shapes(self.shapes)
        names = list(self.props) + list(self.values)
        rows = []
        for i, geom in enumerate(shapes):
            props = {n: (self.props.get(n) or self.values.get(n))[i] for n in names}
            props["_fill"] = self.palette[self.fill[i]]
            props["_hl"] = self.highlight is not None and self.props["code"][i] == self.highlight
            rows.append({"geometry": geom, "properties": props})
        return rows


def cell_layer(gdf: gpd.GeoDataFrame, classes: Classes, name: str, *, tooltip_fields: dict | None = None,
               tolerance_deg: float = 0.0, basemap: Basemap = NO_BASEMAP, line_color: str = "#4d4d4d",
               fill_opacity: float = 0.75, highlight: str | None = None,
               static_fields: tuple[str, ...] = STATIC_FIELDS) -> CellLayer:
    """The choropleth of ``gdf`` (one row per area, a ``code`` column; WGS 84) in ``classes``.

    Tooltip fields named in ``static_fields`` belong to the shape set; the others are values.
    """
    tips = dict(tooltip_fields or {})
    encoded = display_shapes(gdf.geometry.values, gdf.crs, tolerance_deg, basemap)
    props = {"code": _text(gdf["code"])}
    props.update({f: _text(gdf[f]) for f in tips if f in static_fields and f != "code"})
    values = {f: _text(gdf[f]) for f in tips if f not in props}
    named = json.dumps([encoded["digest"], props], separators=(",", ":")).encode("utf-8")
    digest = hashlib.sha256(named).hexdigest()[:24]
    colors = pd.Series(classes.color_of(), dtype=object)
    palette = list(dict.fromkeys(colors))
    index = {c: i for i, c in enumerate(palette)}
    if highlight is not None and str(highlight) not in props["code"]:
        highlight = None  # only a drawn area is named: a stale or crafted one never reaches the page
    return CellLayer(name=name, key=digest, shapes=encoded, props=props, values=values,
                     fill=[index[c] for c in colors], palette=palette,
                     highlight=str(highlight) if highlight is not None else None,
                     tips=[(f, str(label)) for f, label in tips.items()],
                     style={"line": line_color, "weight": 0.7, "opacity": fill_opacity})
