"""Severity weights: one parser for the setting and the command line."""

from __future__ import annotations

import pytest

from geo.core.severity import parse_weights

GOOD = [
    ("fight=3, burglary=2", {"fight": 3.0, "burglary": 2.0}),
    (["fight=3", "drunk=0.5"], {"fight": 3.0, "drunk": 0.5}),
    (["fight=3,drunk=2", " theft = 0 "], {"fight": 3.0, "drunk": 2.0, "theft": 0.0}),
    ("fight=1, fight=4", {"fight": 4.0}),  # the last one wins
    (" , ,", {}),
    ("", {}),
    (None, {}),
    ([], {}),
]
BAD = [  # text, the item the message names, what it says
    ("fight", "fight", "expected CATEGORY=WEIGHT"),
    ("=3", "=3", "expected CATEGORY=WEIGHT"),
    ("fight=lots", "fight=lots", "the weight a number"),
    ("fight=-1", "fight=-1", "cannot be negative"),
    ("fight=-0.5, drunk=2", "fight=-0.5", "cannot be negative"),
    ("fight=nan", "fight=nan", "finite"),
    ("fight=inf", "fight=inf", "finite"),
    (["drunk=2", "fight=-inf"], "fight=-inf", "finite"),
]

@pytest.mark.parametrize("text,weights", GOOD, ids=[repr(t) for t, _ in GOOD])
def test_parse_weights_reads_every_spelling(text, weights):
    assert parse_weights(text) == weights


@pytest.mark.parametrize("text,item,message", BAD, ids=[repr(t) for t, _, _ in BAD])
def test_parse_weights_refuses_with_the_item_named(text, item, message):
    with pytest.raises(ValueError, match=message) as refused:
        parse_weights(text)
    assert str(refused.value).startswith(f"{item!r}: ")


def test_parse_weights_is_the_settings_parser_too():
    from geo.ui import config

    assert config.parse_weights("fight=3, drunk=2") == parse_weights(["fight=3", "drunk=2"])
    with pytest.raises(ValueError, match="negative"):
        config.parse_weights("fight=-3")
