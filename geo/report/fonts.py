"""Fonts for print: DejaVu Sans for Latin text (inside matplotlib's package data) and a CJK font
from the system for Chinese, shared by the PDF writer (fpdf2) and the static maps (matplotlib).

The CJK font is looked for in this order: ``SAFEGRID_CJK_FONT`` (a .ttf/.otf/.ttc file), the
files of Debian's fonts-noto-cjk and fonts-wqy-microhei / fonts-wqy-zenhei, then whatever
fontconfig lists as covering Simplified Chinese (``fc-list :lang=zh-cn``). Without one Chinese
prints as boxes: a warning says so, and with ``SAFEGRID_REQUIRE_FONTS=1`` making a PDF or a
map fails instead (:class:`FontsMissing`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

# (regular, bold, face index in a collection)
CJK_CANDIDATES = (
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc", 2),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
)
LATIN_FAMILY = "DejaVu Sans"
MISSING_HINT = "install fonts-noto-cjk (scripts/system.sh fonts) or set SAFEGRID_CJK_FONT to a CJK font file"


class FontsMissing(RuntimeError):
    """No CJK font while ``SAFEGRID_REQUIRE_FONTS=1``: Chinese would print as boxes."""


def cjk_font() -> tuple[str, str, int] | None:
    """(regular, bold, collection index) of the first CJK font found, or None."""
    extra = os.environ.get("SAFEGRID_CJK_FONT")
    candidates = ((extra, extra, 0),) + CJK_CANDIDATES if extra else CJK_CANDIDATES
    for regular, bold, index in candidates:
        if Path(regular).is_file() and Path(bold).is_file():
            return regular, bold, index
    return _fontconfig_cjk()


def _fontconfig_cjk() -> tuple[str, str, int] | None:
    """A font fontconfig lists as covering Simplified Chinese (regular style preferred), or None."""
    if not shutil.which("fc-list"):
        return None
    try:
        out = subprocess.run(["fc-list", ":lang=zh-cn", "file", "index", "style", "family"], capture_output=True, text=True,
                             timeout=20, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    found = []
    for line in out.splitlines():  # "/path/font.ttc: Noto Sans CJK SC,...:style=Regular:index=2"
        path, _, rest = line.partition(": ")
        family, *parts = rest.split(":")
        fields = dict(part.split("=", 1) for part in parts if "=" in part)
        if Path(path).is_file():
            simplified = " SC" in family or "WenQuanYi" in family  # the face drawn for Simplified Chinese
            found.append(("Regular" not in fields.get("style", ""), not simplified, path, int(fields.get("index") or 0)))
    if not found:
        return None
    *_, path, index = sorted(found)[0]
    return path, path, index


def require_cjk() -> tuple[str, str, int] | None:
    """:func:`cjk_font`, raising :class:`FontsMissing` when there is none and ``SAFEGRID_REQUIRE_FONTS=1``."""
    found = cjk_font()
    if found is None and os.environ.get("SAFEGRID_REQUIRE_FONTS") == "1":
        raise FontsMissing(f"no CJK font found, so Chinese would print as boxes: {MISSING_HINT}")
    return found


def matplotlib_families() -> list[str]:
    """``font.family`` for matplotlib: DejaVu Sans, then the CJK font's family (registered with
    matplotlib's font manager when its cache was built before the font was installed)."""
    found = require_cjk()
    return [LATIN_FAMILY, *([_registered_family(found[0], found[2])] if found else [])]


@lru_cache(maxsize=8)
def _registered_family(path: str, index: int) -> str:
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    manager = font_manager.fontManager
    if not any(Path(f.fname) == Path(path) for f in manager.ttflist):
        manager.addfont(path)
    try:  # the face the PDF uses (index 2 of Noto Sans CJK is its Simplified Chinese face)
        return FT2Font(path, face_index=index).family_name
    except (TypeError, RuntimeError, OSError):
        names = [f.name for f in manager.ttflist if Path(f.fname) == Path(path)]
        return names[0] if names else LATIN_FAMILY
