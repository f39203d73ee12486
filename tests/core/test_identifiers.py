"""Masking resident IDs and phone numbers: the written forms a red team would try, and look-alikes.

Every masked case is written as (text before, identifier, text after): the result must be
exactly before + token + after, so the surrounding text is kept as it was written.
"""

from __future__ import annotations

import unicodedata

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from geo.core.identifiers import (ID_TOKEN, PHONE_TOKEN, _CANDIDATE, _GAP, _fold_char, fold, mask_pii,
                                  mask_pii_series)

I, P = ID_TOKEN, PHONE_TOKEN

# id, before, identifier, after, token
MASKED = [
    # resident IDs, 18 characters
    ("id18-in-chinese", "身份证号", "110101199003071234", "已核实", I),
    ("id18-after-colon", "ID:", "110101199003071234", " checked", I),
    ("id18-after-letters", "NO", "110101199003071234", "", I),
    ("id18-after-name-glued", "张某某", "110101199003071234", "住本村", I),
    ("id18-english-sentence", "resident id ", "110101199003071234", " on file", I),
    ("id18-x", "证件 ", "44030419851231001X", " 登记", I),
    ("id18-x-lower", "证件", "44030419851231001x", "。", I),
    ("id18-x-after-space", "证件号 ", "440304 19851231 001 X", " 已登记", I),
    ("id18-born-2008", "", "440305200812310021", "", I),
    ("id18-spaces-6-8-4", "身份证 ", "110101 19900307 1234", " 男", I),
    ("id18-dashes", "", "110101-19900307-1234", "号", I),
    ("id18-groups-of-4", "证号", "1101 0119 9003 0712 34", "，", I),
    ("id18-dots", "ID ", "110101.19900307.1234", "", I),
    ("id18-fullwidth", "身份证号", "１１０１０１１９９００３０７１２３４", "已核实", I),
    ("id18-fullwidth-x", "身份证号", "４４０３０４１９８５１２３１００１Ｘ", "已核实", I),
    ("id18-ideographic-spaces", "身份证号：", "110101\u300019900307\u30001234", "。", I),
    ("id18-en-dashes", "ID ", "110101\u201319900307\u20131234", ".", I),
    ("id18-zero-width", "身份证", "110101\u200b19900307\u200b1234", "。", I),
    ("id18-arabic-indic-digits", "id ", "١١٠١٠١١٩٩٠٠٣٠٧١٢٣٤", "", I),
    # resident IDs, 15-digit legacy
    ("id15", "旧证号", "110105900307123", "登记", I),
    ("id15-spaced", "旧证号 ", "110105 900307 123", " 登记", I),
    ("id15-fullwidth", "旧证", "１１０１０５９００３０７１２３", "", I),
    # mainland mobiles
    ("mobile", "联系电话", "13812345678", "。", P),
    ("mobile-199", "", "19912345678", "", P),
    ("mobile-after-letters", "Tel", "13812345678", "", P),
    ("mobile-spaces", "电话 ", "138 1234 5678", " 王", P),
    ("mobile-dashes", "tel ", "138-1234-5678", "", P),
    ("mobile-dots", "call ", "138.1234.5678", " now", P),
    ("mobile-middle-dots", "电话", "138·1234·5678", "", P),
    ("mobile-4-3-4", "手机", "1381 234 5678", "", P),
    ("mobile-3-8", "手机", "138 12345678", "", P),
    ("mobile-plus86", "", "+86 138 1234 5678", "", P),
    ("mobile-plus86-glued", "手机", "+8613812345678", "", P),
    ("mobile-0086", "手机：", "0086 138 1234 5678", "", P),
    ("mobile-86-dashes", "", "86-138-1234-5678", "", P),
    ("mobile-plus86-in-brackets", "电话 ", "(+86) 138 1234 5678", "", P),
    ("mobile-fullwidth", "电话", "１３８１２３４５６７８", "。", P),
    ("mobile-fullwidth-dashes", "电话", "１３８－１２３４－５６７８", "", P),
    ("mobile-fullwidth-plus86", "电话", "＋８６ １３８ １２３４ ５６７８", "", P),
    ("mobile-ideographic-spaces", "电话", "138\u30001234\u30005678", "，", P),
    ("mobile-fullwidth-ideographic", "电话：", "１３８\u3000１２３４\u3000５６７８", "。", P),
    ("mobile-en-dashes", "", "138\u20131234\u20135678", "", P),
    ("mobile-minus-signs", "", "138\u22121234\u22125678", "", P),
    ("mobile-nbsp", "tel ", "138\u00a01234\u00a05678", "", P),
    ("mobile-zero-width", "电话", "138\u200b1234\u200b5678", "", P),
    ("mobile-circled-digits", "电话", "⑬⑧①②③④⑤⑥⑦⑧", "", P),
    ("mobile-with-extension", "电话", "13812345678转8", "", P),
    # mainland landlines
    ("landline-dash", "座机 ", "0731-84561234", "", P),
    ("landline-beijing-dash", "", "010-12345678", "", P),
    ("landline-no-separator", "电话", "01012345678", "", P),
    ("landline-brackets", "电话 ", "(010) 1234 5678", "", P),
    ("landline-fullwidth-brackets", "电话", "（010）12345678", "", P),
    ("landline-shanghai-spaces", "", "021 6123 4567", "", P),
    ("landline-4-digit-area-spaces", "", "0755 8888 9999", "", P),
    ("landline-7-digit-local", "", "0755-8888999", "", P),
    ("landline-dots", "", "0755.8888.9999", "", P),
    ("landline-fullwidth", "电话", "０７５５－８８８８９９９９", "", P),
    ("landline-plus86", "", "+86 10 1234 5678", "", P),
    ("landline-plus86-bracket-zero", "", "+86 (0)10 1234 5678", "", P),
    ("landline-0086-dashes", "", "0086-755-8888-9999", "", P),
    ("landline-ext-zhuan", "", "010-12345678 转 123", "", P),
    ("landline-ext-zhuan-glued", "", "010-12345678转123", "", P),
    ("landline-ext-fenji", "", "0755-88889999分机8001", "", P),
    ("landline-ext-en", "", "010-12345678 ext. 12", "", P),
    ("landline-ext-x", "", "010-12345678 x12", "", P),
    ("landline-ext-dash", "", "010-12345678-123", "", P),
    # North-American numbers (Chicago data)
    ("us-brackets", "phone ", "(312) 555-0187", " please", P),
    ("us-dots", "call ", "312.555.0187", " today", P),
    ("us-plus1", "", "+1 312 555 0187", "", P),
    ("us-extension", "", "(312) 555-0187 ext. 12", "", P),
    ("mobile-slashes", "电话", "139/0771/2468", "", P),
    ("mobile-list-commas", "联系", "139、0771、2468", "。", P),
    ("mobile-after-date", "2024-03-01 ", "13907712468", " 回访", P),
]

