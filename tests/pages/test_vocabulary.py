"""One vocabulary, both languages: every page says everything in the user's words.

Every page of the router is walked in Chinese and in English, as the account that sees the most
(an admin; the wall account for the wall), with the buttons that make results pressed (a camera
plan, a zone proposal, an area report, an import with refused rows, a ledger action without its
note). Everything a person sees is collected from the AppTest tree: titles, Markdown, captions,
alerts, metric labels and values, button, tab and expander labels, widget labels, help texts and
option labels as shown (after ``format_func``), the text a text box starts with, table headers and
cells, chart axis titles and temporal axes, and the headers and cells of every CSV and workbook
offered for download. The walk fails on

(a) a raw code from the domain's own code lists (ledger statuses, kinds and categories, incident
    categories, roles, shifts, place kinds, camera states, plan methods, hotspot, LISA and emerging
    classes, neighbour kinds, audit actions and outcomes, analysis and table column names, report
    sources, area levels), matched as a whole token;
(b) ``None``, ``nan`` and friends shown as a value, or an empty table cell (shown as "None");
(c) on English pages any CJK character; on Chinese pages any English word of three letters or more
    that the English catalogue (or Streamlit's own widget texts) uses, bar a short allow-list; and a
    select box or multiselect that leaves its placeholder to Streamlit (English "Choose options").

Data is not vocabulary: names of areas, zones, teams and places, ledger titles, descriptions and
units, camera owners, campaign names, account names and the like are read from the database and
removed from each text before it is checked.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache

import openpyxl
import pytest
from sqlalchemy import text

from tests.conftest import ROOT, backend_demo
from geo.ingest.demo import demo_password
from geo.ui.i18n import LANGUAGES
from tests.pages.common import router_pages, sign_in

LANGS = ("zh", "en")
# page -> the accounts walked (the account that sees the most; the wall account for the wall)
ACCOUNTS = {page: ("admin",) for page in router_pages()}
ACCOUNTS["pages/wall.py"] = ("admin", "wall")

# Latin words that are names, units or standards, the same in both languages (case-insensitive)
ALLOWED_WORDS = {
    "csv", "pdf", "excel", "xlsx", "geojson", "gcj", "wgs", "utc", "kde", "safegrid", "leaflet",  # formats, names
    "moran", "getis", "ord", "lisa", "highs",  # statistics named after people, a solver's name
    "sso", "url", "api", "png", "gpkg", "shp", "cgcs", "epsg", "wall",  # standards, file kinds
    "pct", "km", "gmt", "zip", "shapefile", "geopackage", "gbk", "utf",
    "dori", "iec", "tan",  # the camera standard (IEC 62676-4 DORI levels) and its distance formula
}
# words Streamlit itself shows when the app does not set them (its default placeholders and the like)
STREAMLIT_WORDS = {"choose", "option", "options", "select", "browse", "files", "drag", "drop", "limit", "per"}
CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\u3000-\u303f\uff01-\uff60\ufe30-\ufe4f]")
LATIN_WORD = re.compile(r"(?<![A-Za-z0-9_])[A-Za-z]{3,}(?![A-Za-z0-9_])")
TOKEN = re.compile(r"[A-Za-z0-9_]+(?:[.:][A-Za-z0-9_]+)*")
EMPTY_WORDS = {"None", "nan", "NaN", "NaT", "<NA>", "null"}
MARKUP = re.compile(r"<(style|script)\b.*?</\1>|<[^>]*>", re.S)  # markup a reader never sees
EMPTY_TOKEN = re.compile(r"(?<![A-Za-z0-9_])(?:None|nan|NaN|NaT|null)(?![A-Za-z0-9_])|<NA>")


# ---- the vocabulary --------------------------------------------------------------------------------

def domain_codes() -> set[str]:
    """The code lists of the domain, from the modules that define them."""
    from geo.cli import HOTSPOT_COLUMNS
    from geo.core import auth, campaigns, classify, emerging, grid, ledger, timeutil
    from geo.core.democity import LEDGER_STATUSES
    from geo.core.hotspots import HOT
    from geo.ingest import fields
    from geo.store import analysis, audit, blindspots, camera_plan, measures, patrol, scope
    from geo.store.ledger import COLUMNS as LEDGER_COLUMNS
    from geo.store.models import Base
    from geo.ui import coverage as ui_coverage, gridview, hotspots

    codes: set[str] = set()
    codes |= set(ledger.STATUSES) | set(ledger.KINDS) | set(ledger.ACTIONS) | set(ledger.PAST.values())
    codes |= set(LEDGER_STATUSES) | set(auth.ROLES) | set(patrol.SHIFTS)
    codes |= set(fields.PLACE_KIND.values()) | set(fields.CAMERA_STATUS.values())
    codes |= set(fields.LEDGER_KIND.values()) | set(fields.LEDGER_STATUS.values())
    codes |= {"greedy", "exact", "queen", "distance", "database", "hand"}  # plan methods, neighbours, sources
    codes |= set(hotspots.GI_CLASSES) | set(emerging.CATEGORIES) | set(HOT)
    codes |= set(analysis.METHODS) | set(hotspots.METHODS) | set(classify.METHODS)
    codes |= {c for cols in HOTSPOT_COLUMNS.values() for c in cols} | set(LEDGER_COLUMNS)
    codes |= set(measures.MEASURES) | set(gridview.MEASURES) | set(ui_coverage.MEASURES) | set(camera_plan.DEMANDS)
    codes |= set(camera_plan.LEVELS) | set(blindspots.BANDS)  # DORI levels
    codes |= set(audit.OUTCOMES) | set(grid.LEVELS) | set(scope.ACCOUNT_LEVELS) | set(timeutil.QUICK_PERIODS)
    codes |= {i.key for i in campaigns.INDICATORS.values()}
    codes |= {"download", "import", "logon", "logoff", "report", "export"}  # audit actions without a list
    for table in Base.metadata.tables.values():  # stored column names with an underscore: never a header
        codes |= {c.name for c in table.columns if "_" in c.name}
    return {c for c in codes if c and not c.isdigit()}


@dataclass
class Vocabulary:
    codes: set[str]
    distinctive: set[str]  # codes that are no English word of the catalogue: flagged in English text too
    english: set[str]  # lower-case words of the English catalogue and of Streamlit's own texts
    data: re.Pattern | None  # data strings (names, titles, ...) removed before checking


@lru_cache(maxsize=1)
def _english_words() -> frozenset[str]:
    from geo.ui.i18n import catalogue

    words = set()
    for entry in catalogue().values():
        words |= {w.lower() for w in LATIN_WORD.findall(re.sub(r"\{[^}]*\}", " ", entry["en"]))}
    return frozenset(words)


def vocabulary(codes: set[str], data: set[str]) -> Vocabulary:
    english = set(_english_words()) | STREAMLIT_WORDS
    distinctive = {c for c in codes if not c.isalpha() or c.lower() not in english}
    kept = sorted({d for d in data if len(d.strip()) >= 2 and d not in codes}, key=len, reverse=True)
    pattern = re.compile("|".join(re.escape(d) for d in kept)) if kept else None
    return Vocabulary(codes, distinctive, english, pattern)


# ---- what a person sees ----------------------------------------------------------------------------

@dataclass
class Seen:
    where: str  # element and key, for the message
    text: str
    whole: bool = False  # a single value (cell, option, metric value): equal to a code is a raw code


@dataclass
class Page:
    seen: list[Seen] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # found while collecting (empty cells, placeholders)

    def add(self, where: str, value, whole: bool = False) -> None:
        if isinstance(value, str) and value.strip():
            self.seen.append(Seen(where, value, whole))


def _dataframe(page: Page, where: str, frame, config: dict) -> None:
    """Headers (as labelled by a column config) and cells of a table as shown."""
    import pandas as pd

    for column in frame.columns:
        conf = config.get(str(column), {})
        if conf.get("hidden"):
            continue
        header = conf.get("label") or str(column)
        page.add(f"{where} header", header, whole=True)
        values = frame[column]
        if values.isna().any() and conf.get("type_config", {}).get("type") not in ("checkbox",):
            page.problems.append(f"{where}: column {header!r} has empty cells, shown as None")
        for value in values.dropna().unique()[:400]:
            if isinstance(value, str):
                page.add(f"{where} cell [{header}]", value, whole=True)
            elif isinstance(value, (list, tuple)):
                for item in value:
                    page.add(f"{where} cell [{header}]", str(item), whole=True)
            elif isinstance(value, float) and pd.isna(value):
                page.problems.append(f"{where}: column {header!r} shows NaN")
    if frame.index.name or not isinstance(frame.index, pd.RangeIndex):
        if not config.get("_index", {}).get("hidden"):
            for value in list(frame.index)[:400]:
                if isinstance(value, str):
                    page.add(f"{where} index", value, whole=True)


def _chart(page: Page, where: str, spec: str, lang: str) -> None:
    """Axis titles (a field's name when no title is set) and how temporal axes write months."""
    spec = json.loads(spec)
    layers = [spec, *spec.get("layer", []), *[c for k in ("hconcat", "vconcat", "concat") for c in spec.get(k, [])]]
    for layer in layers:
        for channel, enc in (layer.get("encoding") or {}).items():
            if not isinstance(enc, dict) or channel not in ("x", "y", "color", "theta", "column", "row", "size"):
                continue
            guide = "axis" if channel in ("x", "y") else "legend"
            axis = enc.get(guide)
            if axis is None and guide in enc:
                continue  # axis or legend hidden: no title shown
            title = (axis or {}).get("title", enc.get("title", enc.get("field")))
            if isinstance(title, str):
                page.add(f"{where} {channel} title", title, whole=True)
            if enc.get("type") == "temporal":
                fmt = (axis or {}).get("format") or enc.get("timeUnit") and (axis or {}).get("labelExpr")
                if not fmt or (isinstance(fmt, str) and re.search(r"%[bBaA]", fmt)):
                    page.problems.append(f"{where}: the temporal {channel} axis writes month or day names "
                                         "in English (no numeric format)")


def collect(at, lang: str) -> Page:
    """Everything the AppTest tree ``at`` shows a person."""
    from google.protobuf.message import Message

    page = Page()

    def walk(node) -> None:
        proto = getattr(node, "proto", None)
        kind = getattr(node, "type", type(node).__name__)
        key = getattr(node, "key", None)
        where = f"{kind}" + (f"[{key}]" if key and len(str(key)) < 60 else "")
        if isinstance(proto, Message):
            names = {fd.name for fd, _ in proto.ListFields()}
            for name in ("body", "label", "help", "placeholder", "delta", "caption"):
                if name in names and isinstance(getattr(proto, name), str):
                    page.add(f"{where} {name}", getattr(proto, name), whole=name == "label")
            if kind == "metric":
                page.add(f"{where} value", proto.body, whole=True)
            if kind in ("selectbox", "multiselect", "radio", "button_group", "select_slider"):
                options = list(getattr(proto, "options", []))
                if kind == "button_group":
                    options = [o.content for o in proto.options]
                for option in options:
                    page.add(f"{where} option", option, whole=True)
            if kind in ("selectbox", "multiselect") and not proto.placeholder.strip():
                if kind == "multiselect" or not proto.options or not proto.HasField("default"):
                    page.problems.append(f"{where}: no placeholder, Streamlit shows its own English one")
            if kind == "text_input" and proto.HasField("default"):
                page.add(f"{where} value", proto.default, whole=True)
            if kind in ("dataframe", "arrow_data_frame", "table"):
                try:
                    frame = node.value
                except Exception:  # noqa: BLE001 - an element AppTest cannot read is left out
                    frame = None
                if frame is not None:
                    config = json.loads(getattr(proto, "columns", "") or "{}")
                    _dataframe(page, where, frame, config)
            if kind in ("vega_lite_chart", "arrow_vega_lite_chart") and getattr(proto, "spec", ""):
                _chart(page, where, proto.spec, lang)
            if kind == "exception":
                page.problems.append(f"{where}: an exception: {proto.message}")
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return page


CATALOGUE_KEY = re.compile(r"[a-z][a-z_]*(\.[a-z0-9_]+)+")  # how a key missing from the catalogue shows itself
FILE_ENDINGS = (".csv", ".xlsx", ".pdf", ".geojson", ".json", ".gz", ".zip", ".gpkg", ".shp")
PDF_WRAP = re.compile(r"(?<=[\u3000-\u9fff\uff00-\uffef])\s+(?=[\u3000-\u9fff\uff00-\uffef])")


def collect_files(files: dict[str, list[bytes]], page: Page) -> None:
    """Headers and cells of every CSV and workbook offered (CSV: the header row), and every line of
    text of every PDF offered."""
    for name, bodies in files.items():
        for body in bodies:
            if name.endswith(".csv"):
                rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))
                for cell in rows[0] if rows else []:
                    page.add(f"{name} header", cell, whole=True)
            elif name.endswith(".xlsx"):
                book = openpyxl.load_workbook(io.BytesIO(body), read_only=True)
                for sheet in book:
                    page.add(f"{name} sheet name", sheet.title, whole=True)
                    for row in sheet.iter_rows(values_only=True):
                        for c, cell in enumerate(row):
                            if isinstance(cell, str):
                                page.add(f"{name}!{sheet.title} column {c + 1}", cell, whole=True)
            elif name.endswith(".pdf"):
                from pypdf import PdfReader

                for number, sheet in enumerate(PdfReader(io.BytesIO(body)).pages, start=1):
                    text = (sheet.extract_text() or "").replace("\x00", "")
                    # a table cell wraps a name over lines: Chinese never breaks at a space, so the
                    # breaks between two Chinese characters are the layout's, not the text's
                    text = PDF_WRAP.sub("", text)
                    for line in text.splitlines():
                        page.add(f"{name} page {number}", line)


