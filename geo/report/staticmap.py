"""Static maps for print (PNG through matplotlib's Agg backend: no tiles, no network).

A map is a stack of layers drawn in a metric CRS: filled polygons, outlines, points, labels.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import geopandas as gpd
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

WANTED_FONTS = ("DejaVu Sans", "Noto Sans CJK SC", "WenQuanYi Micro Hei")  # the first for Latin, then CJK


def _fonts() -> list[str]:
    from matplotlib import font_manager

    have = {f.name for f in font_manager.fontManager.ttflist}
    return [f for f in WANTED_FONTS if f in have] or ["DejaVu Sans"]


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


def render(layers: list[Layer], *, title: str = "", size_in: tuple[float, float] = (7.0, 6.0), dpi: int = 130) -> bytes:
    """PNG bytes of the layers, framed on all of them; empty layers are skipped."""
    shown = [lay for lay in layers if lay.frame is not None and not lay.frame.empty]
    with plt.rc_context({"font.family": _fonts(), "axes.unicode_minus": False}):
        fig, ax = plt.subplots(figsize=size_in, dpi=dpi)
        crs = shown[0].frame.estimate_utm_crs() if shown else None
        handles = []
        for lay in shown:
            gdf = lay.frame.to_crs(crs)
            colors = gdf[lay.color].tolist() if isinstance(lay.color, str) and lay.color in gdf else lay.color
            if lay.kind == "fill":
                gdf.plot(ax=ax, color=colors, edgecolor=lay.edge, linewidth=lay.width)
            elif lay.kind == "outline":
                gdf.boundary.plot(ax=ax, color=lay.edge, linewidth=lay.width)
            else:
                gdf.plot(ax=ax, color=colors, markersize=lay.size, edgecolor="#222222", linewidth=0.3, zorder=5)
            if lay.label_column:
                for pt, text in zip(gdf.geometry.representative_point(), gdf[lay.label_column]):
                    ax.annotate(str(text), (pt.x, pt.y), ha="center", va="center", fontsize=6, zorder=6,
                                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.75})
            handles += [Patch(facecolor=c, edgecolor="#555555", label=t) for t, c in lay.legend.items()]
        ax.set_axis_off()
        ax.set_aspect("equal")
        if title:
            ax.set_title(title, fontsize=10)
        if handles:
            ax.legend(handles=handles, loc="lower left", fontsize=7, frameon=True)
        fig.tight_layout()
        out = io.BytesIO()
        fig.savefig(out, format="png")
        plt.close(fig)
        return out.getvalue()