# Numbers that only look like identifiers; each is kept as written.
LOOK_ALIKES = [
    ("case-number-dashed", "案件编号 2026-0412-000123"),  # date and sequence: no group shapes an identifier
    ("case-number-letters", "案件编号 JX2026041200123"),  # one 13-digit group: no identifier is that long
    ("demo-incident-id", "警情 JQ0001234"),  # the demo city's incident ids
    ("police-case-long", "A4403045600002026040012"),  # a 22-digit group is cut nowhere
    ("camera-gb28181-code", "设备编码 34020000001320000001"),  # 20-digit national video code
    ("datetime", "发生时间 2026-04-12 10:30"),
    ("date-range-dashes", "整改期限 2024-03-01 - 2024-03-31"),  # two dates, not a landline
    ("date-range-slashes", "期间 2024/03/01-2024/03/31"),
    ("date-range-dots", "2024.03.01-2024.03.31"),
    ("datetime-seconds", "2026-04-12 10:30:15.123"),
    ("date-compact", "20260412"),
    ("timestamp-compact", "20260412103000"),
    ("date-chinese", "2026年4月12日10时30分"),
    ("time-range", "营业 08:00-18:00"),
    ("year-range", "2019-2026 年"),
    ("money", "损失 ¥12,345,678.00"),
    ("money-decimal", "金额 134567891.25 元"),  # one dot is a decimal point
    ("count-commas", "共 1,234,567 人次"),
    ("coordinates", "121.473701, 31.230416"),
    ("coordinates-space", "113.945612 22.543109"),
    ("coordinates-hemispheres", "31.2304°N 121.4737°E"),
    ("longitude-eight-decimals", "lon 133.12345678"),
    ("grid-code", "网格 AN0102003"),  # the demo city's grid codes
    ("square-cell-code", "S250_12_34"),  # make_grid's square cells
    ("admin-division-code", "110101001001"),  # 12-digit statistical area code
    ("version", "v2.13.4"),
    ("ipv4", "192.168.100.200"),
    ("postcode", "邮编 200000"),
    ("plate", "车牌 京A·12345"),
    ("percentage", "覆盖率 85.5%"),
    ("short-counts", "共 3 起，伤 2 人"),
    ("area-superscript", "面积 120m²"),
    ("isbn", "ISBN 978-7-111-54742-6"),
    ("credit-code", "91110108MA01C5XJ2X"),  # unified social credit code: letters break the digits
    ("chicago-block", "060XX S TALMAN AVE"),
    ("beat", "beat 1713 district 017"),
]