# ---- the check --------------------------------------------------------------------------------------

def check(page: Page, lang: str, vocab: Vocabulary) -> list[str]:
    """What is wrong with a page's texts in ``lang``: one line per problem."""
    found = list(page.problems)
    for seen in page.seen:
        raw = seen.text.strip()
        clean = MARKUP.sub(" ", raw)
        clean = vocab.data.sub(" ", clean) if vocab.data else clean
        clean = re.sub(r"https?://\S+", " ", clean)
        label = f"{seen.where}: {raw[:120]!r}"
        if seen.whole and raw in vocab.codes:
            found.append(f"{label} is a raw code")
        else:
            codes = vocab.codes if lang == "zh" else vocab.distinctive
            raw_codes = sorted({tok for tok in TOKEN.findall(clean) if tok in codes})
            if raw_codes:
                found.append(f"{label} shows the raw code(s) {raw_codes}")
        if CATALOGUE_KEY.fullmatch(raw) and not raw.endswith(FILE_ENDINGS):
            found.append(f"{label} is a catalogue key without its text")
        if raw in EMPTY_WORDS or EMPTY_TOKEN.search(clean):
            found.append(f"{label} shows an empty value as None/nan")
        if lang == "en":
            cjk = CJK.findall(clean)
            if cjk:
                found.append(f"{label} has Chinese on an English page: {''.join(cjk)[:30]!r}")
        else:
            words = sorted({w for w in LATIN_WORD.findall(clean)
                            if w.lower() in vocab.english and w.lower() not in ALLOWED_WORDS})
            if words:
                found.append(f"{label} has English on a Chinese page: {words}")
    return sorted(set(found))[:300]


