"""A playback's counts travel packed, once, named by their content; the cell map carries them."""

from __future__ import annotations

import numpy as np
import pytest

from geo.core.timeline import pooled_classes
from geo.maps.timeline import Timeline, pack_counts, unpack_counts


@pytest.mark.parametrize("top, width", [(200, 1), (255, 1), (256, 2), (65_535, 2), (70_000, 4)],
                         ids=["byte", "byte-edge", "two-bytes", "two-bytes-edge", "four-bytes"])
def test_pack_counts_uses_the_fewest_bytes_and_round_trips(top, width):
    counts = np.array([[0, 1, top], [top, 2, 0]])
    text, got = pack_counts(counts)
    assert got == width
    np.testing.assert_array_equal(unpack_counts(text, got, 3), counts)
    assert len(text) == 4 * -(-counts.size * width // 3)  # base64 of size x width bytes


@pytest.mark.parametrize("bad", [np.array([[1, -1]]), np.array([[1.5, 2]])], ids=["negative", "fraction"])
def test_pack_counts_refuses_what_is_not_a_count(bad):
    with pytest.raises(ValueError):
        pack_counts(bad)


def test_timeline_sends_its_data_only_when_asked_and_is_named_by_content():
    counts = np.array([[0, 1, 2], [3, 4, 5]])
    tl = Timeline(["w1", "w2"], counts, pooled_classes(counts))
    words = {"play": "Play"}
    short, full = tl.args(words, send=False), tl.args(words, send=True)
    assert short["data"] is None and full["data"]["key"] == tl.key == short["key"]
    assert full["data"]["totals"] == [3, 12] and full["data"]["cells"] == 3
    other = Timeline(["w1", "w2"], counts + np.array([[0, 0, 0], [0, 0, 1]]), pooled_classes(counts))
    assert other.key != tl.key
    assert Timeline(["w1", "w2"], counts.copy(), pooled_classes(counts)).key == tl.key
    with pytest.raises(ValueError):
        Timeline(["w1"], counts, pooled_classes(counts))  # one row of counts per step label
