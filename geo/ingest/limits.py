"""Limits on what one import may read: declared as data, each overridable by an environment variable.

Every reader checks these before it holds more than the limit in memory, so a hostile file (a
gzip or zip bomb, a device posing as a CSV, a single enormous field) is refused with a message
naming the limit and the setting that raises it. The README's security section lists them; a
test checks that every setting here is documented there.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

MIB = 1024 ** 2


@dataclass(frozen=True)
class Limit:
    name: str  # environment variable that overrides the default
    default: int
    unit: str  # "bytes", "rows", "characters", "files", "columns"
    help: str

    def value(self) -> int:
        raw = os.environ.get(self.name)
        if raw is None or not raw.strip():
            return self.default
        try:
            value = int(raw.replace("_", ""))
        except ValueError:
            raise ValueError(f"{self.name}={raw!r}: expected a whole number of {self.unit}") from None
        if value <= 0:
            raise ValueError(f"{self.name}={raw!r}: must be positive")
        return value


LIMITS = (
    Limit("SAFEGRID_MAX_FILE_BYTES", 1024 * MIB, "bytes",
          "size of the file as uploaded or on disk (compressed or not)"),
    Limit("SAFEGRID_MAX_TEXT_BYTES", 256 * MIB, "bytes",
          "size of a CSV after decompression (a .csv.gz or a CSV inside a .zip), and of a GeoJSON file"),
    Limit("SAFEGRID_MAX_ARCHIVE_BYTES", 512 * MIB, "bytes",
          "total size of the members of a .zip or .xlsx once unpacked (the archive's own directory is "
          "checked before anything is unpacked)"),
    Limit("SAFEGRID_MAX_ZIP_FILES", 64, "files", "number of members of a .zip (a zipped shapefile has 4 to 8)"),
    Limit("SAFEGRID_MAX_ROWS", 2_000_000, "rows", "rows (or features) in one file"),
    Limit("SAFEGRID_MAX_COLUMNS", 500, "columns", "columns in one file"),
    Limit("SAFEGRID_MAX_CELLS", 40_000_000, "cells",
          "rows times columns (a wide file of empty cells costs memory per cell, not per byte)"),
    Limit("SAFEGRID_MAX_FIELD_CHARS", 20_000, "characters",
          "characters in one cell: a longer cell skips its row"),
)
_BY_NAME = {limit.name: limit for limit in LIMITS}


def limit(name: str) -> int:
    """The value in force of the setting ``name`` (e.g. ``"SAFEGRID_MAX_ROWS"``)."""
    return _BY_NAME[name].value()


def describe(size: int) -> str:
    """A size for a message: ``256 MiB``, ``1.5 GiB``, ``640 KiB``."""
    for unit, factor in (("GiB", 1024 ** 3), ("MiB", MIB), ("KiB", 1024)):
        if size >= factor:
            amount = size / factor
            return f"{amount:.0f} {unit}" if amount == int(amount) else f"{amount:.1f} {unit}"
    return f"{size} bytes"
