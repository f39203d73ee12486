"""The import page says why rows were skipped and files refused in the user's language.

The reasons come from the importer as codes with values (``geo.ingest.reasons``); the page fills
the catalogue's ``import.skip.<code>`` with them, showing fields, layers, statuses and accepted
spellings by their names, on screen and in the skipped-rows download alike.
"""

from __future__ import annotations

import csv
import io
import re

import pytest

from geo.ingest.reasons import ENGLISH, params_of, reason
from tests.conftest import ROOT, backend_demo
from tests.pages.common import run_page, shown

CJK = re.compile(r"[\u4e00-\u9fff]")
SAMPLE = {"field": "found_on", "fields": ("source_id", "found_on"), "layer": "ledger", "layers": ("incidents", "ledger"),
          "level": "grid", "levels": ("district", "grid"), "status": "rectified", "before": "reported",
          "after": "verified", "initial": ("reported",), "action": "rectify", "role": "clerk", "row_word": "feature",
          "allowed": ("hazard", "security_gap"), "first": reason("beyond_header", width=4),
          "moved": (("incidents", 12), ("ledger_items", 3))}


def _sample(name: str):
    if name in SAMPLE:
        return SAMPLE[name]
    if name in ("low", "high", "size"):
        return 2.5
    if name in ("n", "most", "rows", "columns", "width", "line", "row", "at", "i"):
        return 12345
    return "value-7"


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("code", sorted(ENGLISH))
def test_every_reason_reads_in_both_languages(monkeypatch, code, lang):
    from geo.ui import i18n
    from geo.ui.imports import reason_text

    monkeypatch.setattr(i18n, "_last_language", lang)  # outside a script run, the language last seen
    why = reason(code, **{name: _sample(name) for name in params_of(code)})
    text = reason_text(why)
    assert "{" not in text and "}" not in text, text
    assert "source_id" not in text and "found_on" not in text and "security_gap" not in text, text
    if lang == "zh":
        assert CJK.search(text), f"{code}: {text}"
    else:
        assert not CJK.search(text), f"{code}: {text}"
    if "value-7" in str(why):
        assert "value-7" in text, "values quoted from the file stay as they are"


def test_a_reason_without_a_code_is_shown_as_it_is(monkeypatch):
    from geo.ui import i18n
    from geo.ui.imports import reason_text

    monkeypatch.setattr(i18n, "_last_language", "zh")
    assert reason_text("imports write for the whole jurisdiction") == "imports write for the whole jurisdiction"
    assert reason_text("a *b*", inert=True) == r"a \*b\*"


# ---- the page ----------------------------------------------------------------------------------------

@pytest.fixture(scope="module", params=["sqlite"])
def city(request, tmp_path_factory):
    engine, url = backend_demo(request, tmp_path_factory, seed=5, scale=0.02)
    engine.dispose()
    return url


@pytest.fixture
def app_env(monkeypatch, city):
    monkeypatch.setenv("DATABASE_URL", city)
    monkeypatch.chdir(ROOT)


# the good row of each language at a place of its own (the same hazard twice at one spot would be
# imported as a likely duplicate and listed as such)
BAD_ROWS = ("source_id,kind,found_on,x,y,title\n"
            "ok-{lang},hazard,2026-06-01,{x},28.12,fine\n"
            "bad-1,hazard,not a date,112.93,28.12,no date\n"
            "bad-2,hazard,2026-06-01,,,no place\n"
            "bad-3,nonsense,2026-06-01,112.93,28.12,odd kind\n")


def _bad_rows(lang: str) -> bytes:
    return BAD_ROWS.format(lang=lang, x=112.93 if lang == "zh" else 112.932).encode()


EXPECTED = {
    "zh": {3: "发现日期无法识别为日期：not a date", 4: "缺少坐标", 5: "无法识别的类型“nonsense”（可填：纠纷、隐患、其他、治安漏洞）"},
    "en": {3: "date found is not a date: not a date", 4: "coordinates missing",
           5: 'unknown kind "nonsense" (one of: dispute, hazard, other, security gap)'},
}


def _import(at, name: str, body: bytes, layer: str = "ledger"):
    at.file_uploader(key="import.file").upload(name, body, "text/csv")
    at.selectbox(key="import.layer").set_value(layer)
    submit = {"zh": "开始导入", "en": "Import"}
    next(b for b in at.button if b.label in submit.values()).click().run()
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_skipped_rows_on_the_page_and_in_the_download_speak_the_page_language(app_env, offered, lang):
    at = _import(run_page("pages/import_data.py", lang, "admin"), "bad.csv", _bad_rows(lang))
    table = at.dataframe[0].value
    row, why = table.columns
    assert (row, why) == (("行号", "原因") if lang == "zh" else ("Line", "Reason"))
    assert dict(zip(table[row], table[why])) == EXPECTED[lang]
    body = offered["skipped_rows.csv"][-1].decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0] == [row, why]
    assert {int(r[0]): r[1] for r in rows[1:]} == EXPECTED[lang]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_refused_file_is_explained_in_the_page_language(app_env, monkeypatch, lang):
    monkeypatch.setenv("SAFEGRID_MAX_COLUMNS", "3")
    at = _import(run_page("pages/import_data.py", lang, "admin"), "wide.csv", _bad_rows(lang))
    errors = [shown(e.value) for e in at.error]
    assert len(errors) == 1, errors
    expected = {"zh": "wide.csv：表头有 6 列，超过上限 3（SAFEGRID_MAX_COLUMNS）",
                "en": "wide.csv: the header has 6 columns, more than 3 (SAFEGRID_MAX_COLUMNS)"}[lang]
    assert expected in errors[0], errors[0]
    monkeypatch.delenv("SAFEGRID_MAX_COLUMNS")
    at = _import(at, "notes.txt.csv", b"\x00\x01binary", "incidents")
    error = shown(at.error[0].value)
    assert ("不是文本文件" if lang == "zh" else "not a text file") in error, error
    assert bool(CJK.search(error)) == (lang == "zh"), error
