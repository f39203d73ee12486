import re

import numpy as np

import pandas as pd
import pytest

from geo.core.privacy import ID_TOKEN, PHONE_TOKEN, mask_pii, mask_pii_series


MASKED = [
    ("报警人身份证号110105199003071234已核实", ID_TOKEN),
    ("ID 44030419851231001X in note", ID_TOKEN),
    ("旧证号 110105900307123 登记", ID_TOKEN),
    ("联系电话13812345678", PHONE_TOKEN),
    ("call +86 138-1234-5678 now", PHONE_TOKEN),
    ("座机 0731-84561234", PHONE_TOKEN),
    ("phone (312) 555-0187 please", PHONE_TOKEN),
    ("call 312.555.0187 today", PHONE_TOKEN),
]
IDS = ["id18", "id18-x", "id15", "mobile", "mobile-intl", "landline", "us-phone", "us-phone-dots"]


@pytest.mark.parametrize("text,token", MASKED, ids=IDS)
def test_mask_pii_masks(text, token):
    masked, n = mask_pii(text)
    assert n == 1 and token in masked
    # No run of four or more digits survives the mask.
    assert not re.search(r"\d{4}", masked.replace(token, "")), masked


@pytest.mark.parametrize("text,token", MASKED, ids=IDS)
def test_mask_pii_series_agrees_with_scalar(text, token):
    """The vectorised path (an RE2 prefilter, then Python's re) masks exactly what mask_pii masks."""
    masked, counts = mask_pii_series(pd.Series(["nothing", text]))
    assert masked.tolist() == ["nothing", mask_pii(text)[0]]
    assert counts.tolist() == [0, 1]


@pytest.mark.parametrize("text", ["060XX S TALMAN AVE", "案件编号 JB148253", "2017-07-01 08:40", "金额 300 元",
                                  "beat 1713 district 017"])
def test_mask_pii_leaves_ordinary_text(text):
    assert mask_pii(text) == (text, 0)


def test_mask_pii_series_counts_per_row():
    s = pd.Series(["电话13812345678，身份证110105199003071234", None, "nothing here"])
    masked, counts = mask_pii_series(s)
    assert counts.tolist() == [2, 0, 0]
    assert masked[1] is None
    assert "13812345678" not in masked[0] and "110105199003071234" not in masked[0]


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from geo.core.privacy import SUPPRESSED, generalise_points, suppress_small_counts  # noqa: E402


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 12)), min_size=1, max_size=40), st.integers(2, 5))
def test_suppress_small_counts_never_publishes_1_to_k_minus_1(cells, k):
    groups = np.array([g for g, _ in cells])
    counts = np.array([n for _, n in cells])
    out = suppress_small_counts(counts, groups, k)
    published = out[out != SUPPRESSED]
    assert not ((published >= 1) & (published < k)).any()
    assert (out[out != SUPPRESSED] == counts[out != SUPPRESSED]).all()  # what is shown is true
    for g in np.unique(groups):
        hidden = (out[groups == g] == SUPPRESSED).sum()
        # one hidden count in a group of several could be recovered from the group total
        assert hidden != 1 or (groups == g).sum() == 1


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.floats(-1, 1), st.floats(-1, 1)), min_size=1, max_size=30), st.integers(1, 5))
def test_generalise_points_puts_points_on_cell_centroids_only(points, n_cells):
    rng = np.random.default_rng(len(points))
    cx, cy = rng.uniform(10, 11, n_cells), rng.uniform(20, 21, n_cells)  # centroids far from the points
    idx = rng.integers(-1, n_cells, len(points))
    x, y = generalise_points(idx, cx, cy)
    for (px, py), i, gx, gy in zip(points, idx, x, y):
        if i < 0:
            assert np.isnan(gx) and np.isnan(gy)
        else:
            assert (gx, gy) == (cx[i], cy[i]) and (gx, gy) != (px, py)