# ---- the checker, checked ---------------------------------------------------------------------------

def _fake(texts: list[tuple[str, str, bool]], problems: list[str] | None = None) -> Page:
    page = Page(problems=list(problems or []))
    for where, value, whole in texts:
        page.add(where, value, whole)
    return page


def test_the_checker_flags_raw_codes_empty_values_and_the_other_language():
    vocab = vocabulary(domain_codes(), {"东园社区", "Dongyuan Community", "Fix the lamp at gate 3"})
    zh = _fake([("markdown body", "热点等级：hot_99，状态 reported", False),
                ("dataframe cell [状态]", "reported", True),
                ("selectbox option", "bank", True),
                ("error body", "rectify needs a note saying what was done or why", False),
                ("caption body", "东园社区 本周 None 起", False),
                ("markdown body", "Dongyuan Community：导出 CSV 与 Excel", False)])
    found = check(zh, "zh", vocab)
    assert any("hot_99" in f and "raw code" in f for f in found)
    assert any("'reported'" in f and "is a raw code" in f for f in found)
    assert any("'bank'" in f for f in found)
    assert any("English on a Chinese page" in f and "note" in f for f in found)
    assert any("None" in f for f in found)
    assert not any("Dongyuan" in f for f in found), "a name from the database is data, not vocabulary"
    assert not any("CSV" in f for f in found), "allowed words are allowed"
    en = _fake([("title body", "Hotspots 热点", False), ("dataframe header", "gi_z", True),
                ("markdown body", "Area: 东园社区 (AN01)", False), ("metric value", "persistent_hot", True),
                ("text_input value", "queen", True), ("markdown body", "Fix the lamp at gate 3 by day", False),
                ("dataframe header", "ledger.col.due_soon", True), ("download name", "ledger.csv", True)])
    found = check(en, "en", vocab)
    assert any("ledger.col.due_soon" in f and "catalogue key" in f for f in found)
    assert not any("ledger.csv" in f for f in found), "a file name is not a missing key"
    assert any("Chinese on an English page" in f and "热点" in f for f in found)
    assert any("'gi_z'" in f for f in found) and any("persistent_hot" in f for f in found)
    assert any("'queen'" in f for f in found)
    assert not any("东园社区" in f for f in found) and not any("gate 3" in f for f in found)


