"""Small charts whose every word follows the page's language.

Vega-Lite writes month and weekday names in English on temporal axes; these charts label time
numerically (``2026-06``) and take their axis titles from the catalogue.
"""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from geo.ui.i18n import t

MONTH_FORMAT = "%Y-%m"  # numeric in both languages: no English month names


def monthly_line(monthly: pd.DataFrame, height: int = 200) -> None:
    """Incidents per month (``month`` timestamps, ``n``) as a line, months written ``YYYY-MM``."""
    month, count = t("card.month"), t("card.incidents")
    frame = monthly.rename(columns={"month": month, "n": count})
    chart = alt.Chart(frame).mark_line(point=True).encode(
        x=alt.X(f"{month}:T", title=month, axis=alt.Axis(format=MONTH_FORMAT, labelAngle=0, tickCount="month")),
        y=alt.Y(f"{count}:Q", title=count),
        tooltip=[alt.Tooltip(f"{month}:T", title=month, format=MONTH_FORMAT), alt.Tooltip(f"{count}:Q", title=count)],
    ).properties(height=height)
    st.altair_chart(chart, use_container_width=True)
