"""The page bench/playback_bench.py drives: a square grid of cells with made-up weekly counts, drawn
through SafeGrid's map component in one of two ways (query parameter ``mode``):

- ``playback``  SafeGrid's time playback: the counts of every step sent once, stepped in the browser;
- ``rerun``     the naive alternative: a Streamlit button moves one step, the script reruns and the map
                is sent that step's values (the component restyles the cells; shapes are not sent again,
                which is already kinder to the naive page than re-rendering a folium map).

Both use the same classes, pooled over every step. ``PLAYBACK_CELLS`` and ``PLAYBACK_STEPS`` (environment)
set the size. The bench runs a copy beside a link to the app's ``static`` folder, with ``PYTHONPATH`` at the
checkout.
"""

from __future__ import annotations

import os

import geopandas as gpd
import numpy as np
import shapely
import streamlit as st

from geo.core.timeline import pooled_classes, step_classes
from geo.maps.timeline import Timeline
from geo.maps.views import measure_map
from geo.ui.mapview import show_cell_map

CELL_DEG = 0.0015  # about 150 m
SEED = 22


@st.cache_data
def grid(n_cells: int, n_steps: int) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    side = int(np.ceil(np.sqrt(n_cells)))
    i = np.arange(n_cells)
    x0, y0 = 113.0 + (i % side) * CELL_DEG, 28.0 + (i // side) * CELL_DEG
    cells = shapely.box(x0, y0, x0 + CELL_DEG, y0 + CELL_DEG)
    gdf = gpd.GeoDataFrame({"code": [f"C{k:06d}" for k in i], "label": [f"cell {k}" for k in i]}, geometry=cells,
                           crs=4326)
    rng = np.random.default_rng(SEED)
    base = rng.gamma(0.6, 1.5, n_cells)  # most cells quiet, a few busy
    season = 1 + 0.5 * np.sin(np.linspace(0, 2 * np.pi, n_steps))
    counts = rng.poisson(np.outer(season, base))  # steps x cells
    return gdf, counts


n_cells, n_steps = int(os.environ.get("PLAYBACK_CELLS", 10_000)), int(os.environ.get("PLAYBACK_STEPS", 52))
gdf, counts = grid(n_cells, n_steps)
gdf = gdf.copy()
pooled = pooled_classes(counts)
labels = {"measure": "incidents per week", "no_data": "no data"}
mode = st.query_params.get("mode", "playback")
if mode == "rerun":
    step = st.session_state.setdefault("bench.step", 0)
    if st.button("next step", key="bench.next"):
        step = st.session_state["bench.step"] = (step + 1) % n_steps
    st.caption(f"step {step + 1} of {n_steps}")
else:
    step = 0
gdf["value"] = [str(v) for v in counts[step]]
cmap = measure_map(gdf, step_classes(pooled, counts[step]), labels, tooltip_fields={"code": "code", "value": "n"},
                   legend_labels=pooled.labels())
if mode == "playback":
    cmap.timeline = Timeline([f"week {k + 1}" for k in range(n_steps)], counts, pooled)
show_cell_map(cmap, key="bench.map", height=560)
