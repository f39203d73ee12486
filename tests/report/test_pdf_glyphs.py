"""Every PDF the app makes prints Chinese as Chinese: the area report (app, both languages, and the
command line's English one) and the patrol sheets, made from the demo city with the catalogue's
labels; their text is read back with pypdf.

A glyph missing from every font is a failure three ways: matplotlib's "Glyph ... missing from
font(s)" warning (the maps' legends and labels) is turned into an error, fpdf2's "missing the
following glyphs" log line fails the test, and the catalogue's strings and the areas' Chinese
names must come back out of the PDF as the same characters (a box extracts as nothing).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import re

import pytest
from pypdf import PdfReader

from geo.report import area_report, sheets
from geo.store import features, patrol
from geo.store.engine import make_engine
from geo.store.reports import report_data
from geo.store.scope import Scope
from tests.conftest import DEMO_END, ROOT
from tests.core.test_progress import Heard

pytestmark = pytest.mark.filterwarnings("error:Glyph .* missing from font")
CATALOGUE = json.loads((ROOT / "data" / "i18n.json").read_text(encoding="utf-8"))
START = DEMO_END - dt.timedelta(days=89)


def say(key: str, lang: str) -> str:
    return CATALOGUE[key][lang]


def flat(body: bytes) -> str:
    """The PDF's text with all white space taken out (pypdf spaces the runs of each font its own way)."""
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)
    return re.sub(r"\s+", "", text.replace("\x00", ""))


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def demo(demo_url):
    engine = make_engine(demo_url)
    yield engine
    engine.dispose()


@pytest.fixture
def no_missing_glyphs(caplog):
    caplog.set_level(logging.WARNING)
    yield
    missing = [r.getMessage() for r in caplog.records if "missing the following glyphs" in r.getMessage()
               or "no CJK font" in r.getMessage()]
    assert not missing, missing


def report_labels(lang: str, categories) -> dict:
    """The labels the app passes (geo.ui.campaigns.report_section), from the catalogue."""
    labels = {k: say(f"campaign.ind.{k[4:]}" if k.startswith("ind.") else f"report.{k}", lang)
              for k in area_report.LABELS}
    labels.update({f"cat.{c}": CATALOGUE.get(f"category.{c}", {}).get(lang, c) for c in categories})
    return labels


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_area_report_pdf_prints_its_words_and_chinese_names(demo, lang, cjk_font, no_missing_glyphs):
    with demo.connect() as conn:
        data = report_data(conn, Scope.jurisdiction(), "AN02", START, DEMO_END, DEMO_END)
    heard = Heard()
    body = area_report.report_pdf(data, report_labels(lang, data["categories"]["category"]), progress=heard)
    heard.check({"figures", "map", "tables", "write"})
    text = flat(body)
    assert "\ufffd" not in text
    assert squeeze(data["area"]["name"]) in text  # 东城街道 in both languages
    for key in ("title", "incidents", "map", "categories", "hot", "units", "indicators", "col.category", "col.n"):
        assert squeeze(say(f"report.{key}", lang)) in text, (lang, key)
    other = "en" if lang == "zh" else "zh"
    assert squeeze(say("report.map", other)) not in text
    if lang == "zh":
        assert re.search(r"[\u4e00-\u9fff]{10}", text)  # runs of real characters, not boxes


def test_the_command_lines_english_report_still_prints_chinese_names(demo, cjk_font, no_missing_glyphs):
    with demo.connect() as conn:
        data = report_data(conn, Scope.jurisdiction(), "AN01", START, DEMO_END, DEMO_END)
    text = flat(area_report.report_pdf(data))  # `python -m geo report` passes no labels
    assert squeeze(data["area"]["name"]) in text and "Areareport" in text


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_patrol_sheets_pdf_prints_its_words_and_chinese_names(demo, lang, cjk_font, no_missing_glyphs):
    scope = Scope.jurisdiction()
    with demo.connect() as conn:
        zones = features.zones(conn, scope).head(2)
        plan = patrol.patrol_plan(conn, scope, zones, START, DEMO_END, patrol.SHIFTS)
        grid = features.areas_within(conn, scope, "grid")
    labels = {k: say(f"sheet.{k}", lang) for k in sheets.LABELS}
    shifts = {s: say(f"zones.shift.{s}", lang) for s in patrol.SHIFTS}
    heard = Heard()
    body = sheets.patrol_sheets(plan, zones, grid, patrol.SHIFTS, f"{START} - {DEMO_END}", labels=labels,
                                shift_names=shifts, progress=heard)
    heard.check({"sheets", "write"})
    assert [s for _, s in heard].count("sheets") == len(zones) * len(patrol.SHIFTS) + 1  # a start, then a sheet each
    text = flat(body)
    assert "\ufffd" not in text
    for key in ("zone", "shift", "period", "visits", "col.cell", "col.name", "col.visits"):
        assert squeeze(labels[key]) in text, (lang, key)
    assert all(squeeze(name) in text for name in shifts.values())
    names = plan.loc[plan["zone"].isin(zones["code"]), "name"].dropna().unique()
    assert len(names) and all(squeeze(n) in text for n in names)  # cells' Chinese names, e.g. 柳河社区第1网格
