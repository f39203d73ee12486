"""Static maps for print (PNG through matplotlib's Agg canvas: no tiles, no network).

A map is a stack of layers drawn in a metric CRS (the UTM zone of the first layer's centre):
filled polygons, outlines, points, labels. Shapes are drawn as matplotlib path collections on
a figure of its own (no pyplot state, so pages in different sessions can draw at once), and
text is set in DejaVu Sans with the CJK font of ``geo.report.fonts`` for Chinese.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import shapely
from matplotlib import rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.path import Path

from geo.core.crs import metric_crs_of
from geo.report.fonts import matplotlib_families


@dataclass
class Layer:
    frame: gpd.GeoDataFrame
    kind: str = "fill"  # fill | outline | points
    color: object = "#bbbbbb"  # one colour or the name of a column of colours
    edge: str = "#ffffff"
    width: float = 0.4
    size: float = 14.0
    label_column: str | None = None  # text drawn at each shape's representative point
    legend: dict[str, str] = field(default_factory=dict)  # legend text -> colour


def _ring(coords: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    codes = np.full(len(coords), Path.LINETO, dtype=Path.code_type)
    codes[0], codes[-1] = Path.MOVETO, Path.CLOSEPOLY
    return coords[:, :2], codes


def _path(geom) -> Path | None:
    """One compound path per (multi)polygon: its shells and holes, each ring closed (None when empty)."""
    polys = [geom] if geom.geom_type == "Polygon" else [g for g in getattr(geom, "geoms", []) if g.geom_type == "Polygon"]
    parts = [_ring(np.asarray(r.coords)) for p in polys if not p.is_empty for r in (p.exterior, *p.interiors)
             if len(r.coords) >= 4]
    if not parts:
        return None
    return Path(np.concatenate([v for v, _ in parts]), np.concatenate([c for _, c in parts]))


def _colors(frame: gpd.GeoDataFrame, color: object) -> object:
    return frame[color].tolist() if isinstance(color, str) and color in frame else color


def render(layers: list[Layer], *, title: str = "", size_in: tuple[float, float] = (7.0, 6.0), dpi: int = 130) -> bytes:
    """PNG bytes of the layers, framed on all of them; empty layers are skipped."""
    shown = [lay for lay in layers if lay.frame is not None and not lay.frame.empty]
    crs = metric_crs_of(shown[0].frame) if shown else None
    with rc_context({"font.family": matplotlib_families(), "axes.unicode_minus": False}):
        fig = Figure(figsize=size_in, dpi=dpi)
        FigureCanvasAgg(fig)
        ax = fig.add_axes((0.01, 0.01, 0.98, 0.92 if title else 0.98))
        handles = []
        for z, lay in enumerate(shown):
            gdf = lay.frame.to_crs(crs)
            geoms = gdf.geometry.values
            if lay.kind in ("fill", "outline"):
                paths = [_path(g) for g in geoms]
                keep = [i for i, p in enumerate(paths) if p is not None]
                colors = _colors(gdf, lay.color)
                if isinstance(colors, list):
                    colors = [colors[i] for i in keep]
                if lay.kind == "fill":
                    coll = PathCollection([paths[i] for i in keep], facecolors=colors, edgecolors=lay.edge,
                                          linewidths=lay.width, zorder=1 + z * 0.01)
                else:
                    coll = PathCollection([paths[i] for i in keep], facecolors="none", edgecolors=lay.edge,
                                          linewidths=lay.width, zorder=2 + z * 0.01)
                ax.add_collection(coll, autolim=True)
            else:
                ax.scatter(shapely.get_x(geoms), shapely.get_y(geoms), s=lay.size, c=_colors(gdf, lay.color),
                           edgecolors="#222222", linewidths=0.3, zorder=5)
            if lay.label_column:
                for pt, text in zip(shapely.point_on_surface(geoms), gdf[lay.label_column]):
                    ax.annotate(str(text), (pt.x, pt.y), ha="center", va="center", fontsize=6, zorder=6,
                                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.75})
            handles += [Patch(facecolor=c, edgecolor="#555555", label=t) for t, c in lay.legend.items()]
        ax.autoscale_view()
        ax.set_axis_off()
        ax.set_aspect("equal", adjustable="datalim")
        if title:
            fig.suptitle(title, fontsize=10, y=0.985)
        if handles:
            ax.legend(handles=handles, loc="lower left", fontsize=7, frameon=True)
        out = io.BytesIO()
        fig.savefig(out, format="png")
        return out.getvalue()
