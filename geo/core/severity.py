"""Severity weights: how much one incident of a category weighs in a patrol zone's workload.

Written as ``CATEGORY=WEIGHT`` items separated by commas (``"fight=3, burglary=2"``), in the
``SAFEGRID_SEVERITY`` setting and in the command line's ``--severity`` options alike. A category
not named weighs 1. A weight is a finite number, zero or more.
"""

from __future__ import annotations

import math
from typing import Iterable


def parse_weights(texts: str | Iterable[str] | None) -> dict[str, float]:
    """``"fight=3, burglary=2"`` (or several such texts) as ``{"fight": 3.0, "burglary": 2.0}``.

    Empty items are passed over; a category named twice keeps its last weight. Raises
    ValueError naming the item for one without ``=`` or a category, or whose weight is not a
    number, is negative, infinite or NaN.

    >>> parse_weights("fight=3, burglary=2")
    {'fight': 3.0, 'burglary': 2.0}
    >>> parse_weights(["fight=3", "drunk=0.5"])
    {'fight': 3.0, 'drunk': 0.5}
    """
    if texts is None:
        return {}
    weights: dict[str, float] = {}
    for text in [texts] if isinstance(texts, str) else texts:
        for item in text.split(","):
            if item.strip():
                category, weight = _item(item.strip())
                weights[category] = weight
    return weights


def _item(item: str) -> tuple[str, float]:
    category, sep, text = item.partition("=")
    if not sep or not category.strip():
        raise ValueError(f"{item!r}: expected CATEGORY=WEIGHT")
    try:
        weight = float(text)
    except ValueError:
        raise ValueError(f"{item!r}: expected CATEGORY=WEIGHT, the weight a number") from None
    if not math.isfinite(weight):
        raise ValueError(f"{item!r}: a weight must be a finite number")
    if weight < 0:
        raise ValueError(f"{item!r}: a weight cannot be negative")
    return category.strip(), weight
