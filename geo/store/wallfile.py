"""The wall as a file: exactly what the shared screen shows, for auditing it offline.

:func:`wall_document` turns the published view (``geo.store.kpis.wall_view``, the one the page
draws) into plain JSON-ready data: every tile with its label in both languages, every map cell,
every bar of the chart, every line of the latest-incidents list and of the hot cells. A hidden
count is written as the screen writes it, ``"<k"``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from geo.core.disclosure import SUPPRESSED

CATALOGUE = Path(__file__).resolve().parents[2] / "data" / "i18n.json"
TILES = (("today", 1), ("week", 7), ("month", 28))


def _labels(key: str) -> dict:
    entry = json.loads(CATALOGUE.read_text(encoding="utf-8")).get(key, {})
    return {"zh": entry.get("zh", key), "en": entry.get("en", key)}


def wall_document(view: dict) -> dict:
    """The published wall view as plain data (see the module docstring)."""
    k = view["k"]

    def shown(v):
        return f"<{k}" if v == SUPPRESSED else (None if v is None or pd.isna(v) else int(v))

    tiles = [{"key": key, "label": _labels(f"wall.kpi.{key}"), "value": shown(view["counts"][days]["n"]),
              "yoy_pct": view["counts"][days]["yoy_pct"]} for key, days in TILES]
    tiles += [{"key": key, "label": _labels(f"wall.kpi.{key}"), "value": shown(view[f"{key}_ledger"])}
              for key in ("open", "overdue")]
    tiles += [{"key": "coverage", "label": _labels("wall.kpi.coverage"), "value": view["coverage_pct"],
               "target_pct": view["coverage_target_pct"]},
              {"key": "online", "label": _labels("wall.kpi.online"), "value": view["cameras_online"],
               "installed": view["cameras_installed"]}]
    return {
        "k": k, "today": str(view["today"]), "timezone": view["timezone"],
        "data_as_of": None if view["data_as_of"] is None else view["data_as_of"].isoformat(),
        "tiles": tiles,
        "map": [{"code": c, "name": n, "value": shown(v)}
                for c, n, v in zip(view["cell_counts"]["code"], view["cell_counts"]["name"], view["cell_counts"]["n"])],
        "chart": {"level": view["area_level"],
                  "bars": [{"code": c, "name": n, "last_28_days": shown(a), "year_before": shown(b)}
                           for c, n, a, b in zip(view["area_counts"]["code"], view["area_counts"]["name"],
                                                 view["area_counts"]["n"], view["area_counts"]["n_last_year"])]},
        "latest": [{"hour": h, "category": c, "area": n}
                   for h, c, n in zip(view["latest"]["hour"], view["latest"]["category"], view["latest"]["area_name"])],
        "hot_cells": [{"code": c, "name": n, "value": shown(v)}
                      for c, n, v in zip(view["hot_cells"]["code"], view["hot_cells"]["name"], view["hot_cells"]["n"])],
    }
