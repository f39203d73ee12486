import re

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