def test_the_collector_reads_tables_placeholders_and_charts():
    import pandas as pd

    page = Page()
    _dataframe(page, "dataframe", pd.DataFrame({"status": ["reported", None], "n": [1, 2]}),
               {"n": {"label": "件数"}})
    _chart(page, "chart", json.dumps({"encoding": {"x": {"field": "month", "type": "temporal"},
                                                   "y": {"field": "n", "type": "quantitative", "title": "警情"}}}),
           "zh")
    found = check(page, "zh", vocabulary(domain_codes(), set()))
    assert any("status" in f and "raw code" in f for f in found)
    assert any("'reported'" in f for f in found)
    assert any("empty cells" in f for f in found)
    assert any("month or day names" in f for f in found)
    assert not any("件数" in f or "警情" in f for f in found)


# ---- the walk ---------------------------------------------------------------------------------------

DATA_COLUMNS = [("areas", ("name", "name_en", "team", "code")), ("patrol_zones", ("name", "name_en", "team", "code")),
                ("places", ("name", "name_en")), ("cameras", ("owner", "source_id")),
                ("ledger_items", ("title", "description", "responsible_unit", "source_id")),
                ("incidents", ("address", "subcategory")),
                ("campaigns", ("name", "name_en")), ("campaign_phases", ("name", "name_en")),
                ("users", ("username",)), ("ledger_events", ("note",)), ("indicators", ("actual_source",)),
                ("audit_log", ("username", "object", "detail"))]
