"""System parts some tests need (PostGIS, Chromium, CJK fonts, the cluster's nginx): one rule for when they are missing.

Locally such a test skips and says why; where ``SAFEGRID_REQUIRE_<PART>=1`` is set (as ``.ci/run``
sets it for every part) it fails instead, so nothing skips in CI. ``scripts/system.sh`` installs
the parts where it may and lists the missing ones at the start of the run.
"""

from __future__ import annotations

import os
import shutil
from typing import NoReturn

import pytest

PARTS = {  # part -> what installs it
    "postgis": "apt-get install postgresql-<version>-postgis-3, for the server's version",
    "browser": "apt-get install chromium",
    "fonts": "apt-get install fonts-noto-cjk",
    "cluster": "bash -c '. scripts/system.sh postgis nginx' installs PostgreSQL's server and nginx",
}


def required(part: str) -> bool:
    return os.environ.get(f"SAFEGRID_REQUIRE_{part.upper()}") == "1"


def unavailable(part: str, why: str) -> NoReturn:
    """Skip (or, where the part is required, fail) the current test because ``part`` is missing."""
    hint = f" ({PARTS[part]})"
    if required(part):
        pytest.fail(f"{part} is required here (SAFEGRID_REQUIRE_{part.upper()}=1) but unavailable: {why}{hint}")
    pytest.skip(f"{part} unavailable: {why}{hint}")


CHROMIUM = os.environ.get("SAFEGRID_CHROMIUM", "/usr/bin/chromium")


def browser_missing() -> str | None:
    """Why a real browser test cannot run here, or None: Chromium, Playwright and the map assets."""
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        return f"no Chromium at {CHROMIUM}"
    import importlib.util

    if importlib.util.find_spec("playwright") is None:
        return "playwright is not installed"
    from geo.maps import assets

    if not assets.installed():
        return "the map assets are not installed (scripts/setup.sh fetches them with npm)"
    return None
