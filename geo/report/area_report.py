"""An area report as PDF and Excel from the figures of ``geo.store.reports.report_data``."""

from __future__ import annotations

import pandas as pd

from geo.core.privacy import PUBLIC_K, SUPPRESSED
from geo.core.progress import Progress, tell
from geo.report.pdf import Document
from geo.report.safefiles import xlsx_bytes
from geo.report.staticmap import Layer, render

LABELS = {  # English defaults; the app passes its own language
    "title": "Area report", "period_label": "Period", "made": "Made on", "incidents": "Incidents in the period",
    "yoy": "Year on year", "d28": "Last 28 days", "d28_prev": "vs previous 28 days", "d28_yoy": "vs same 28 days last year",
    "open": "Open ledger items", "overdue": "Overdue", "rate": "Rectification rate", "median": "Median days to rectify",
    "hot_share": "Share of incidents in hot cells", "map": "Hot cells and open ledger items",
    "categories": "Top categories", "hot": "Hot cells (Gi*, 95 % and 99 %)", "units": "Ledger oversight by responsible unit",
    "indicators": "Campaign indicators", "none": "None.",
    "legend.hot_99": "hot cell, 99 %", "legend.hot_95": "hot cell, 95 %", "legend.open": "open ledger item",
    "legend.overdue": "overdue ledger item",
    "col.category": "Category", "col.n": "Incidents", "col.last_year": "Last year", "col.change_pct": "Change %",
    "col.code": "Cell", "col.name": "Name", "col.class": "Class", "col.unit": "Unit", "col.items": "Items",
    "col.open": "Open", "col.overdue": "Overdue", "col.rate": "Rectified %", "col.median": "Median days",
    "col.reopen": "Reopen %", "col.campaign": "Campaign", "col.phase": "Phase now", "col.indicator": "Indicator",
    "col.target": "Target", "col.actual": "Actual", "col.source": "Source", "col.met": "Met",
    "ind.yoy_incident_change_pct": "Incidents, year-on-year change %", "ind.clearance_pct": "Clearance %",
    "ind.camera_coverage_pct": "Camera coverage %", "ind.cameras_added": "Cameras added",
    "ind.patrol_teams": "Patrol teams", "ind.booths": "Booths", "ind.satisfaction_pct": "Satisfaction %",
    "class.hot_99": "hot, 99 %", "class.hot_95": "hot, 95 %",
    "source.database": "from the database", "col.figure": "Figure", "col.value": "Value", "col.area": "Area", "yes": "yes", "no": "no",
    "sheet.summary": "Summary", "sheet.categories": "Categories", "sheet.hot_cells": "Hot cells",
    "sheet.ledger_units": "Ledger by unit", "sheet.open_ledger": "Open ledger items", "sheet.indicators": "Indicators",
}
HOT_COLORS = {"hot_99": "#b2182b", "hot_95": "#ef8a62"}


def _pct(v) -> str:
    return "—" if v is None or pd.isna(v) else f"{v:+.1f}%"


def _fig(v, digits: int = 0, k: int = PUBLIC_K) -> str:
    if v is None or pd.isna(v):
        return "—"
    return f"<{k}" if v == SUPPRESSED else f"{v:,.{digits}f}"


def _shown(column: pd.Series, k: int) -> pd.Series:
    """A count column with suppressed counts as "<k" (unchanged when none is suppressed)."""
    return column.map(lambda v: f"<{k}" if v == SUPPRESSED else v) if (column == SUPPRESSED).any() else column


def key_figures(data: dict, lab: dict) -> list[tuple[str, str]]:
    """The headline figures; a report on a small shape (``geo.core.shape_privacy``) shows its
    suppressed counts as "<k" and no hot-cell share."""
    n, led, k = data["counts"], data["ledger"], data.get("k", PUBLIC_K)
    share = data["cells"].loc[data["cells"]["class"].isin(HOT_COLORS), "n"].sum() / max(1, data["cells"]["n"].sum())
    shared = "—" if "hot_share" in data and data["hot_share"] is None else f"{share * 100:.1f}%"
    return [
        (lab["incidents"], _fig(n["period"], k=k)), (lab["yoy"], _pct(n["yoy_pct"])),
        (lab["d28"], _fig(n["d28"], k=k)), (lab["d28_prev"], _pct(n["d28_vs_prev_pct"])),
        (lab["d28_yoy"], _pct(n["d28_yoy_pct"])), (lab["hot_share"], shared),
        (lab["open"], _fig(led["open"], k=k)), (lab["overdue"], _fig(led["overdue"], k=k)),
        (lab["rate"], "—" if led["rectification_rate"] is None else f"{led['rectification_rate'] * 100:.1f}%"),
        (lab["median"], _fig(led["median_days"], 1)),
    ]


def _map(data: dict, lab: dict) -> bytes:
    cells = data["cells"].copy()
    cells["color"] = cells["class"].map(HOT_COLORS).fillna("#eeeeee")
    items = data["open_items"].copy()
    items["color"] = items["overdue"].map({True: "#e41a1c", False: "#ff7f00"})
    return render([Layer(cells, "fill", color="color", edge="#ffffff", width=0.2,
                         legend={lab["legend.hot_99"]: HOT_COLORS["hot_99"], lab["legend.hot_95"]: HOT_COLORS["hot_95"]}),
                   Layer(data["outline"], "outline", edge="#0b2545", width=1.5),
                   Layer(items, "points", color="color", size=10,
                         legend={lab["legend.open"]: "#ff7f00", lab["legend.overdue"]: "#e41a1c"})],
                  size_in=(7.0, 5.2))