ACCOUNT_PREFIX = "acct-"  # the demo's account names are role names: renamed, so a role shown raw is caught
# coded columns: their values are codes, whatever the database holds
CODED_COLUMNS = [("ledger_items", "category"), ("ledger_items", "kind"), ("ledger_items", "status"),
                 ("incidents", "category"), ("places", "kind"), ("cameras", "status"), ("users", "role"),
                 ("audit_log", "action"), ("audit_log", "outcome")]


def _database_words(url: str) -> tuple[set[str], set[str]]:
    from geo.store.engine import make_engine
    from geo.store.schema import deployment_timezone

    engine = make_engine(url)
    data, codes = set(), set()
    with engine.connect() as conn:
        for table, columns in DATA_COLUMNS:
            for column in columns:
                data |= {str(v) for v in conn.execute(text(f"SELECT DISTINCT {column} FROM {table}")).scalars()
                         if v is not None}
        for table, column in CODED_COLUMNS:
            codes |= {str(v) for v in conn.execute(text(f"SELECT DISTINCT {column} FROM {table}")).scalars()
                      if v is not None}
        # the database's address and the deployment's time zone (an IANA name such as Asia/Shanghai)
        # are settings shown as they are, not words of either language
        data |= {url, deployment_timezone(conn)}
    engine.dispose()
    return data, codes


