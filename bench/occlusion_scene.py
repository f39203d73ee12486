"""A synthetic town for the occlusion benchmark (metres): blocks of buildings on a street grid and
cameras standing in the streets. Made for the benchmark only (the tests have their own scene)."""

from __future__ import annotations

import numpy as np
import shapely


def town(rng: np.random.Generator, n_buildings: int, n_cameras: int) -> dict:
    """``n_buildings`` footprints (rotated rectangles, one in ten an L) in a square sized for about
    1,000 buildings per km², and ``n_cameras`` cameras near street corners (60-360 degree views,
    30-120 m, resolutions 1280-3840 px or unknown)."""
    side = float(np.sqrt(n_buildings / 1000.0) * 1000.0)
    g = int(np.ceil(np.sqrt(n_buildings)))
    step = side / g  # one building per block, blocks separated by streets
    ix, iy = np.meshgrid(np.arange(g), np.arange(g))
    ix, iy = ix.ravel()[:n_buildings], iy.ravel()[:n_buildings]
    cx = (ix + 0.5) * step + rng.uniform(-3, 3, n_buildings)
    cy = (iy + 0.5) * step + rng.uniform(-3, 3, n_buildings)
    w, h = rng.uniform(0.3, 0.7, n_buildings) * step, rng.uniform(0.3, 0.7, n_buildings) * step
    turn = np.radians(rng.uniform(-12, 12, n_buildings))
    unit = np.array([[-0.5, -0.5], [0.5, -0.5], [0.5, 0.5], [-0.5, 0.5], [-0.5, -0.5]])
    ell = np.array([[-0.5, -0.5], [0.5, -0.5], [0.5, 0.0], [0.0, 0.0], [0.0, 0.5], [-0.5, 0.5], [-0.5, -0.5]])
    shapes = []
    is_ell = rng.random(n_buildings) < 0.1
    for k in range(n_buildings):
        base = ell if is_ell[k] else unit
        px, py = base[:, 0] * w[k], base[:, 1] * h[k]
        c, s = np.cos(turn[k]), np.sin(turn[k])
        shapes.append(np.column_stack([cx[k] + px * c - py * s, cy[k] + px * s + py * c]))
    buildings = np.array([shapely.Polygon(r) for r in shapes], dtype=object)
    n = n_cameras
    x = rng.integers(0, g + 1, n) * step + rng.uniform(-2, 2, n)
    y = rng.integers(0, g + 1, n) * step + rng.uniform(-2, 2, n)
    fov = rng.choice([60.0, 90.0, 360.0], n)
    reach = np.where(fov == 360.0, rng.choice([30.0, 40.0], n), rng.choice([40.0, 60.0, 80.0, 120.0], n))
    res = rng.choice([1280.0, 1920.0, 2560.0, 3840.0, np.nan], n, p=[0.2, 0.35, 0.2, 0.15, 0.1])
    return {"side": side, "buildings": buildings, "x": x, "y": y, "heading": rng.uniform(0, 360, n), "fov": fov,
            "range_m": reach, "resolution_h": res}
