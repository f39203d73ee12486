"""A street-scoped leader walks everything: nothing of another street may show, on either backend.

The pages come from the router's own table (``PAGES`` in app.py), so a new page is walked
without editing this test. Each page is run through the real sign-in as ``leader.street1`` and
then poked the way a curious user would: every read-only action button is pressed, every layer
switched on, the search is asked for other streets by name and code, and the card and item
state are pointed at a cell and a ledger item of another street. Everything the page sends is
searched: every element's message (text, tables, map HTML inside the folium component, chart
specs, widget options), every data frame shown and every file offered for download (CSV, Excel,
GeoJSON, PDF text). On PostGIS the app connects as the app role (it owns no table), so
row-level security is part of what is walked. Downloads, reports and the command line are
walked by direct calls too (``--scope``). A code of another street (or of anything below it) or
the name of another street or community fails the test.
"""

from __future__ import annotations

import ast
import io
import re
import zipfile
from types import SimpleNamespace

import pytest
from sqlalchemy import text

from geo.store.areas import load_areas
from geo.store.engine import make_engine
from tests.conftest import BACKENDS, ROOT, app_role_url, backend_demo
from tests.pages.common import run_page, sign_in

USER = "leader.street1"
CLERK = "clerk.street1"  # made here: a scoped clerk also downloads, imports and edits
ACTIONS = ("hot.backtest.run", "report.make", "zones.plan.pdf_make")  # buttons that only read
SWITCHES = ("ledger.recurrence.on", "ledger.pick.on")
OFFERS_FILES = {("pages/ledger.py", CLERK): 2, ("pages/campaigns.py", USER): 2, ("pages/hotspots.py", USER): 3}


def _router_titles() -> list[tuple[str, str, str]]:
    tree = ast.parse((ROOT / "app.py").read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "PAGES" for t in node.targets):
            return [(elt.elts[0].value, elt.elts[1].value, elt.elts[-1].value) for elt in node.value.elts]
    raise AssertionError("app.py has no PAGES table")


PAGES_WITH_TITLES = _router_titles()  # (file, title key, permission): the browser walk clicks the titles
PAGES = [(path, permission) for path, _, permission in PAGES_WITH_TITLES]


@pytest.fixture(scope="module", params=BACKENDS)
def city(request, tmp_path_factory):
    """The demo city on one backend; the URL the app uses (the app role on PostGIS) and what lies outside."""
    from geo.ingest.demo import demo_password
    from geo.store import accounts

    engine, url = backend_demo(request, tmp_path_factory, seed=11, scale=0.05)
    app_url = url if request.param == "sqlite" else app_role_url(url)
    with engine.connect() as conn:
        mine = conn.execute(text("SELECT scope_code FROM users WHERE username = :u"), {"u": USER}).scalar()
    accounts.add(engine, "test", CLERK, demo_password(CLERK), "clerk", mine)
    with engine.connect() as conn:
        others = conn.execute(text("SELECT code FROM areas WHERE level = 'street' AND code <> :s ORDER BY code"),
                              {"s": mine}).scalars().all()
        names = conn.execute(text("SELECT name FROM areas WHERE level IN ('street', 'community') AND parent_code <> :s "
                                  "AND code <> :s AND name IS NOT NULL"), {"s": mine}).scalars().all()
        cell_out = conn.execute(text("SELECT code FROM areas WHERE level = 'grid' AND code LIKE :p ORDER BY code"),
                                {"p": others[0] + "%"}).scalar()
        item_out = conn.execute(text("SELECT id FROM ledger_items WHERE street_code = :s ORDER BY id"),
                                {"s": others[0]}).scalar()
        street_name = conn.execute(text("SELECT name FROM areas WHERE code = :c"), {"c": others[0]}).scalar()
        areas = load_areas(conn, "street")
    engine.dispose()
    county = areas.total_bounds
    box = areas[areas["code"] == mine].total_bounds
    assert mine and len(others) >= 2 and names and cell_out and item_out
    # demo codes nest: a cell's code starts with its community's, which starts with its street's
    yield SimpleNamespace(url=app_url, owner_url=url, mine=mine, others=others,
                          codes=re.compile("|".join(re.escape(c) for c in others)),
                          names=sorted(set(names) - {""}), cell_out=cell_out, item_out=int(item_out),
                          street_name=street_name, county=county, box=box)


@pytest.fixture
def app_env(monkeypatch, city):
    monkeypatch.setenv("DATABASE_URL", city.url)
    monkeypatch.chdir(ROOT)


