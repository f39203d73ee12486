"""COPY text built column by column: the same rows as psycopg's row-by-row writer stores."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import text

from geo.store.copytext import copy_text
from geo.store.dialects import named

TRICKY = ["tab\there", "line\nbreak", "back\\slash \\N", "cr\rlf\r\n", "", "中文 ünï", None]


def _frame() -> pd.DataFrame:
    n = len(TRICKY)
    return pd.DataFrame({
        "words": pd.Series(TRICKY, dtype=object),
        "whole": np.arange(n, dtype=np.int64) - 3,
        "real": [0.1, 1e-300, np.nan, -2.5, 1e21, 3.0, 7.0],
        "flag": [True, False] * 3 + [True],
        "at": pd.to_datetime(["2017-07-01 05:00:00.123456", None, "1900-01-01 00:00:00", "2026-07-01 06:00:00",
                              "2017-03-12 08:30:00", "2017-11-05 06:30:00", "2017-07-01 05:00:00.123456"],
                             utc=True, format="ISO8601"),
        "on": pd.Series([dt.date(2017, 7, 1), None, dt.date(1900, 1, 1), dt.date(2026, 7, 1)] * 2, dtype=object)[:n],
    })


@pytest.mark.parametrize("column, expected", [
    ("words", ["tab\\there", "line\\nbreak", "back\\\\slash \\\\N", "cr\\rlf\\r\\n", "", "中文 ünï", "\\N"]),
    ("whole", ["-3", "-2", "-1", "0", "1", "2", "3"]),
    ("real", ["0.1", "1e-300", "\\N", "-2.5", "1e+21", "3.0", "7.0"]),
    ("flag", ["t", "f", "t", "f", "t", "f", "t"]),
    ("on", ["2017-07-01", "\\N", "1900-01-01", "2026-07-01", "2017-07-01", "\\N", "1900-01-01"]),
], ids=["text", "int", "float", "bool", "date"])
def test_copy_text_cells(column, expected):
    lines = copy_text(_frame()[[column]]).split("\n")
    assert lines[:-1] == expected and lines[-1] == ""


def test_columns_of_other_kinds_are_left_to_the_row_writer():
    assert copy_text(pd.DataFrame({"mixed": pd.Series([1, "a", None], dtype=object)})) is None
    assert copy_text(pd.DataFrame({"maybe": pd.Series([1, None, 3], dtype="Int64")})) is None


@pytest.mark.postgis
def test_copy_text_stores_what_the_row_writer_stores(make_db):
    engine = make_db("postgis")
    columns = "words text, whole bigint, real double precision, flag boolean, at timestamptz, on_day date"
    frame = _frame().rename(columns={"on": "on_day"})
    stored = {}
    with engine.begin() as conn:
        for table in ("fast", "slow"):
            conn.execute(text(f"CREATE TEMP TABLE {table} (n serial, {columns}) ON COMMIT DROP"))
        named("postgresql").insert(conn, "fast", frame)  # COPY text built by copy_text
        raw = conn.connection.dbapi_connection
        with raw.cursor() as cur:
            with cur.copy("COPY slow (words, whole, real, flag, at, on_day) FROM STDIN") as copy:
                for row in frame.astype(object).where(frame.notna(), None).itertuples(index=False):
                    copy.write_row(tuple(None if isinstance(v, float) and v != v else v for v in row))
        for table in ("fast", "slow"):
            stored[table] = conn.execute(text(f"SELECT words, whole, real, flag, at, on_day FROM {table} ORDER BY n"
                                              )).all()
    assert stored["fast"] == stored["slow"]
    assert [r[0] for r in stored["fast"]] == TRICKY