@pytest.fixture(scope="module", params=["sqlite"])
def city(request, tmp_path_factory):
    from geo.ingest import demo

    accounts = demo.DEMO_ACCOUNTS
    demo.DEMO_ACCOUNTS = tuple((ACCOUNT_PREFIX + name, role, scope) for name, role, scope in accounts)
    try:
        engine, url = backend_demo(request, tmp_path_factory, seed=7, scale=0.02)
    finally:
        demo.DEMO_ACCOUNTS = accounts
    engine.dispose()
    return url


@pytest.fixture
def app_env(monkeypatch, city):
    monkeypatch.setenv("DATABASE_URL", city)
    monkeypatch.chdir(ROOT)


def _bad_rows_file() -> bytes:
    """A ledger file with one good row and rows refused for different reasons."""
    return ("source_id,kind,found_on,x,y,title\n"
            "ok-1,hazard,2026-06-01,112.93,28.12,fine\n"
            "bad-1,hazard,not a date,112.93,28.12,no date\n"
            "bad-2,hazard,2026-06-01,,,no place\n"
            "bad-3,nonsense,2026-06-01,112.93,28.12,odd kind\n").encode("utf-8")


def _press(at, label_key: str) -> None:
    from geo.ui.i18n import catalogue

    labels = set(catalogue()[label_key].values())
    button = next((b for b in at.button if b.label in labels), None)
    assert button is not None, f"no button {label_key}"
    button.click().run()


def _poke(at, page: str, lang: str) -> list:
    """Press what makes results on ``page``; the trees seen along the way (each is checked)."""
    from geo.ui.i18n import catalogue

    trees = []
    if page == "pages/coverage.py":
        _press(at, "cov.plan.run")
    elif page == "pages/zones.py":
        _press(at, "zones.propose")
        trees.append(collect(at, lang))
        at.button(key="zones.plan.pdf_make").click().run()
    elif page == "pages/campaigns.py":
        at.button(key="report.make").click().run()
    elif page == "pages/import_data.py":
        at.file_uploader(key="import.file").upload("bad.csv", _bad_rows_file(), "text/csv")
        at.selectbox(key="import.layer").set_value("ledger")
        next(b for b in at.button if b.label == catalogue()["import.submit"][lang]).click().run()
    elif page == "pages/hotspots.py":
        for method in ("lisa", "emerging"):
            at.button_group(key="hot.method").set_value(method).run()
            trees.append(collect(at, lang))
        at.button_group(key="hot.method").set_value("gistar").run()
    return trees


def _open(page: str, lang: str, user: str):
    """The router in ``lang`` signed in as the renamed demo account ``user``, switched to ``page``."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.session_state["app.lang"] = lang
    at.run()
    sign_in(at, ACCOUNT_PREFIX + user, demo_password(ACCOUNT_PREFIX + user))
    at.switch_page(str(ROOT / page)).run()
    return at


PAGE_CASES = [(page, lang, user) for page in router_pages() for user in ACCOUNTS[page] for lang in LANGS]


@pytest.mark.parametrize("page,lang,user", PAGE_CASES, ids=[f"{p[6:-3]}-{lang}-{u}" for p, lang, u in PAGE_CASES])
def test_every_page_speaks_one_language_without_raw_codes(app_env, offered, city, page, lang, user):
    at = _open(page, lang, user)
    assert not at.exception, at.exception
    pages = [collect(at, lang)]
    if user == "admin":
        pages += _poke(at, page, lang)
        assert not at.exception, at.exception
        pages.append(collect(at, lang))
    seen = Page()
    for p in pages:
        seen.seen += p.seen
        seen.problems += p.problems
    collect_files(offered, seen)
    data, db_codes = _database_words(city)
    if page == "pages/import_data.py":  # a skip reason quotes the refused cell as it is: data, not vocabulary
        data |= {cell for row in list(csv.reader(io.StringIO(_bad_rows_file().decode())))[1:] for cell in row}
    found = check(seen, lang, vocabulary(domain_codes() | db_codes, data | set(LANGUAGES.values())))
    assert not found, f"{page} in {lang} as {user}: {len(found)} problems:\n" + "\n".join(found)


def test_the_walk_covers_every_page_of_the_router():
    assert {p for p, _, _ in PAGE_CASES} == set(router_pages())
