import numpy as np
import pandas as pd
import pytest

from geo.core.distinct import distinct_pairs, factorize, per_distinct

CALLS = []


def _upper_and_length(values: pd.Series):
    CALLS.append(len(values))
    return values.str.upper(), values.str.len().fillna(-1).to_numpy()


@pytest.mark.parametrize("values", [
    pd.Series(["a", "b", "a", None, "a", "b", None, "a"], index=[10, 11, 12, 13, 14, 15, 16, 17], dtype=object),
    pd.Series(["x", "y", "x", "x", pd.NA, "y", "x", "x"], dtype="string"),
], ids=["object with None", "string with NA"])
def test_per_distinct_matches_the_function_on_every_row_and_runs_once_per_value(values):
    CALLS.clear()
    text, length = per_distinct(values, _upper_and_length)
    whole_text, whole_length = _upper_and_length(values)
    pd.testing.assert_series_equal(text, whole_text)
    np.testing.assert_array_equal(length, whole_length)
    assert CALLS[0] == 3  # two values and the missing one


def test_per_distinct_keeps_none_and_nan_apart_by_working_on_the_whole_column():
    values = pd.Series(["a", None, np.nan, "a"], dtype=object)
    assert factorize(values) is None
    got = per_distinct(values, lambda v: v.map(repr))
    assert got.tolist() == ["'a'", "None", "nan", "'a'"]


def test_per_distinct_on_times_keeps_the_zone():
    utc = pd.Series(pd.to_datetime(["2017-07-01 05:00", None, "2017-07-01 05:00", "2017-07-02 04:00"], utc=True))
    got = per_distinct(utc, lambda t: t.dt.tz_convert("America/Chicago"))
    pd.testing.assert_series_equal(got, utc.dt.tz_convert("America/Chicago"))


def test_mostly_distinct_values_are_worked_on_whole():
    CALLS.clear()
    per_distinct(pd.Series([str(i) for i in range(10)], dtype=object), _upper_and_length)
    assert CALLS == [10]


def test_distinct_pairs_codes_and_first_rows():
    lon = np.array([1.0, 2.0, 1.0, np.nan, np.nan, 1.0])
    lat = np.array([3.0, 3.0, 3.0, np.nan, 1.0, 4.0])
    codes, first = distinct_pairs(lon, lat)
    assert codes.tolist() == [0, 1, 0, 2, 3, 4]
    assert first.tolist() == [0, 1, 3, 4, 5]
    np.testing.assert_array_equal(lon[first][codes], lon)
    np.testing.assert_array_equal(lat[first][codes], lat)
