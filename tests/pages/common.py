"""Running pages under AppTest as a signed-in account (a real log-on through the form)."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from geo.ingest.demo import demo_password
from tests.conftest import ROOT


def sign_in(at: AppTest, user: str, password: str | None = None) -> AppTest:
    at.text_input(key="auth.username").set_value(user)
    at.text_input(key="auth.password").set_value(password if password is not None else demo_password(user))
    at.button[0].click().run()  # the form's submit button
    return at


def run_page(script: str, lang: str = "zh", user: str | None = "admin") -> AppTest:
    """``script`` run by ``user`` (None: nobody signed in) through the router."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["app.lang"] = lang
    at.run()
    if user:
        sign_in(at, user)
    if script != "app.py":
        at.switch_page(str(ROOT / script)).run()
    return at


def router_pages() -> list[str]:
    """The page scripts of the router's PAGES table, read from app.py."""
    import ast

    tree = ast.parse((ROOT / "app.py").read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "PAGES" for t in node.targets):
            return [elt.elts[0].value for elt in node.value.elts]
    raise AssertionError("app.py has no PAGES table")


def shown(markdown: str) -> str:
    """What a reader sees of Markdown source whose punctuation is escaped (``geo.ui.markup.plain``)."""
    import re

    return re.sub(r"\\(.)", r"\1", markdown)


def submit(at: AppTest, label: str) -> AppTest:
    """Press the button labelled ``label`` (a form's submit button; as the reader sees it) and run the page."""
    next(b for b in at.button if b.label == label or shown(b.label) == label).click().run()
    return at


def drawn_maps(monkeypatch, module: str, shown: str = "show_cell_map") -> list:
    """Every map the page hands to a map component, in order; ``module`` is the page module that calls
    ``shown`` (e.g. ``"geo.ui.gridview"``). The component still runs: the maps are only kept."""
    import importlib

    where = importlib.import_module(module)
    component = getattr(where, shown)
    maps = []

    def keep(fmap, *args, **kwargs):
        maps.append(fmap)
        return component(fmap, *args, **kwargs)

    monkeypatch.setattr(where, shown, keep)
    return maps


def map_features(fmap, layer: str) -> list[dict]:
    """The GeoJSON features a map draws in its layer named ``layer`` (the name a reader sees in the
    layer control): a cell map's cells (:class:`geo.maps.document.CellMap`) or a folium layer."""
    import html

    import folium

    from geo.maps.document import CellMap

    if isinstance(fmap, CellMap):
        if fmap.cells.name == layer:
            return fmap.cells.features()
        fmap = fmap.fmap
    groups = [c for c in fmap._children.values()
              if isinstance(c, folium.FeatureGroup) and c.layer_name == html.escape(layer)]
    assert groups, f"the map has no layer {layer!r}"
    return [feature for group in groups for child in group._children.values() if isinstance(child, folium.GeoJson)
            for feature in child.data["features"]]
