"""Printable documents: text (Latin and Chinese) comes back out of the PDF, long tables repeat their
header on every page, static maps draw something where the shapes are."""

from __future__ import annotations

import io

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from PIL import Image
from pypdf import PdfReader

from geo.report import fonts
from geo.report import pdf as pdfmod
from geo.report.pdf import Document
from geo.report.staticmap import Layer, render


def _text(body: bytes) -> list[str]:
    return [p.extract_text().replace("\x00", "") for p in PdfReader(io.BytesIO(body)).pages]


def test_headings_figures_and_a_long_table_come_back_out(cjk_font):
    doc = Document("t", footer="SafeGrid test")
    doc.page()
    doc.heading("Report for 东城街道")
    doc.figures([("Incidents, 28 days", "1,234"), ("Year on year", "-12.5%")])
    rows = pd.DataFrame({"cell": [f"C{i:03d}" for i in range(120)], "count": np.arange(120)})
    doc.table(rows)
    pages = _text(doc.output())
    assert len(pages) >= 3  # 120 rows do not fit on one page
    whole = "\n".join(pages)
    assert "东城街道" in whole.replace(" ", "") and "1,234" in whole and "-12.5%" in whole
    assert all(f"C{i:03d}" in whole for i in range(120))
    assert all("cell" in p and "count" in p for p in pages)  # the header is repeated on every page
    assert all("SafeGrid test" in p for p in pages)


def _no_cjk_font(monkeypatch):
    monkeypatch.setattr(fonts, "CJK_CANDIDATES", ())
    monkeypatch.setattr(fonts, "_fontconfig_cjk", lambda: None)
    monkeypatch.delenv("SAFEGRID_CJK_FONT", raising=False)


def test_without_a_cjk_font_it_still_writes_and_warns(monkeypatch, caplog):
    _no_cjk_font(monkeypatch)
    monkeypatch.delenv("SAFEGRID_REQUIRE_FONTS", raising=False)
    doc = Document("t")
    doc.page()
    doc.text("Latin only")
    assert "Latin only" in _text(doc.output())[0]
    assert any("no CJK font" in r.getMessage() for r in caplog.records)


def test_without_a_cjk_font_pdfs_and_maps_refuse_where_fonts_are_required(monkeypatch):
    _no_cjk_font(monkeypatch)
    monkeypatch.setenv("SAFEGRID_REQUIRE_FONTS", "1")
    with pytest.raises(fonts.FontsMissing, match="fonts-noto-cjk"):
        Document("t")
    cells = gpd.GeoDataFrame(geometry=[shapely.box(112.90, 28.10, 112.91, 28.11)], crs=4326)
    with pytest.raises(fonts.FontsMissing):
        render([Layer(cells, "fill")], size_in=(2, 2), dpi=50)


def test_a_font_installed_after_matplotlib_built_its_cache_is_still_used(cjk_font, monkeypatch):
    """matplotlib lists the fonts it found when its cache was made: a CJK font installed later is
    registered with it by path, so the maps' legends do not fall back to boxes."""
    from matplotlib import font_manager

    path = fonts.cjk_font()[0]
    kept = [f for f in font_manager.fontManager.ttflist if f.fname != path]
    monkeypatch.setattr(font_manager.fontManager, "ttflist", kept)
    fonts._registered_family.cache_clear()
    family = fonts.matplotlib_families()[1]
    assert any(f.fname == path for f in font_manager.fontManager.ttflist)
    assert font_manager.findfont(family, fallback_to_default=False) == path
    fonts._registered_family.cache_clear()


def test_static_map_draws_the_filled_cells_in_their_colour():
    cells = gpd.GeoDataFrame({"code": ["a", "b"], "color": ["#d7301f", "#2166ac"]},
                             geometry=[shapely.box(112.90, 28.10, 112.91, 28.11), shapely.box(112.91, 28.10, 112.92, 28.11)],
                             crs=4326)
    png = render([Layer(cells, "fill", color="color", label_column="code", legend={"hot": "#d7301f"})],
                 size_in=(4, 3), dpi=80)
    image = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).reshape(-1, 3).astype(int)
    red = np.all(np.abs(image - [0xd7, 0x30, 0x1f]) < 12, axis=1).mean()
    blue = np.all(np.abs(image - [0x21, 0x66, 0xac]) < 12, axis=1).mean()
    assert red > 0.05 and blue > 0.05  # both cells drawn, each a fair share of the picture
    empty = render([Layer(cells.iloc[:0], "fill")], size_in=(2, 2), dpi=50)
    assert empty.startswith(b"\x89PNG")


@pytest.mark.parametrize("value,text", [(None, ""), (float("nan"), ""), (True, "✓"), (3.5, "3.5"), (2.0, "2"),
                                        (1234567.0, "1,234,567"), ("x", "x")])
def test_cell_formatting(value, text):
    assert pdfmod._fmt(value) == text
