"""DORI: how far a camera can detect, observe, recognise and identify (IEC 62676-4 pixel densities).

A camera with ``resolution_h`` horizontal pixels spread over a horizontal field of view ``fov``
(degrees) has, at distance ``d`` metres, a pixel density of ``px / (2 d tan(fov / 2))`` pixels per
metre (a rectilinear lens: the image's width at distance ``d`` is ``2 d tan(fov / 2)``). A level
needing ``ppm`` pixels per metre is reached up to

    d = px / (2 * ppm * tan(fov / 2))

capped by the camera's range. A rectilinear lens cannot reach 180 degrees; a field of view of 180
degrees or more is a panoramic (fisheye or dome) camera whose pixels spread evenly over the angle,
so its width at ``d`` is the arc ``d * fov`` in radians: ``d = px / (ppm * fov_rad)``.

A camera whose resolution is unknown counts as "detect" up to its range and reaches no other level.
"""

from __future__ import annotations

import numpy as np

LEVELS = ("detect", "observe", "recognise", "identify")
PIXELS_PER_METRE = {"detect": 25.0, "observe": 62.0, "recognise": 125.0, "identify": 250.0}
PANORAMIC_FOV = 180.0  # degrees: from here on a lens is taken as panoramic (see the module docstring)


def level_index(level: str) -> int:
    """The rank of ``level`` in :data:`LEVELS` (detect 0 .. identify 3); a clear error for another name."""
    try:
        return LEVELS.index(level)
    except ValueError:
        raise ValueError(f"unknown DORI level {level!r}: {', '.join(LEVELS)}") from None


def distances(resolution_h, fov, range_m) -> np.ndarray:
    """Distance (metres) up to which each camera reaches each level: an ``(n, 4)`` array in the order
    of :data:`LEVELS`, each capped by the camera's range; 0 for a level it never reaches.

    >>> distances([1920], [90.0], [100.0]).round(2).tolist()
    [[38.4, 15.48, 7.68, 3.84]]
    >>> distances([float("nan")], [90.0], [40.0]).tolist()
    [[40.0, 0.0, 0.0, 0.0]]
    """
    px = np.asarray(resolution_h, dtype=float).reshape(-1)
    fov = np.asarray(fov, dtype=float).reshape(-1)
    reach = np.clip(np.nan_to_num(np.asarray(range_m, dtype=float).reshape(-1), nan=0.0), 0.0, None)
    fov = np.where(np.isfinite(fov), np.clip(fov, 1.0, 360.0), 360.0)
    half = np.radians(np.minimum(fov, 179.0) / 2)
    width_per_metre = np.where(fov >= PANORAMIC_FOV, np.radians(fov), 2 * np.tan(half))
    ppm = np.array([PIXELS_PER_METRE[lv] for lv in LEVELS])
    known = np.isfinite(px) & (px > 0)
    d = np.where(known[:, None], np.nan_to_num(px)[:, None] / (ppm[None, :] * width_per_metre[:, None]), 0.0)
    d = np.minimum(d, reach[:, None])
    d[~known, 0] = reach[~known]  # unknown resolution: detect up to the range, nothing more
    return d


def level_of(distances_row, distance: float) -> int:
    """The best level (index) reached at ``distance`` by a camera with these level distances; -1 for none."""
    got = np.flatnonzero(np.asarray(distances_row, dtype=float) >= distance)
    return int(got.max()) if len(got) else -1


# The level each kind of key place needs by default (a coverage target for the kind may name another):
# faces at entrances where people gather or money changes hands, an overview elsewhere.
REQUIRED_LEVEL = {"school": "recognise", "hospital": "recognise", "station": "recognise", "transport": "recognise",
                  "bank": "identify", "government": "identify", "market": "observe", "nightlife": "observe",
                  "park": "detect", "other": "detect"}