@pytest.mark.parametrize("before,identifier,after,token", [c[1:] for c in MASKED], ids=[c[0] for c in MASKED])
def test_mask_pii_replaces_exactly_the_identifier(before, identifier, after, token):
    assert mask_pii(before + identifier + after) == (before + token + after, 1)


@pytest.mark.parametrize("before,identifier,after,token", [c[1:] for c in MASKED], ids=[c[0] for c in MASKED])
def test_mask_pii_series_prefilter_lets_every_form_through(before, identifier, after, token):
    masked, counts = mask_pii_series(pd.Series(["nothing here", before + identifier + after, None]))
    assert masked.tolist() == ["nothing here", before + token + after, None]
    assert counts.tolist() == [0, 1, 0]


@pytest.mark.parametrize("text", [c[1] for c in LOOK_ALIKES], ids=[c[0] for c in LOOK_ALIKES])
def test_mask_pii_keeps_look_alikes(text):
    assert mask_pii(text) == (text, 0)
    masked, counts = mask_pii_series(pd.Series([text]))
    assert masked.tolist() == [text] and counts.tolist() == [0]


def test_mask_pii_masks_several_in_one_text():
    text = "报警人１３８　１２３４　５６７８（身份证110101 19900307 1234），另 0755-88889999 转 8；13912345678 13712345678"
    masked, n = mask_pii(text)
    assert n == 5
    assert masked == f"报警人{P}（身份证{I}），另 {P}；{P} {P}"


def test_fold_maps_each_plain_character_to_its_origin():
    plain, origin = fold("电话：１３８\u200b－12")
    assert plain == "电话:138-12"
    assert origin == [0, 1, 2, 3, 4, 5, 7, 8, 9]


def _code_points() -> list[str]:
    """Planes 0 and 1 and the tags of plane 14: every character that folds to a digit or separator."""
    cps = [*range(0x0, 0x20000), *range(0xE0000, 0xE1000)]
    return [chr(c) for c in cps if unicodedata.category(chr(c)) not in ("Cs", "Cn")]


def test_prefilter_covers_everything_fold_turns_into_digits_or_separators():
    chars = _code_points()
    plain = [c.translate({ord(c): " "}) if c.isascii() and c.isspace() else (c if c.isascii() else
                                                                              _fold_char.__wrapped__(c))
             for c in chars]
    arr = pa.array(chars)

    def hits(pattern: str) -> np.ndarray:
        return pc.match_substring_regex(arr, f"^(?:{pattern})$").to_numpy(zero_copy_only=False)

    gap, number, invisible, other_number = hits(_GAP), hits(r"\pN"), hits(r"\p{Cf}"), hits(r"\p{No}")
    for k, (ch, p) in enumerate(zip(chars, plain)):
        n_digits = sum("0" <= c <= "9" for c in p)
        if p == "":
            assert invisible[k], hex(ord(ch))
        elif n_digits:
            assert number[k] and (n_digits == 1 or other_number[k]), hex(ord(ch))
        elif all(c in " .-()" for c in p):
            assert gap[k], hex(ord(ch))
    # and the prefilter itself matches ten spread-out digits, and nothing shorter
    assert pc.match_substring_regex(pa.array(["1 2-3.4(5)6\u200b7\u30008–9 0", "1 2 3 4 5 6 7 8 9"]),
                                    _CANDIDATE).to_pylist() == [True, False]
