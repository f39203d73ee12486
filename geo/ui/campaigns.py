"""Campaigns and reports on the page: phase timeline, indicators against targets, new campaigns,
hand-entered actuals, and one-click area reports (PDF and Excel)."""

from __future__ import annotations

import datetime as dt

import altair as alt
import pandas as pd
import streamlit as st

from geo.core.campaigns import DEFAULT_PHASES, INDICATORS, CampaignRefused
from geo.core.progress import span
from geo.report import area_report
from geo.store import campaigns as store
from geo.store.reports import report_data
from geo.ui import data
from geo.ui.auth import may
from geo.ui.downloads import offer
from geo.ui.filters import category_label
from geo.ui.i18n import current_language, t, t_or
from geo.ui.markup import plain
from geo.ui.progress import working

DAY_FORMAT = "%Y-%m-%d"  # numeric dates on chart axes: no English month names


@data.loader(ttl=data.TTL_SECONDS, show_spinner=False)
def _list(conn, s):
    return store.campaigns(conn, s)


@data.loader(ttl=data.TTL_SECONDS, show_spinner=False)
def _detail(conn, s, cid: int, today: dt.date):
    return store.detail(conn, s, cid, today)


def _save(write, also: tuple = ()) -> None:
    """Run a campaign write: a refusal (``CampaignRefused``, or one of ``also``) is shown in words; a
    saved change drops every cached read (indicators, lists and maps all change) and says so."""
    try:
        write()
    except (CampaignRefused, *also) as exc:
        st.error(t("campaign.refused", reason=plain(exc)))
        return
    st.cache_data.clear()
    st.success(t("campaign.saved"))


def campaign_name(row) -> str:
    """The English name in English when there is one, else the name."""
    english = row.get("name_en")
    return english if current_language() == "en" and isinstance(english, str) and english else row["name"]


def indicator_label(key: str) -> str:
    return t(f"campaign.ind.{key}")


def show() -> None:
    """Pick a campaign; its phases on a timeline and its indicators against their targets."""
    frame = _list()
    if frame.empty:
        st.info(t("campaign.none"))
        return
    cid = st.selectbox(t("campaign.pick"), frame["id"].tolist(), key="campaign.pick",
                       format_func=lambda i: campaign_name(frame.set_index("id").loc[i]))
    today = data.today()
    camp, phases, inds = _detail(int(cid), today)
    names = {c: n for level in ("district", "street") for c, n in zip(data.shapes(level, None)["code"],
                                                                     data.shapes(level, None)["name"])}
    st.caption(t("campaign.dates", start=camp["starts_on"], end=camp["ends_on"],
                 area=plain(names.get(camp["area_code"], camp["area_code"])) if camp["area_code"] else t("campaign.whole")))
    if not phases.empty:
        bars = phases.assign(start=pd.to_datetime(phases["starts_on"]),
                             stop=pd.to_datetime(phases["ends_on"]) + pd.Timedelta(days=1),
                             now=phases["current"].map({True: t("campaign.phase_now"), False: ""}))
        chart = alt.Chart(bars).mark_bar(height=22).encode(
            x=alt.X("start:T", title=None, axis=alt.Axis(format=DAY_FORMAT, labelAngle=0)), x2="stop:T", y=alt.Y("name:N", sort=None, title=None),
            color=alt.Color("current:N", legend=None, scale=alt.Scale(domain=[True, False], range=["#d95f02", "#9ecae1"])),
            tooltip=[alt.Tooltip("name:N", title=t("campaign.phase")), alt.Tooltip("starts_on:N", title=t("campaign.start")),
                     alt.Tooltip("ends_on:N", title=t("campaign.end"))])
        rule = alt.Chart(pd.DataFrame({"today": [pd.Timestamp(today)]})).mark_rule(color="#b2182b", strokeWidth=2) \
            .encode(x=alt.X("today:T", title=None, axis=alt.Axis(format=DAY_FORMAT)))
        st.altair_chart(chart + rule, use_container_width=True)
    shown = pd.DataFrame({
        t("campaign.col.indicator"): inds["key"].map(indicator_label),
        t("campaign.col.target"): [f"{'≤' if INDICATORS[k].at_most else '≥'} {v:g}{INDICATORS[k].unit}"
                                   for k, v in zip(inds["key"], inds["target_value"])],
        t("campaign.col.actual"): [("—" if a is None or pd.isna(a) else f"{a:g}{INDICATORS[k].unit}")
                                   for k, a in zip(inds["key"], inds["actual"])],
        t("campaign.col.met"): inds["met"].map({True: t("campaign.met"), False: t("campaign.not_met")}).fillna("…"),
        t("campaign.col.source"): inds["source"].map(lambda s: t("campaign.from_db") if s == "database" else (s or "—")),
    })
    st.dataframe(shown, hide_index=True, width="stretch")


