"""Patrol sheets: one printable page per zone and shift with the cells to visit and a map."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from geo.core.progress import Progress, tell
from geo.report.pdf import Document
from geo.report.safefiles import xlsx_bytes
from geo.report.staticmap import Layer, render

LABELS = {  # English defaults; the app passes its own language
    "title": "Patrol sheets", "zone": "Zone", "shift": "Shift", "period": "Risk measured over",
    "team": "Team", "staff": "Staff", "visits": "Short visits this shift", "none": "No cells to visit in this shift.",
    "practice": "Each visit is a 10-15 minute stop in the cell, spread over the shift rather than back to back.",
    "col.order": "#", "col.cell": "Cell", "col.name": "Name", "col.risk": "Incidents in these hours",
    "col.visits": "Visits", "col.minutes": "Minutes", "col.done": "Done (tick per visit)",
    "map.hot": "cell to visit",
}


def patrol_sheets(plan: pd.DataFrame, zones: gpd.GeoDataFrame, cells: gpd.GeoDataFrame,
                  shifts: dict[str, tuple[int, int]], period: str, labels: dict | None = None,
                  shift_names: dict[str, str] | None = None, progress: Progress | None = None) -> bytes:
    """A PDF with a sheet per zone and shift (``plan`` as from ``geo.store.patrol.patrol_plan``);
    ``progress(fraction, step)`` hears of each sheet (``sheets``) and of the writing (``write``)."""
    lab = {**LABELS, **(labels or {})}
    total, made = max(1, len(zones) * len(shifts)), 0
    tell(progress, 0.0, "sheets")
    doc = Document(lab["title"], footer=f"SafeGrid - {lab['title']} - {period}")
    cells_by_code = cells.set_index("code")
    for _, zone in zones.iterrows():
        for shift, (first, last) in shifts.items():
            mine = plan[(plan["zone"] == zone["code"]) & (plan["shift"] == shift)].reset_index(drop=True)
            tell(progress, 0.8 * made / total, "sheets")
            made += 1
            doc.page()
            name = (shift_names or {}).get(shift, shift)
            doc.heading(f"{lab['zone']} {zone['code']} - {lab['shift']}: {name} ({first:02d}:00-{last:02d}:59)")
            facts = [(lab["period"], period), (lab["visits"], str(int(mine["visits"].sum())) if len(mine) else "0")]
            if pd.notna(zone.get("team")):
                facts.append((lab["team"], str(zone["team"])))
            if pd.notna(zone.get("staff")):
                facts.append((lab["staff"], f"{zone['staff']:.0f}"))
            doc.figures(facts, columns=4)
            doc.text(lab["practice"], size=9)
            if mine.empty:
                doc.text(lab["none"])
                continue
            mine.insert(0, "order", range(1, len(mine) + 1))
            shown = cells_by_code.loc[cells_by_code.index.intersection(mine["cell"])].reset_index()
            shown["order"] = shown["code"].map(dict(zip(mine["cell"], mine["order"])))
            zone_frame = gpd.GeoDataFrame([zone], geometry="geometry", crs=zones.crs)
            png = render([Layer(zone_frame, "fill", color="#f3f3f3", edge="#333333", width=1.2),
                          Layer(shown, "fill", color="#d7301f", edge="#ffffff", label_column="order",
                                legend={lab["map.hot"]: "#d7301f"})],
                         size_in=(7.0, 4.2))
            doc.image(png, width=doc.width * 0.8)
            table = pd.DataFrame({lab["col.order"]: mine["order"], lab["col.cell"]: mine["cell"],
                                  lab["col.name"]: mine["name"].fillna(""), lab["col.risk"]: mine["risk"],
                                  lab["col.visits"]: mine["visits"], lab["col.minutes"]: mine["minutes"],
                                  lab["col.done"]: [" ".join(["[ ]"] * int(v)) for v in mine["visits"]]})
            doc.table(table, widths=(8, 30, 40, 28, 14, 16, 44))
    tell(progress, 0.8, "write")
    body = doc.output()
    tell(progress, 1.0, "write")
    return body


def patrol_workbook(plan: pd.DataFrame, zone: str = "zone", shift: str = "shift") -> bytes:
    """The plan as an Excel workbook: a sheet per zone and shift (sheet names up to 31 characters).
    ``zone`` and ``shift`` name those columns (the app passes the plan with headers and shifts in
    the reader's language)."""
    if plan.empty:
        return xlsx_bytes({"plan": plan})
    return xlsx_bytes({f"{z}-{s}"[:31]: part for (z, s), part in plan.groupby([zone, shift], sort=True)})
