"""Every file SafeGrid writes is safe to open: no CSV or Excel cell is a formula, from any page or command.

A demo city is seeded with hostile text in every free-text field a file can carry (area, zone and
place names, incident categories, camera owners, ledger titles, descriptions, units and categories,
campaign names, an audit row). Every page is then walked as an admin, with the buttons that make a
file pressed (a camera plan, a zone proposal, patrol sheets, an area report, an import with bad
rows), and every file offered for download is collected; every command that writes CSV or Excel is
run too. Each CSV is read with the csv module and each workbook with openpyxl (formulas kept as
formulas): no cell may be a formula, and no text cell may begin like one.

The tables below name every file each page offers and every CSV/Excel output of the command line;
a page or command that starts to offer a file they do not name fails the walk until it is added.
"""

from __future__ import annotations

import csv
import fnmatch
import io
import re
import zipfile
from types import SimpleNamespace

import openpyxl
import pytest
from sqlalchemy import text

from geo.store import audit
from tests.conftest import BACKENDS, ROOT, backend_demo
from tests.pages.common import router_pages, run_page

HOSTILE = ['=HYPERLINK("http://x.invalid","y")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "  =1",
           "-2+3+cmd|' /C calc'!A0", "＝1+1"]
# (table, text columns) seeded with hostile strings; kind-like columns the code branches on are left alone
SEEDED = [("areas", ("name", "name_en", "team")), ("patrol_zones", ("name", "name_en", "team")),
          ("places", ("name", "name_en")), ("cameras", ("owner",)),
          ("incidents", ("subcategory", "address", "description")),
          ("ledger_items", ("category", "title", "description", "responsible_unit")),
          ("campaigns", ("name", "name_en")), ("campaign_phases", ("name", "name_en")),
          ("indicators", ("actual_source",))]

# page -> the files it offers to an admin once poked (shell patterns); None: not walked here
OFFERS = {
    "pages/home.py": set(),
    "pages/grid_map.py": set(),
    "pages/hotspots.py": {"hotspots_*.csv", "hotspots_*.geojson", "hotspots_*.xlsx"},
    "pages/coverage.py": {"camera_plan.csv", "camera_plan.geojson", "camera_plan.xlsx"},
    "pages/zones.py": {"patrol_plan.xlsx", "patrol_sheets.pdf", "zones_proposed.geojson", "zones_proposed.xlsx"},
    "pages/ledger.py": {"ledger.csv", "ledger.xlsx"},
    "pages/campaigns.py": {"report_*.pdf", "report_*.xlsx"},
    "pages/wall.py": set(),
    "pages/import_data.py": {"skipped_rows.csv"},
    "pages/admin.py": {"audit_log.csv"},
    "pages/alerts.py": set(),
}
SPREADSHEETS = (".csv", ".xlsx")
OTHER_KINDS = (".geojson", ".pdf")  # not read by spreadsheets as formulas: known, not parsed
# page -> what to press once it has rendered: ("key", widget key) or ("label", catalogue key of a form button)
POKES = {
    "pages/coverage.py": [("label", "cov.plan.run")],
    "pages/zones.py": [("label", "zones.propose"), ("key", "zones.plan.pdf_make")],
    "pages/campaigns.py": [("key", "report.make")],
    "pages/import_data.py": [("upload", "ledger")],
}
# files whose hostile text must show up defused (proof that the seed reached the file)
CARRIES_SEED = {"hotspots_*.csv", "hotspots_*.xlsx", "ledger.csv", "ledger.xlsx", "report_*.xlsx",
                "audit_log.csv", "patrol_plan.xlsx"}

TRIGGERS = ("=", "+", "-", "@", "＝", "＋", "－", "＠")
NUMBER = re.compile(r"[+-]?(?:\d[\d,]*)?\.?\d+(?:[eE][+-]?\d+)?%?")


def looks_like_formula(cell: str) -> bool:
    """What a spreadsheet may run: a leading tab or line break, or a trigger after leading spaces
    (a whole plain number such as ``-3`` or ``+5.1%`` is a number, not a formula)."""
    if cell[:1] in ("\t", "\r", "\n"):
        return True
    stripped = cell.lstrip()
    return stripped.startswith(TRIGGERS) and not NUMBER.fullmatch(stripped)