def hand_actuals(user: dict) -> None:
    frame = _list()
    if frame.empty:
        return
    cid = st.session_state.get("campaign.pick", frame["id"].iloc[0])
    _, _, inds = _detail(int(cid), data.today())
    hand = inds[inds["key"].map(lambda k: INDICATORS[k].source == "hand")]
    if hand.empty:
        return
    with st.form("campaign.actual"):
        a, b, c = st.columns([1, 1, 2])
        ind = a.selectbox(t("campaign.col.indicator"), hand["id"].tolist(), key="campaign.actual.ind",
                          format_func=lambda i: indicator_label(hand.set_index("id").loc[i, "key"]))
        value = b.number_input(t("campaign.col.actual"), value=0.0, key="campaign.actual.value")
        source = c.text_input(t("campaign.col.source"), key="campaign.actual.source", help=t("campaign.source.help"))
        if st.form_submit_button(t("campaign.actual.save")):
            _save(lambda: store.set_actual(data.engine(), user["username"], int(ind), float(value), source,
                                           scope=data.scope()))


def edit_form(user: dict) -> None:
    """Change the selected campaign's phases (a table to edit) and targets."""
    frame = _list()
    if frame.empty:
        return
    cid = int(st.session_state.get("campaign.pick", frame["id"].iloc[0]))
    camp, phases, inds = _detail(cid, data.today())
    with st.form("campaign.edit"):
        table = st.data_editor(phases[["name", "starts_on", "ends_on"]], num_rows="dynamic", hide_index=True,
                               key=f"campaign.edit.phases.{cid}", width="stretch",
                               column_config={"name": st.column_config.TextColumn(t("campaign.phase"), required=True),
                                              "starts_on": st.column_config.DateColumn(t("campaign.start"), required=True),
                                              "ends_on": st.column_config.DateColumn(t("campaign.end"), required=True)})
        current = dict(zip(inds["key"], inds["target_value"]))
        cols = st.columns(4)
        targets = []
        for i, key in enumerate(INDICATORS):
            v = cols[i % 4].number_input(indicator_label(key), value=current.get(key), key=f"campaign.edit.t.{cid}.{key}")
            if v is not None:
                targets.append((key, v))
        if st.form_submit_button(t("campaign.save_changes"), type="primary"):
            rows = table.dropna(how="all")
            _save(lambda: store.update_campaign(
                data.engine(), user["username"], cid, targets=targets, scope=data.scope(),
                phases=[(str(r.name), pd.Timestamp(r.starts_on).date(), pd.Timestamp(r.ends_on).date())
                        for r in rows.itertuples(index=False)]), also=(ValueError,))


def create_form(user: dict) -> None:
    today = data.today()
    with st.form("campaign.new"):
        a, b, c, d = st.columns([2, 1, 1, 1])
        name = a.text_input(t("campaign.name"), key="campaign.new.name")
        areas = [c for level in ("district", "street", "community") for c in data.shapes(level, None)["code"]
                 if data.in_scope(c)]
        whole = [""] if data.scope().everything else []  # only a jurisdiction-wide account may pick "whole"
        area = b.selectbox(t("campaign.area"), whole + areas, key="campaign.new.area",
                           format_func=lambda c: c or t("campaign.whole"))
        start = c.date_input(t("campaign.start"), value=today, key="campaign.new.start")
        end = d.date_input(t("campaign.end"), value=today + dt.timedelta(days=179), key="campaign.new.end")
        st.markdown(f"**{t('campaign.phases')}**")
        phases = []
        for i, default in enumerate(DEFAULT_PHASES):
            p, q, r = st.columns([2, 1, 1])
            label = p.text_input(t("campaign.phase"), value=t(f"campaign.phase.{i}"), key=f"campaign.new.ph{i}")
            ps = q.date_input(t("campaign.start"), value=today + dt.timedelta(days=45 * i), key=f"campaign.new.ps{i}")
            pe = r.date_input(t("campaign.end"), value=today + dt.timedelta(days=45 * i + 44), key=f"campaign.new.pe{i}")
            if label.strip():
                phases.append((label, ps, pe))
        st.markdown(f"**{t('campaign.targets')}**")
        targets = []
        cols = st.columns(4)
        for i, key in enumerate(INDICATORS):
            v = cols[i % 4].number_input(indicator_label(key), value=None, key=f"campaign.new.t.{key}")
            if v is not None:
                targets.append((key, v))
        if st.form_submit_button(t("campaign.create"), type="primary"):
            _save(lambda: store.create_campaign(data.engine(), user["username"], name, start, end,
                                                area_code=area or None, phases=phases, targets=targets,
                                                scope=data.scope()))


