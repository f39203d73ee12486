"""Small-count rules for a report on a drawn shape smaller than one grid cell.

An area report counts whole areas, so its smallest counts are those of a community; a drawn shape
can be as small as a courtyard, and its counts can point at a household. For a shape whose part
inside the scope is smaller than a grid cell (the median cell it touches), the report follows the
shared screens' rules (:mod:`geo.core.disclosure`), with k the public k:

* the incident counts (period, last year, last 28 days, the 28 days before, the same 28 days a
  year before) with primary suppression: 1 to k-1 is shown as "<k"; a percentage change only when
  both of its counts are shown (it would give the other away);
* the categories table as two trees (this period and last year, each total above its categories)
  with primary and complementary suppression (:func:`geo.core.disclosure.protect`), so no hidden
  category count can be worked out from the total and the others;
* the hot-cell list and the share of incidents in hot cells are left out (cell counts are a second
  split of the same total, and the share times the total gives a count);
* open and overdue ledger items with primary suppression; the open-items list and the table per
  responsible unit are left out when any of their counts would be from 1 to k-1; the
  rectification rate and median days only when at least k items are counted.

The difference of two larger shapes can still single out a small one (a subtraction attack): that
needs two reports, and every report is audited with its shape (see the README).
"""

from __future__ import annotations

import pandas as pd

from geo.core.disclosure import protect
from geo.core.privacy import SUPPRESSED

INCIDENT_COUNTS = ("period", "period_last_year", "d28", "prev28", "d28_last_year")
PERCENTAGES = {"yoy_pct": ("period", "period_last_year"), "d28_vs_prev_pct": ("d28", "prev28"),
               "d28_yoy_pct": ("d28", "d28_last_year")}


def small(value, k: int) -> bool:
    return 1 <= int(value) < k


def _categories(cats: pd.DataFrame, counts: dict, k: int) -> tuple[pd.DataFrame, set[str]]:
    """The categories with hidden counts as SUPPRESSED; also the hidden roots of both trees."""
    out = cats.copy()
    hidden_roots = set()
    for column, root in (("n", "period"), ("last_year", "period_last_year")):
        values = {root: int(counts[root])}
        parent = {root: None}
        for c, v in zip(out["category"], out[column]):
            values[f"c:{c}"], parent[f"c:{c}"] = int(v), root
        hidden = protect(values, parent, k)
        hidden_roots |= {root} & hidden
        out[column] = [SUPPRESSED if f"c:{c}" in hidden else int(v) for c, v in zip(out["category"], out[column])]
    out["change_pct"] = [p if a != SUPPRESSED and b != SUPPRESSED else None
                         for p, a, b in zip(out["change_pct"], out["n"], out["last_year"])]
    return out, hidden_roots


def protect_small_shape(data: dict, k: int) -> dict:
    """``data`` (:func:`geo.store.shape_report.shape_report_data`) as a small shape's report may show
    it: see the module docstring. Hidden counts become ``SUPPRESSED``."""
    out = dict(data)
    counts = dict(data["counts"])
    cats, hidden_roots = _categories(data["categories"], counts, k)
    hidden = {key for key in INCIDENT_COUNTS if small(counts[key], k)} | hidden_roots
    for pct, (a, b) in PERCENTAGES.items():
        if a in hidden or b in hidden:
            counts[pct] = None
    for key in hidden:
        counts[key] = SUPPRESSED
    out["counts"], out["categories"] = counts, cats
    out["hot"] = data["hot"].iloc[0:0]
    out["hot_share"] = None

    led = dict(data["ledger"])
    open_hidden, overdue_hidden = small(led["open"], k), small(led["overdue"], k)
    if open_hidden:
        led["open"] = SUPPRESSED
    if overdue_hidden:
        led["overdue"] = SUPPRESSED
    if led["items"] < k:
        led["rectification_rate"], led["median_days"] = None, None
    for key in ("items", "due_soon", "found_in_period"):
        if small(led[key], k):
            led[key] = SUPPRESSED
    out["ledger"] = led
    if open_hidden or overdue_hidden:
        out["open_items"] = data["open_items"].iloc[0:0]
    units = data["units"]
    if any(small(v, k) for col in ("items", "open", "overdue") if col in units for v in units[col]):
        out["units"] = units.iloc[0:0]
    out["suppressed"] = True
    return out
