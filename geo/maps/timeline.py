"""A cell map's time playback: the values of every step, sent to the browser once.

The map's shapes travel once per shape set (:mod:`geo.maps.cells`); a playback adds the counts of
every step for the same cells, in the cells' order, as one block of little-endian unsigned integers
(one, two or four bytes each, the fewest that hold the largest count), step after step, in base64:
52 weekly steps of 10,000 cells are about 1.4 MB. The browser (``frontend/cellmap.js``) keeps the
block, moves through the steps with its own slider and play button and recolours the cells from the
classes' upper bounds, which are computed once over every step (so the legend holds for all of them),
without asking the server for anything. A small bar chart of each step's total marks the step shown.
"""

from __future__ import annotations

import base64
import hashlib
import json
import dataclasses
from dataclasses import dataclass

import numpy as np

from geo.core.classify import Classes

WIDTHS = ((np.uint8, 1), (np.uint16, 2), (np.uint32, 4))
PLAY_MS = 400  # time each step is shown while playing: 2.5 steps a second (the browser can go faster; see the benchmark)


def pack_counts(counts: np.ndarray) -> tuple[str, int]:
    """(base64 text, bytes per value) of ``counts`` (steps x cells, whole numbers >= 0), step-major."""
    counts = np.asarray(counts)
    if counts.size and (counts.min() < 0 or not np.array_equal(counts, np.round(counts))):
        raise ValueError("a playback carries whole counts of zero or more")
    top = int(counts.max()) if counts.size else 0
    for kind, width in WIDTHS:
        if top <= np.iinfo(kind).max:
            raw = np.ascontiguousarray(counts, dtype=np.dtype(kind).newbyteorder("<")).tobytes()
            return base64.b64encode(raw).decode("ascii"), width
    raise ValueError(f"a count of {top} is too large for a playback")


def unpack_counts(text: str, width: int, n_cells: int) -> np.ndarray:
    """:func:`pack_counts` back as steps x cells (for tests and checks)."""
    kind = dict((w, k) for k, w in WIDTHS)[width]
    flat = np.frombuffer(base64.b64decode(text), dtype=np.dtype(kind).newbyteorder("<"))
    return flat.reshape(-1, n_cells) if n_cells else flat.reshape(-1, 0)


@dataclass
class Timeline:
    """Counts of the cell layer's cells per step (``counts``: steps x cells, the layer's order), the
    step ``labels``, the pooled ``classes`` (one legend for every step), the tooltip ``field`` that
    shows a cell's count at the step, and the step shown first (``start``)."""

    labels: list[str]
    counts: np.ndarray
    classes: Classes
    field: str = "value"
    start: int = 0
    play_ms: int = PLAY_MS
    _args: dict | None = dataclasses.field(default=None, repr=False)

    def __post_init__(self):
        self.counts = np.asarray(self.counts)
        if self.counts.ndim != 2 or self.counts.shape[0] != len(self.labels):
            raise ValueError("a playback's counts are one row per step label")
        if not 0 <= self.start < max(len(self.labels), 1):
            raise ValueError("the first step shown is one of the steps")

    def data(self) -> dict:
        """What the browser keeps: everything but the words (a change of language sends nothing again)."""
        if self._args is None:
            packed, width = pack_counts(self.counts)
            body = {"labels": [str(s) for s in self.labels], "cells": int(self.counts.shape[1]), "counts": packed,
                    "width": width, "bins": [float(b) for b in self.classes.bins],
                    "colors": list(self.classes.colors), "field": self.field,
                    "totals": [int(v) for v in self.counts.sum(axis=1)]}
            body["key"] = hashlib.sha256(json.dumps(body, sort_keys=True).encode("utf-8")).hexdigest()[:24]
            self._args = body
        return self._args

    @property
    def key(self) -> str:
        return self.data()["key"]

    def args(self, words: dict[str, str], send: bool) -> dict:
        """The component's ``playback`` argument: the key, the control's ``words`` (play, pause, step),
        the pace, the first step, and the data itself only when ``send`` (the page does not hold it)."""
        return {"key": self.key, "words": dict(words), "start": int(self.start), "play_ms": int(self.play_ms),
                "data": self.data() if send else None}