REPORT_KEY = "report.files"
ITEM_COLUMNS = ("id", "kind", "category", "title", "description", "responsible_unit", "found_on", "deadline", "status",
                "recheck_on", "version", "cell_code", "community_code", "street_code", "district_code", "updated_at",
                "overdue", "due_soon", "overdue_days", "escalated", "lon", "lat")


def _item_labels(items: pd.DataFrame) -> dict[str, str]:
    """Labels of the report workbook's ledger sheet: headers, kinds, statuses and categories."""
    labels = {f"item.{c}": t(f"report.item.{c}") for c in ITEM_COLUMNS}
    for column, prefix, key in (("kind", "kind", "ledger.kind"), ("status", "status", "ledger.status"),
                                ("category", "lcat", "ledger.category")):
        if column in items:
            labels.update({f"{prefix}.{v}": t_or(f"{key}.{v}", str(v)) for v in items[column].dropna().unique()})
    return labels


def report_labels(figures: dict) -> dict[str, str]:
    """Every label of a report (``geo.report.area_report``) in the page's language."""
    labels = {k: (indicator_label(k[4:]) if k.startswith("ind.") else t(f"report.{k}")) for k in area_report.LABELS}
    labels.update({f"cat.{c}": category_label(c) for c in figures["categories"]["category"]})
    labels.update(_item_labels(figures["open_items"]))
    return labels


def report_section(start: dt.date, end: dt.date, user: dict) -> None:
    """One click: the area report for the sidebar's period, as PDF and Excel."""
    from geo.store import audit

    areas = pd.concat([data.shapes(level, None)[["code", "name"]] for level in ("district", "street", "community")])
    areas = areas[[data.in_scope(c) for c in areas["code"]]]
    names = dict(zip(areas["code"], areas["name"]))
    a, b = st.columns([2, 1])
    code = a.selectbox(t("report.area"), list(names), format_func=lambda c: f"{names[c]} ({c})", key="report.area")
    b.caption(t("report.period", start=start, end=end))
    # what the files were made for: a file made in the other language, for another period or with
    # other rights is never offered as this one (the language is part of what was asked for)
    wanted = (code, current_language(), start, end, may("view_ledger"))
    if b.button(t("report.make"), type="primary", key="report.make"):
        with working("report.making") as progress:
            progress(0.0, "figures")
            with data.session() as (conn, s):
                figures = report_data(conn, s, code, start, end, data.today(), with_ledger=wanted[4])
            labels = report_labels(figures)
            pdf = area_report.report_pdf(figures, labels, progress=span(progress, 0.2, 0.9))
            progress(0.9, "excel")
            st.session_state[REPORT_KEY] = (wanted, pdf, area_report.report_xlsx(figures, labels))
            with data.engine().begin() as conn:
                audit.record(conn, user["username"], "report", code, detail=f"{start}..{end}")
    made = st.session_state.get(REPORT_KEY)
    if made and made[0] == wanted:
        c, d = st.columns(2)
        lang = wanted[1]
        offer(t("report.pdf"), made[1], f"report_{code}_{start}_{end}_{lang}.pdf", key=f"report.pdf.{lang}",
              what="report", where=c)
        offer(t("report.xlsx"), made[2], f"report_{code}_{start}_{end}_{lang}.xlsx", key=f"report.xlsx.{lang}",
              what="report", where=d)