def _tables(data: dict, lab: dict) -> dict[str, pd.DataFrame]:
    """The report's tables with headers (and categories, classes) in the labels' language; ``cat.<code>``
    labels name categories."""
    cats = data["categories"].copy()
    cats["category"] = [lab.get(f"cat.{c}", c) for c in cats["category"]]
    for column in ("n", "last_year"):
        cats[column] = _shown(cats[column], data.get("k", PUBLIC_K))
    cats = cats.rename(columns={"category": lab["col.category"], "n": lab["col.n"], "last_year": lab["col.last_year"],
                                "change_pct": lab["col.change_pct"]})
    hot = data["hot"].head(20).copy()
    hot["class"] = [lab.get(f"class.{c}", c) for c in hot["class"]]
    hot = hot.rename(columns={"code": lab["col.code"], "name": lab["col.name"], "n": lab["col.n"],
                              "class": lab["col.class"]})
    u = data["units"].head(15)
    units = pd.DataFrame({lab["col.unit"]: u["responsible_unit"], lab["col.items"]: u["items"],
                          lab["col.open"]: u["open"], lab["col.overdue"]: u["overdue"],
                          lab["col.rate"]: (u["rectification_rate"] * 100).round(1),
                          lab["col.median"]: u["median_days"].round(1), lab["col.reopen"]: (u["reopen_rate"] * 100).round(1)})
    i = data["indicators"]
    inds = pd.DataFrame({lab["col.campaign"]: i["campaign"], lab["col.phase"]: i["phase"],
                         lab["col.indicator"]: [lab.get(f"ind.{k}", k) for k in i["key"]],
                         lab["col.target"]: i["target_value"], lab["col.actual"]: i["actual"],
                         lab["col.source"]: [lab["source.database"] if v == "database" else (v or "—") for v in i["source"]],
                         lab["col.met"]: i["met"].map({True: "✓", False: "✗"})})
    return {"categories": cats, "hot": hot, "units": units, "indicators": inds}


def _place(area: dict) -> str:
    """An area as "name (code)"; a drawn shape (level "shape") by its name alone."""
    if area.get("level") == "shape":
        return area["name"] or area["code"]
    return f"{area['name'] or area['code']} ({area['code']})"


def report_pdf(data: dict, labels: dict | None = None, progress: Progress | None = None) -> bytes:
    """The report as PDF; ``progress(fraction, step)`` hears of the steps ``figures``, ``map``, ``tables``,
    ``write``."""
    lab = {**LABELS, **(labels or {})}
    tell(progress, 0.0, "figures")
    title = f"{lab['title']}: {_place(data['area'])}"
    doc = Document(title, footer=f"SafeGrid - {title} - {data['start']}..{data['end']}")
    doc.page()
    doc.heading(title)
    doc.text(f"{lab['period_label']}: {data['start']} - {data['end']} · {lab['d28']}: {data['d28'][0]} - {data['d28'][1]} · "
             f"{lab['made']}: {data['today']}", size=9)
    if lab.get("note"):
        doc.text(lab["note"], size=9)
    doc.figures(key_figures(data, lab), columns=5)
    doc.heading(lab["map"], size=11)
    tell(progress, 0.1, "map")
    doc.image(_map(data, lab), width=doc.width * 0.85)
    tell(progress, 0.5, "tables")
    tables = _tables(data, lab)
    for key in ("categories", "hot", "units", "indicators"):
        doc.heading(lab[key], size=11)
        if tables[key].empty:
            doc.text(lab["none"])
        else:
            doc.table(tables[key])
    tell(progress, 0.7, "write")
    body = doc.output()
    tell(progress, 1.0, "write")
    return body


def report_xlsx(data: dict, labels: dict | None = None) -> bytes:
    """The report's figures and tables as a workbook, every header, sheet name and coded value in
    the labels' language (``item.<column>``, ``kind.<code>``, ``status.<code>``, ``lcat.<code>``,
    ``sheet.<name>`` labels; English defaults)."""
    lab = {**LABELS, **(labels or {})}
    figure, value = lab["col.figure"], lab["col.value"]
    summary = pd.DataFrame(key_figures(data, lab), columns=[figure, value])
    rows = [(lab["col.area"], _place(data["area"])), (lab["period_label"], f"{data['start']} - {data['end']}"),
            (lab["made"], str(data["today"]))]
    if lab.get("note"):
        rows.append(("", lab["note"]))
    head = pd.DataFrame(rows, columns=[figure, value])
    items = pd.DataFrame(data["open_items"].drop(columns="geometry"))
    items = items.assign(lon=data["open_items"].geometry.x.round(6), lat=data["open_items"].geometry.y.round(6))
    for column, prefix in (("kind", "kind"), ("status", "status"), ("category", "lcat")):
        if column in items:
            items[column] = [lab.get(f"{prefix}.{v}", v) for v in items[column]]
    items = items.drop(columns=[c for c in ("duplicate_of", "escalated_on") if c in items])  # internal links
    for flag in ("overdue", "escalated"):
        if flag in items:
            items[flag] = items[flag].map({True: lab["yes"], False: lab["no"]})
    items = items.rename(columns={c: lab.get(f"item.{c}", c) for c in items.columns}).fillna("—")
    tables = _tables(data, lab)
    sheets = {"summary": pd.concat([head, summary], ignore_index=True), "categories": tables["categories"],
              "hot_cells": tables["hot"], "ledger_units": tables["units"], "open_ledger": items,
              "indicators": tables["indicators"]}
    return xlsx_bytes({lab.get(f"sheet.{name}", name)[:31]: frame for name, frame in sheets.items()})
