import datetime as dt

import pytest

from geo.core import today

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
MIDNIGHT = dt.datetime(2026, 12, 3, 0, 0, tzinfo=SHANGHAI)


def _at(hour: float) -> dt.datetime:
    return MIDNIGHT + dt.timedelta(hours=hour)


def test_the_cutoff_is_the_earlier_of_now_and_the_latest_data():
    assert today.cutoff(MIDNIGHT, _at(14), _at(12)) == _at(12)
    assert today.cutoff(MIDNIGHT, _at(14), _at(15)) == _at(14)
    assert today.cutoff(MIDNIGHT, _at(14), None) == _at(14)
    # the feed's last incident came yesterday evening: nothing of today is in yet
    assert today.cutoff(MIDNIGHT, _at(14), _at(-3)) == MIDNIGHT


def test_day_share():
    assert today.day_share(MIDNIGHT, _at(6)) == pytest.approx(0.25)
    assert today.day_share(MIDNIGHT, MIDNIGHT) == 0.0
    assert today.day_share(MIDNIGHT, _at(30)) == 1.0


def test_no_change_early_in_the_morning():
    """07:30 with nothing yet today against 12 in last year's same hours was "0, down 100 %"."""
    assert today.change(0, 12, today.day_share(MIDNIGHT, _at(5.5))) is None
    assert today.change(0, 12, today.day_share(MIDNIGHT, _at(7.5))) == -100.0  # by 07:30 it is a real fall


@pytest.mark.parametrize("current,expected,hour,want", [
    (3, 4, 20, None),  # too few in the comparison hours, however late
    (15, 10, 6, 50.0),  # a quarter of the day and ten expected: compared
    (15, 10, 5.9, None),  # not yet a quarter of the day
    (8, 10, 23, -20.0),
])
def test_change_once_the_day_has_data_enough(current, expected, hour, want):
    assert today.comparable(today.day_share(MIDNIGHT, _at(hour)), expected) == (want is not None)
    assert today.change(current, expected, today.day_share(MIDNIGHT, _at(hour))) == want
