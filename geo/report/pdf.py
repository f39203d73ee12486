"""A small PDF writer over fpdf2: headings, paragraphs, key figures, tables and images.

Text is set in DejaVu Sans (shipped inside matplotlib's package data) with a CJK font from
the system as fallback (``geo.report.fonts``: Noto Sans CJK from Debian's fonts-noto-cjk, or
WenQuanYi), so Chinese names print; without a CJK font they print as boxes and a warning says
so (with ``SAFEGRID_REQUIRE_FONTS=1`` the document refuses to start instead).
"""

from __future__ import annotations

import io
import logging
from pathlib import Path
from typing import Iterable, Sequence

import matplotlib
import pandas as pd
from fpdf import FPDF
from fpdf.fonts import FontFace

from geo.report.fonts import MISSING_HINT, require_cjk

log = logging.getLogger(__name__)

HEADER_FILL = (230, 236, 245)


class _PDF(FPDF):
    footer_text = ""

    def footer(self) -> None:  # called by fpdf2 at the end of every page
        if self.footer_text:
            self.set_y(-10)
            self.set_font("body", size=7)
            self.cell(0, 4, f"{self.footer_text} - {self.page_no()}", align="R")


class Document:
    """An A4 document; ``landscape`` for wide tables."""

    def __init__(self, title: str, *, landscape: bool = False, footer: str = ""):
        self.pdf = _PDF(orientation="L" if landscape else "P", unit="mm", format="A4")
        self.pdf.set_title(title)
        self.pdf.set_creator("SafeGrid")
        self.pdf.set_auto_page_break(True, margin=14)
        fonts = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
        self.pdf.add_font("body", "", str(fonts / "DejaVuSans.ttf"))
        self.pdf.add_font("body", "B", str(fonts / "DejaVuSans-Bold.ttf"))
        cjk = require_cjk()
        if cjk:
            self.pdf.add_font("cjk", "", cjk[0], collection_font_number=cjk[2])
            self.pdf.add_font("cjk", "B", cjk[1], collection_font_number=cjk[2])
            self.pdf.set_fallback_fonts(["cjk"])
        else:
            log.warning("no CJK font found, so Chinese prints as boxes: %s", MISSING_HINT)
        self.pdf.footer_text = footer
        self.pdf.set_font("body", size=10)

    @property
    def width(self) -> float:
        return self.pdf.epw

    def page(self) -> None:
        self.pdf.add_page()
        self.pdf.set_font("body", size=10)

    def heading(self, text: str, size: int = 15) -> None:
        self.pdf.set_font("body", "B", size)
        self.pdf.multi_cell(0, size * 0.5, text, new_x="LMARGIN", new_y="NEXT")
        self.pdf.ln(1.5)
        self.pdf.set_font("body", size=10)

    def text(self, text: str, size: int = 10) -> None:
        self.pdf.set_font("body", size=size)
        self.pdf.multi_cell(0, size * 0.5, text, new_x="LMARGIN", new_y="NEXT")
        self.pdf.ln(1)
        self.pdf.set_font("body", size=10)

    def figures(self, pairs: Sequence[tuple[str, str]], columns: int = 4) -> None:
        """Key figures as boxes: label above, value below."""
        w = self.width / columns
        for start in range(0, len(pairs), columns):
            y = self.pdf.get_y()
            for i, (label, value) in enumerate(pairs[start:start + columns]):
                x = self.pdf.l_margin + i * w
                self.pdf.set_xy(x, y)
                small = 8
                self.pdf.set_font("body", size=small)
                while small > 5 and self.pdf.get_string_width(label) > w - 4:
                    small -= 0.5
                    self.pdf.set_font("body", size=small)
                self.pdf.cell(w - 2, 5, label, border="LTR")
                self.pdf.set_xy(x, y + 5)
                size = 13
                self.pdf.set_font("body", "B", size)
                while size > 7 and self.pdf.get_string_width(value) > w - 4:
                    size -= 1
                    self.pdf.set_font("body", "B", size)
                self.pdf.cell(w - 2, 8, value, border="LBR")
            self.pdf.set_xy(self.pdf.l_margin, y + 15)
        self.pdf.set_font("body", size=10)

    def table(self, frame: pd.DataFrame, *, widths: Iterable[float] | None = None, size: int = 8,
              align_numbers: bool = True) -> None:
        """A table from a data frame (headers = its column names); long tables run onto new pages
        with the header repeated."""
        if frame.empty:
            return
        self.pdf.set_font("body", size=size)
        numeric = [pd.api.types.is_numeric_dtype(frame[c]) for c in frame.columns]
        aligns = tuple("RIGHT" if (n and align_numbers) else "LEFT" for n in numeric)
        with self.pdf.table(col_widths=tuple(widths) if widths else None, text_align=aligns, line_height=size * 0.55,
                            headings_style=FontFace(emphasis="BOLD", fill_color=HEADER_FILL),
                            repeat_headings=1) as table:
            row = table.row()
            for c in frame.columns:
                row.cell(str(c))
            for values in frame.itertuples(index=False):
                row = table.row()
                for v in values:
                    row.cell(_fmt(v))
        self.pdf.ln(2)
        self.pdf.set_font("body", size=10)

    def image(self, png: bytes, width: float | None = None) -> None:
        self.pdf.image(io.BytesIO(png), w=width or self.width)
        self.pdf.ln(2)

    def output(self) -> bytes:
        return bytes(self.pdf.output())


def _fmt(v) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return ""
    if isinstance(v, bool):
        return "✓" if v else ""
    if isinstance(v, float):
        return f"{v:,.2f}".rstrip("0").rstrip(".") if abs(v) < 1e6 else f"{v:,.0f}"
    return str(v)