def spreadsheet_cells(name: str, body: bytes) -> list[str]:
    """Every text cell of a CSV or workbook; fails on any formula cell of a workbook."""
    if name.endswith(".csv"):
        return [cell for row in csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")) for cell in row]
    assert body.startswith(b"PK") and zipfile.is_zipfile(io.BytesIO(body)), name
    book = openpyxl.load_workbook(io.BytesIO(body), data_only=False)
    texts = []
    for sheet in book:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{name}!{sheet.title}!{cell.coordinate} is a formula: {cell.value!r}"
                if isinstance(cell.value, str):
                    texts.append(cell.value)
    return texts


def assert_safe(name: str, body: bytes) -> bool:
    """No formula cell and no formula-like text in the file; whether it holds a defused seed string."""
    cells = spreadsheet_cells(name, body)
    live = [c for c in cells if looks_like_formula(c)]
    assert not live, f"{name}: {len(live)} formula-like cells, e.g. {live[:3]}"
    seeds = {"'" + h for h in HOSTILE} | {"'" + h.replace("\r", "\n") for h in HOSTILE}
    return any(c in seeds or any(c.startswith(s) for s in seeds) for c in cells)


def _seed(conn) -> None:
    from geo.store.models import Base

    for table, columns in SEEDED:
        key, = [c.name for c in Base.metadata.tables[table].primary_key.columns]
        ids = conn.execute(text(f"SELECT {key} FROM {table} ORDER BY {key}")).scalars().all()
        assert ids, f"the demo has no {table}: nothing to seed"
        sets = ", ".join(f"{c} = :{c}" for c in columns)
        for n, row_id in enumerate(ids):
            values = {c: HOSTILE[(n + i) % len(HOSTILE)] for i, c in enumerate(columns)}
            conn.execute(text(f"UPDATE {table} SET {sets} WHERE {key} = :k"), {**values, "k": row_id})
    # categories are keys (the daily rollup too): each one renamed consistently
    cats = conn.execute(text("SELECT DISTINCT category FROM incidents ORDER BY category")).scalars().all()
    for n, old in enumerate(cats):
        new = HOSTILE[n % len(HOSTILE)] + ("" if n < len(HOSTILE) else f" {n}")
        for table in ("incidents", "incident_daily"):
            conn.execute(text(f"UPDATE {table} SET category = :new WHERE category = :old"), {"new": new, "old": old})
    audit.record(conn, "=cmd|' /C calc'!A0", "@SUM(A1)", "+1+1", detail="-2+3")


@pytest.fixture(scope="module", params=BACKENDS)
def hostile_city(request, tmp_path_factory):
    engine, url = backend_demo(request, tmp_path_factory, seed=5, scale=0.03)
    with engine.begin() as conn:
        _seed(conn)
        code = conn.execute(text("SELECT code FROM areas WHERE level = 'street' ORDER BY code")).scalar()
    engine.dispose()
    return SimpleNamespace(url=url, street=code)


@pytest.fixture
def app_env(monkeypatch, hostile_city):
    monkeypatch.setenv("DATABASE_URL", hostile_city.url)
    monkeypatch.chdir(ROOT)


def _bad_rows_file() -> bytes:
    """A ledger file of one good row and a refused row per hostile string (its found date)."""
    def quoted(v: str) -> str:
        return '"' + v.replace('"', '""') + '"'

    lines = ["source_id,kind,found_on,x,y,title", "safe-1,hazard,2026-06-01,112.93,28.12,fine"]
    lines += [f"bad-{n},hazard,{quoted(h)},112.93,28.12,{quoted(h)}" for n, h in enumerate(HOSTILE)]
    return ("\n".join(lines) + "\n").encode("utf-8")


def reports_a_hostile_row(body: bytes) -> bool:
    """Whether a skipped-rows report quotes a hostile value (inside its reason, never at a cell's start)."""
    return any(HOSTILE[0] in cell for cell in spreadsheet_cells("skipped_rows.csv", body))


def _poke(at, page: str) -> None:
    from geo.ui.i18n import catalogue

    for how, what in POKES.get(page, []):
        if how == "key":
            at.button(key=what).click().run()
        elif how == "label":
            label = catalogue()[what]["en"]
            next(b for b in at.button if b.label == label).click().run()
        else:
            at.file_uploader(key="import.file").upload("bad.csv", _bad_rows_file(), "text/csv")
            at.selectbox(key="import.layer").set_value(what)
            next(b for b in at.button if b.label == catalogue()["import.submit"]["en"]).click().run()
        assert not at.exception, (page, what, at.exception)


def test_every_page_of_the_router_is_in_the_walk():
    assert sorted(OFFERS) == sorted(router_pages())


@pytest.mark.parametrize("page", sorted(OFFERS))
def test_every_file_a_page_offers_is_safe_to_open(app_env, offered, page):
    at = run_page(page, "en", "admin")
    assert not at.exception, at.exception
    _poke(at, page)
    names = set(offered)
    for name in names:
        assert name.endswith(SPREADSHEETS + OTHER_KINDS), f"{page} offers {name}: a kind this walk does not read"
        assert any(fnmatch.fnmatch(name, p) for p in OFFERS[page]), f"{page} offers {name}, not in OFFERS"
    missing = [p for p in OFFERS[page] if not any(fnmatch.fnmatch(n, p) for n in names)]
    assert not missing, f"{page} did not offer {missing} (offered {sorted(names)})"
    for name, bodies in offered.items():
        if name.endswith(SPREADSHEETS):
            seeded = [assert_safe(name, body) for body in bodies]
            if any(fnmatch.fnmatch(name, p) for p in CARRIES_SEED):
                assert any(seeded), f"{name} holds none of the hostile strings: the walk proves nothing for it"
            if name == "skipped_rows.csv":
                assert any(reports_a_hostile_row(body) for body in bodies)


# ---- the command line --------------------------------------------------------------------------------

EXPORTABLE = ("incidents", "areas", "cameras", "zones", "ledger", "places")
COMMANDS = [  # (command and sub-command, suffix, arguments)
    ("counts", ".csv", ["counts", "--level", "grid"]),
    ("hotspots", ".csv", ["hotspots", "--level", "grid", "--method", "gistar"]),
    ("coverage", ".csv", ["coverage", "--level", "community"]),
    ("plan-cameras", ".csv", ["plan-cameras", "--add", "3"]),
    ("plan-cameras", ".xlsx", ["plan-cameras", "--add", "3"]),
    ("zones score", ".csv", ["zones", "score"]),
    ("zones plan", ".xlsx", ["zones", "plan"]),
    ("report", ".xlsx", ["report", "--area", "{street}"]),
    *[(f"export {layer}", suffix, ["export", layer]) for layer in EXPORTABLE for suffix in SPREADSHEETS],
]
CARRIES_SEED_CLI = {"hotspots", "coverage", "counts", "zones score", "zones plan", "report",
                    *[f"export {layer}" for layer in EXPORTABLE]}


def _cli_outputs() -> set[tuple[str, str]]:
    """(command, suffix) for every CSV or Excel file the parser says a command writes."""
    import argparse

    from geo.cli import build_parser
    from geo.ingest.export import FORMATS

    found: set[tuple[str, str]] = set()

    def walk(parser, path):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    walk(sub, [*path, name])
            elif action.dest in ("out", "report"):
                if path[0] == "export":  # one --out for every layer: its format from the suffix
                    layers = next(a.choices for a in parser._actions if a.dest == "layer")
                    found.update((f"export {layer}", s) for layer in layers for s in FORMATS if s in SPREADSHEETS)
                    continue
                named = " ".join(path[:2]) if path[0] in ("zones", "import") else path[0]
                suffixes = re.findall(r"\.[a-z]+", action.metavar or "")
                found.update((named, s) for s in suffixes if s in SPREADSHEETS)

    walk(build_parser(), [])
    return found


def test_every_cli_output_of_csv_or_excel_is_in_the_walk():
    walked = {(name, suffix) for name, suffix, _ in COMMANDS} | {("import ledger", ".csv")}
    written = _cli_outputs()
    assert {("counts", ".csv"), ("report", ".xlsx"), ("export ledger", ".xlsx")} <= written  # the scan works
    imports = {(n, s) for n, s in written if n.startswith("import ")}  # every import writes the same report
    assert not (written - imports) - walked
    assert imports and {s for _, s in imports} == {".csv"}


@pytest.mark.parametrize("name,suffix,argv", COMMANDS, ids=[f"{n}{s}" for n, s, _ in COMMANDS])
def test_every_file_the_command_line_writes_is_safe_to_open(hostile_city, tmp_path, name, suffix, argv):
    from geo.cli import main

    out = tmp_path / f"out{suffix}"
    args = [a.format(street=hostile_city.street) for a in argv] + ["--out", str(out), "--db", hostile_city.url]
    assert main(args) == 0
    seeded = assert_safe(out.name, out.read_bytes())
    assert seeded or name not in CARRIES_SEED_CLI, f"{name}{suffix} holds none of the hostile strings"


def test_the_import_report_of_skipped_rows_is_safe_to_open(hostile_city, tmp_path):
    from geo.cli import main

    source = tmp_path / "bad.csv"
    source.write_bytes(_bad_rows_file())
    report = tmp_path / "skipped.csv"
    assert main(["import", "ledger", str(source), "--report", str(report), "--db", hostile_city.url]) == 0
    assert_safe(report.name, report.read_bytes())
    assert reports_a_hostile_row(report.read_bytes())
