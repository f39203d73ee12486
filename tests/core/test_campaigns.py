"""Campaign rules: phases inside the campaign and in order, known indicators, met in the right direction."""

import datetime as dt

import pytest

from geo.core.campaigns import CampaignRefused, check_campaign, current_phase, met

D = dt.date


def test_a_good_campaign_passes():
    check_campaign("clean-up", D(2026, 1, 1), D(2026, 6, 30),
                   [("one", D(2026, 1, 1), D(2026, 2, 28)), ("two", D(2026, 3, 1), D(2026, 6, 30))],
                   [("clearance_pct", 90), ("yoy_incident_change_pct", -10)])


@pytest.mark.parametrize("args,message", [
    (("", D(2026, 1, 1), D(2026, 2, 1), [], []), "needs a name"),
    (("x", D(2026, 2, 1), D(2026, 1, 1), [], []), "ends .* before it starts"),
    (("x", D(2026, 1, 1), D(2026, 2, 1), [("p", D(2025, 12, 1), D(2026, 1, 5))], []), "outside the campaign"),
    (("x", D(2026, 1, 1), D(2026, 3, 1), [("a", D(2026, 1, 1), D(2026, 1, 20)), ("b", D(2026, 1, 20), D(2026, 2, 1))],
      []), "overlaps phase 'a'"),
    (("x", D(2026, 1, 1), D(2026, 3, 1), [("a", D(2026, 1, 9), D(2026, 1, 2))], []), "ends before it starts"),
    (("x", D(2026, 1, 1), D(2026, 3, 1), [], [("happiness", 1)]), "unknown indicator"),
    (("x", D(2026, 1, 1), D(2026, 3, 1), [], [("booths", 1), ("booths", 2)]), "listed twice"),
])
def test_bad_campaigns_are_refused_with_the_reason(args, message):
    with pytest.raises(CampaignRefused, match=message):
        check_campaign(*args)


def test_met_follows_the_indicator_direction():
    assert met("yoy_incident_change_pct", -12.0, -10) is True  # incidents fell more than the target
    assert met("yoy_incident_change_pct", -6.0, -10) is False
    assert met("clearance_pct", 90.0, 90) is True and met("clearance_pct", 89.9, 90) is False
    assert met("booths", None, 6) is None


def test_current_phase():
    phases = [("a", D(2026, 1, 1), D(2026, 1, 31)), ("b", D(2026, 2, 1), D(2026, 2, 28))]
    assert current_phase(phases, D(2026, 1, 31)) == "a" and current_phase(phases, D(2026, 2, 1)) == "b"
    assert current_phase(phases, D(2026, 3, 1)) is None