@pytest.fixture
def downloads(monkeypatch):
    """Every file a page hands to the browser during a run (download buttons, images), as bytes."""
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

    files: list[bytes] = []
    original = MemoryMediaFileStorage.load_and_get_id

    def keep(self, path_or_data, mimetype, kind, filename=None):
        files.append(path_or_data if isinstance(path_or_data, bytes) else
                     path_or_data.encode("utf-8") if isinstance(path_or_data, str) else b"")
        return original(self, path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", keep)
    return files


def file_text(body: bytes) -> str:
    """The readable text of a download: PDF text, every cell of a workbook, or the bytes as UTF-8."""
    if body.startswith(b"%PDF"):
        from pypdf import PdfReader

        return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(body)).pages)
    if body.startswith(b"PK") and zipfile.is_zipfile(io.BytesIO(body)):
        import openpyxl

        book = openpyxl.load_workbook(io.BytesIO(body), read_only=True)
        return "\n".join(str(v) for sheet in book for row in sheet.iter_rows(values_only=True) for v in row
                         if v is not None)
    return body.decode("utf-8", errors="replace")


def _everything_sent(at, files: list[bytes]) -> str:
    out = []

    def walk(node):
        proto = getattr(node, "proto", None)
        if proto is not None:
            out.append(str(proto))
        children = getattr(node, "children", None)
        if isinstance(children, dict):
            for child in children.values():
                walk(child)

    walk(at._tree)
    out += [frame.value.to_csv() for frame in at.dataframe]
    out += [file_text(body) for body in files]
    return "\n".join(out)


PAIR = re.compile(r"\[\s*(-?\d{1,3}\.\d{2,})\s*,\s*(-?\d{1,3}\.\d{2,})\s*\]")
TOLERANCE_DEG = 0.004  # ~400 m: a camera's field of view or a kernel's edge may reach past the street


def positions_outside(city, sent: str) -> list[tuple[float, float]]:
    """Coordinate pairs on the page (GeoJSON [lon, lat] or Leaflet [lat, lon]) that lie in the county
    but outside the account's street (with a small tolerance): drawn places of another street."""
    x0, y0, x1, y1 = city.county
    bx0, by0, bx1, by1 = city.box
    out = []
    for a, b in PAIR.findall(sent):
        a, b = float(a), float(b)
        for lon, lat in ((a, b), (b, a)):
            if x0 <= lon <= x1 and y0 <= lat <= y1:
                if not (bx0 - TOLERANCE_DEG <= lon <= bx1 + TOLERANCE_DEG
                        and by0 - TOLERANCE_DEG <= lat <= by1 + TOLERANCE_DEG):
                    out.append((lon, lat))
                break
    return out


def assert_nothing_outside(city, sent: str, where: str) -> None:
    leaked = sorted(set(city.codes.findall(sent)))
    assert not leaked, f"{where} shows codes of other streets: {leaked[:10]}"
    shown = [n for n in city.names if n in sent]
    assert not shown, f"{where} shows names of other areas: {shown[:10]}"
    drawn = positions_outside(city, sent)
    assert not drawn, f"{where} draws {len(drawn)} places outside the account's street, e.g. {drawn[:3]}"


def _poke(at, city) -> list[str]:
    """Press what only reads, switch on what adds to the page, ask for what lies outside."""
    seen = []
    for key in SWITCHES:
        if any(getattr(w, "key", None) == key for w in at.toggle):
            at.toggle(key=key).set_value(True).run()
            seen.append(_everything_sent(at, []))
    if any(getattr(w, "key", None) == "grid.layers" for w in at.multiselect):
        from geo.ui.gridview import EXTRA_LAYERS
        from geo.ui.i18n import catalogue

        box = at.multiselect(key="grid.layers")
        offered = [name for name in EXTRA_LAYERS if catalogue()[f"layer.{name}"]["zh"] in box.options]
        assert offered, box.options
        box.set_value(offered).run()
        seen.append(_everything_sent(at, []))
    for key in ACTIONS:
        if any(getattr(b, "key", None) == key for b in at.button):
            at.button(key=key).click().run()
    if any(getattr(w, "key", None) == "grid.search" for w in at.text_input):
        for query in (city.street_name, city.others[0], city.cell_out):
            at.text_input(key="grid.search").set_value(query).run()
            seen.append(_everything_sent(at, []))
        at.text_input(key="grid.search").set_value("").run()
    return seen


@pytest.mark.parametrize("user,role", [(USER, "leader"), (CLERK, "clerk")], ids=["leader", "clerk"])
@pytest.mark.parametrize("page,permission", PAGES, ids=[p for p, _ in PAGES])
def test_a_street_account_sees_nothing_of_other_streets(app_env, city, downloads, page, permission, user, role):
    from geo.core.auth import allowed

    if not allowed(role, permission):  # not in this role's navigation at all
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            run_page(page, "zh", user)
        return
    at = run_page(page, "zh", user)
    assert not at.exception, at.exception
    first = _everything_sent(at, downloads)
    assert len(first) > 100  # the page did render
    poked = _poke(at, city)
    assert not at.exception, at.exception
    if (page, user) in OFFERS_FILES:  # the walk did read the files the page offers
        assert len(downloads) >= OFFERS_FILES[page, user], f"{page}: {len(downloads)} files"
    assert_nothing_outside(city, "\n".join([first, *poked, _everything_sent(at, downloads)]), page)


