"""Imports flow one way: pages -> geo.ui -> {geo.maps, geo.report, geo.store, geo.ingest} -> geo.core.

Walks every module's imports (with ast, nothing is run) and fails on any import the
layer may not make. Also checks that every catalogue key the code uses exists in both
languages, and the house rules below (one clock, one download helper, no module over 400
lines unless its top says ``# Over 400 lines because: <reason>``).
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
UI_ONLY = ("streamlit", "streamlit_folium")
DB = ("sqlalchemy", "alembic", "psycopg", "geoalchemy2")
# package -> modules it must not import (prefix match)
FORBIDDEN = {
    "geo/core": ("geo.store", "geo.ingest", "geo.maps", "geo.ui", "geo.cli", *UI_ONLY, "folium", *DB),
    "geo/store": ("geo.ingest", "geo.maps", "geo.ui", "geo.cli", *UI_ONLY, "folium"),
    "geo/ingest": ("geo.maps", "geo.ui", "geo.cli", *UI_ONLY, "folium"),
    "geo/maps": ("geo.store", "geo.ingest", "geo.ui", "geo.cli", *UI_ONLY, *DB),
    "geo/report": ("geo.store", "geo.ingest", "geo.maps", "geo.ui", "geo.cli", *UI_ONLY, "folium", *DB),
    "geo/ui": ("geo.cli",),
    "geo/cli": (*UI_ONLY, "folium", "geo.maps"),  # the command line prints and writes files; it draws no page
    "pages": ("geo.core", "geo.store", "geo.ingest", "geo.maps", "geo.cli", "folium", *DB),
    "app.py": ("geo.core", "geo.store", "geo.ingest", "geo.maps", "geo.cli", "folium", *DB),
}


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _files(where: str) -> list[Path]:
    target = ROOT / where
    return [target] if target.is_file() else sorted(target.rglob("*.py"))


CASES = [(where, f) for where in FORBIDDEN for f in _files(where)]


@pytest.mark.parametrize("where,path", CASES, ids=[str(f.relative_to(ROOT)) for _, f in CASES])
def test_imports_follow_the_layer_rule(where, path):
    bad = sorted(m for m in imports_of(path) for banned in FORBIDDEN[where]
                 if m == banned or m.startswith(banned + "."))
    assert not bad, f"{path.relative_to(ROOT)} may not import {bad}"


def test_rule_would_catch_a_violation(tmp_path):
    sample = tmp_path / "x.py"
    sample.write_text("from geo.store.models import Area\nimport streamlit as st\n")
    assert {"geo.store.models", "streamlit"} <= imports_of(sample)


def test_every_catalogue_key_used_exists_in_both_languages():
    catalogue = json.loads((ROOT / "data" / "i18n.json").read_text(encoding="utf-8"))
    used = set()
    for path in [*_files("pages"), *_files("geo/ui"), ROOT / "app.py"]:
        used |= set(re.findall(r"""\bt\(\s*["']([a-z0-9_.]+)["']""", path.read_text(encoding="utf-8")))
        for prefix in re.findall(r"""\bt\(\s*f["']([a-z0-9_.]+)\{""", path.read_text(encoding="utf-8")):
            assert any(k.startswith(prefix) for k in catalogue), prefix
    assert used, "no catalogue keys found: the scan is broken"
    missing = sorted(k for k in used if k not in catalogue)
    assert not missing
    incomplete = sorted(k for k, v in catalogue.items() if not (v.get("zh") and v.get("en")))
    assert not incomplete


def test_every_setting_is_documented_in_the_readme():
    from geo.ui.config import SETTINGS

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for setting in SETTINGS:
        row = next((line for line in readme.splitlines() if line.startswith(f"| `{setting.name}` |")), None)
        assert row, f"{setting.name} is not in the README's settings table"
        assert setting.help in row and (f"`{setting.default}`" in row if setting.default else "(empty)" in row)


def test_no_unused_imports_or_undefined_names():
    """pyflakes over the application code: nothing imported for nothing, no name used undefined."""
    import io

    from pyflakes.api import checkPath
    from pyflakes.reporter import Reporter

    out = io.StringIO()
    files = [*_files("geo"), *_files("pages"), ROOT / "app.py"]
    for path in files:
        checkPath(str(path), Reporter(out, out))
    # textfiles.py imports pyarrow only to learn whether it is installed
    problems = [line for line in out.getvalue().splitlines() if "'pyarrow' imported but unused" not in line]
    assert not problems, "\n".join(problems)


# Reading the clock anywhere but geo/core/clock.py makes a result depend on the day it runs.
CLOCK_READ = re.compile(r"\b(?:date|datetime|Timestamp)\.(?:today|now|utcnow)\(|Timestamp\(\s*[\"'](?:now|today)")
CLOCK_FILES = [f for where in ("geo", "pages", "app.py", "bench", "tests") for f in _files(where)
               if f not in (ROOT / "geo" / "core" / "clock.py", Path(__file__).resolve())]


@pytest.mark.parametrize("path", CLOCK_FILES, ids=[str(f.relative_to(ROOT)) for f in CLOCK_FILES])
def test_the_clock_is_read_in_one_place(path):
    """Application, benchmarks and tests take "now" and "today" from geo.core.clock only."""
    found = [n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if CLOCK_READ.search(line)]
    assert not found, f"{path.relative_to(ROOT)} reads the clock itself on lines {found}: use geo.core.clock"


@pytest.mark.parametrize("line", ["dt.date.today()", "datetime.now(tz)", "pd.Timestamp.now(tz='UTC')",
                                  "dt.datetime.utcnow()", "pd.Timestamp('today')"])
def test_clock_rule_would_catch_a_violation(line):
    assert CLOCK_READ.search(line)


# Every file offered for download goes through geo.ui.downloads.offer, which audits the click.
DOWNLOAD_HELPER = ROOT / "geo" / "ui" / "downloads.py"
APP_FILES = [f for where in ("geo", "pages", "app.py") for f in _files(where)]


def download_buttons(source: str) -> list[int]:
    """Lines that reach ``download_button`` (``st.download_button``, ``col.download_button``, an import of it)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr == "download_button":
            found.append(node.lineno)
        elif isinstance(node, ast.ImportFrom) and any(a.name == "download_button" for a in node.names):
            found.append(node.lineno)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr" \
                and any(isinstance(a, ast.Constant) and a.value == "download_button" for a in node.args):
            found.append(node.lineno)
    return found


@pytest.mark.parametrize("path", APP_FILES, ids=[str(f.relative_to(ROOT)) for f in APP_FILES])
def test_only_the_download_helper_draws_download_buttons(path):
    lines = download_buttons(path.read_text(encoding="utf-8"))
    if path == DOWNLOAD_HELPER:
        assert lines, "geo/ui/downloads.py no longer draws the button: the rule checks nothing"
    else:
        assert not lines, f"{path.relative_to(ROOT)} calls download_button on lines {lines}: use geo.ui.downloads.offer"


@pytest.mark.parametrize("source", ["st.download_button('x', b'')", "a, b = st.columns(2)\nb.download_button('x', b'')",
                                    "from streamlit import download_button", "getattr(st, 'download_button')('x', b'')"])
def test_download_rule_would_catch_a_violation(source):
    assert download_buttons(source)


# Each module holds one room's rules: past 400 lines it holds several. A module may stay longer only
# when one of its first 5 lines starts with LONG_BECAUSE followed by the reason (migrations excepted).
MAX_LINES = 400
LONG_BECAUSE = "# Over 400 lines because:"
SIZED_FILES = [f for f in APP_FILES if "migrations" not in f.relative_to(ROOT).parts]


def too_long(source: str) -> bool:
    """Over :data:`MAX_LINES` lines with no ``# Over 400 lines because: <reason>`` in the first 5 lines."""
    lines = source.splitlines()
    excused = any(line.startswith(LONG_BECAUSE) and line[len(LONG_BECAUSE):].strip() for line in lines[:5])
    return len(lines) > MAX_LINES and not excused


@pytest.mark.parametrize("path", SIZED_FILES, ids=[str(f.relative_to(ROOT)) for f in SIZED_FILES])
def test_no_module_over_400_lines_without_saying_why(path):
    """Every module of geo/ (migrations excepted), pages/ and app.py has at most 400 lines, unless one of
    its first 5 lines is a comment ``# Over 400 lines because: <the reason>``."""
    source = path.read_text(encoding="utf-8")
    assert not too_long(source), (f"{path.relative_to(ROOT)} has {len(source.splitlines())} lines: split it "
                                  f"by rule, or say why it may not be split ({LONG_BECAUSE} ...)")


@pytest.mark.parametrize("source,caught", [
    ("x = 1\n" * 401, True),
    ("x = 1\n" * 400, False),
    ("# Over 400 lines because: one generated table\n" + "x = 1\n" * 500, False),
    ('"""Doc."""\n\n# Over 400 lines because: one generated table\n' + "x = 1\n" * 500, False),
    ("# Over 400 lines because:\n" + "x = 1\n" * 500, True),  # no reason given
    ("x = 1\n" * 5 + "# Over 400 lines because: too late\n" + "x = 1\n" * 500, True),  # not at the top
])
def test_size_rule_would_catch_a_violation(source, caught):
    assert too_long(source) is caught
