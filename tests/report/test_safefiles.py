"""The one CSV/Excel writer: formula-like texts gain an apostrophe, numbers and plain text stay as they
are, and no cell of a workbook is ever a formula."""

from __future__ import annotations

import csv
import datetime as dt
import io

import numpy as np
import openpyxl
import pandas as pd
import pytest

from geo.report import safefiles

HOSTILE = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "  =1", "\r=1", "\n=1", "\u3000=1",
           "＝1+1", "－2+3", "-2+3+cmd|' /C calc'!A0", "\tplain after a tab", " -", "-"]
PLAIN = ["Market street", "整改 =1", "a=b", "'=already defused", "", "1+1", "—", "x@y.invalid",
         "-3", "+5.1%", "-1,234.5", "2e-3", "-2E+05", "  -3"]


@pytest.mark.parametrize("text", HOSTILE, ids=[repr(t) for t in HOSTILE])
def test_defuse_prefixes_formula_like_text(text):
    assert safefiles.is_formula_like(text)
    assert safefiles.defuse(text) == "'" + text
    assert safefiles.defuse(safefiles.defuse(text)) == "'" + text  # idempotent


@pytest.mark.parametrize("text", PLAIN, ids=[repr(t) for t in PLAIN])
def test_defuse_keeps_plain_text_and_plain_numbers(text):
    assert not safefiles.is_formula_like(text)
    assert safefiles.defuse(text) == text


@pytest.mark.parametrize("value", [-2, -2.5, np.int64(-7), None, dt.date(2026, 1, 1), True],
                         ids=["int", "float", "numpy", "none", "date", "bool"])
def test_defuse_leaves_non_text_alone(value):
    assert safefiles.defuse(value) is value


@pytest.fixture
def hostile_frame():
    return pd.DataFrame({"title": HOSTILE, "n": range(-len(HOSTILE), 0), "x": np.linspace(-1.5, 1.5, len(HOSTILE)),
                         "=header": "ok", "kind": pd.Categorical(["=1"] * len(HOSTILE))})


def test_csv_bytes_defuses_cells_and_headers_and_keeps_numbers(hostile_frame):
    rows = list(csv.reader(io.StringIO(safefiles.csv_bytes(hostile_frame).decode("utf-8-sig"), newline="")))
    assert rows[0] == ["title", "n", "x", "'=header", "kind"]
    assert [r[0] for r in rows[1:]] == ["'" + t for t in HOSTILE]
    assert [int(r[1]) for r in rows[1:]] == list(range(-len(HOSTILE), 0))
    assert {r[4] for r in rows[1:]} == {"'=1"}
    back = pd.read_csv(io.BytesIO(safefiles.csv_bytes(hostile_frame)), encoding="utf-8-sig")
    np.testing.assert_allclose(back["x"], hostile_frame["x"], rtol=1e-12)


def test_csv_bytes_without_byte_order_mark_on_request(hostile_frame):
    assert safefiles.csv_bytes(hostile_frame, encoding="utf-8").startswith(b"title,")
    assert safefiles.csv_bytes(hostile_frame).startswith("\ufeff".encode("utf-8"))


def test_xlsx_bytes_holds_no_formula_and_keeps_numbers_as_numbers(hostile_frame):
    body = safefiles.xlsx_bytes({"one": hostile_frame, "two": hostile_frame.head(2)})
    book = openpyxl.load_workbook(io.BytesIO(body))  # data_only=False: formulas would show as formulas
    assert book.sheetnames == ["one", "two"]
    sheet = book["one"]
    header = [c.value for c in sheet[1]]
    assert header == ["title", "n", "x", "'=header", "kind"]
    for row in sheet.iter_rows(min_row=2):
        assert all(c.data_type != "f" for c in row)
        assert row[0].data_type == "s" and row[0].value.startswith("'")
        assert row[1].data_type == "n" and row[1].value < 0
    # XML reads a stored carriage return back as a line feed
    assert [c.value for c in sheet["A"][1:]] == ["'" + t.replace("\r", "\n") for t in HOSTILE]


def test_xlsx_bytes_drops_characters_a_workbook_cannot_hold_and_strips_time_zones():
    frame = pd.DataFrame({"t": ["bell\x07 here"], "at": pd.to_datetime(["2026-01-02 03:04"]).tz_localize("UTC")})
    sheet = openpyxl.load_workbook(io.BytesIO(safefiles.xlsx_bytes(frame))).active
    assert sheet["A2"].value == "bell here"
    assert sheet["B2"].value == dt.datetime(2026, 1, 2, 3, 4)