@pytest.mark.parametrize("key,value,page", [("grid.cell", "cell_out", "pages/grid_map.py"),
                                            ("ledger.item", "item_out", "pages/ledger.py")],
                         ids=["grid-card", "ledger-card"])
def test_a_card_of_another_street_does_not_open(app_env, city, downloads, key, value, page):
    """Pointing the page's own state at a cell or item of another street (as a crafted session or a stale
    one could) shows nothing of it."""
    at = run_page(page, "zh", USER)
    at.session_state[key] = getattr(city, value)
    at.run()
    assert not at.exception, at.exception
    assert_nothing_outside(city, _everything_sent(at, downloads), f"{page} with {key}")


def test_the_walk_finds_a_leak_when_there_is_one(app_env, city, downloads):
    """The same search on a county-wide account's ledger page finds other streets' codes."""
    assert city.codes.findall(_everything_sent(run_page("pages/ledger.py", "zh", "leader"), downloads))


def test_the_sign_in_is_real(app_env, city):
    """The walk signs in through the form: a wrong password leaves the log-on form up."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    sign_in(at, USER, "not-the-password")
    assert any(getattr(w, "key", None) == "auth.username" for w in at.text_input)


# ---- downloads, reports and the command line, called directly ---------------------------------

EXPORTS = ("incidents", "areas", "cameras", "places", "ledger")
READS = [
    ("counts", ["counts", "--level", "grid", "--out", "{d}/counts.csv"]),
    ("hotspots", ["hotspots", "--level", "grid", "--method", "gistar", "--out", "{d}/gi.geojson"]),
    ("coverage", ["coverage", "--level", "community", "--out", "{d}/coverage.csv"]),
    ("plan-cameras", ["plan-cameras", "--add", "3", "--out", "{d}/plan.csv"]),
    ("report-pdf", ["report", "--area", "{mine}", "--out", "{d}/report.pdf"]),
    ("report-xlsx", ["report", "--area", "{mine}", "--out", "{d}/report.xlsx"]),
    *[(f"export-{layer}-{fmt}", ["export", layer, "--out", f"{{d}}/{layer}.{fmt}"])
      for layer in EXPORTS for fmt in ("csv", "geojson", "xlsx")],
]


FREE_TEXT = ("address", "description", "title", "subcategory")  # a record's own words, e.g. "near <place>"


def _structured(path) -> str:
    """An exported table without the free-text columns of its (in-scope) records."""
    import geopandas as gpd
    import pandas as pd

    frame = pd.read_excel(path) if path.suffix == ".xlsx" else \
        gpd.read_file(path) if path.suffix == ".geojson" else pd.read_csv(path, dtype=str)
    return pd.DataFrame(frame.drop(columns=[c for c in FREE_TEXT if c in frame])).to_csv()


@pytest.mark.parametrize("name,argv", READS, ids=[n for n, _ in READS])
def test_the_command_line_inside_a_scope_reads_nothing_outside_it(city, tmp_path, name, argv):
    from geo.cli import main

    args = [a.format(d=tmp_path, mine=city.mine) for a in argv] + ["--db", city.url, "--scope", city.mine]
    assert main(args) == 0
    out = tmp_path / argv[argv.index("--out") + 1].rsplit("/", 1)[-1]
    body = out.read_bytes()
    assert len(body) > 50
    everything = file_text(body)
    leaked = sorted(set(city.codes.findall(everything)))
    assert not leaked, f"{name} holds codes of other streets: {leaked[:10]}"
    assert_nothing_outside(city, _structured(out) if name.startswith("export-") else everything, name)


def test_the_command_line_refuses_a_report_outside_its_scope(city, tmp_path, capsys):
    from geo.cli import main

    assert main(["report", "--area", city.others[0], "--out", str(tmp_path / "r.pdf"), "--db", city.url,
                 "--scope", city.mine]) == 2
    assert "inside your scope" in capsys.readouterr().err and not (tmp_path / "r.pdf").exists()


def test_no_read_without_a_scope(city):
    """Fail-closed: a store read without a scope is refused; on PostGIS the app's login with no scope set
    reads no row at all (SQLite has no roles: the scope every read requires is its guard)."""
    from geo.store import features

    engine = make_engine(city.url)
    try:
        with engine.connect() as conn:
            with pytest.raises(TypeError):
                features.cameras(conn)
            with pytest.raises(TypeError):
                features.cameras(conn, None)
            if city.url == city.owner_url:
                return
            for table in ("incidents", "ledger_items", "cameras", "places", "incident_daily", "incident_monthly"):
                assert conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar() == 0, table
            assert conn.execute(text("SELECT COUNT(*) FROM areas")).scalar() > 0  # places, not people: open
    finally:
        engine.dispose()
