"""Column presets: named mappings from a publisher's columns to SafeGrid's fields.

Presets are data (``data/presets/<name>.json``). A mapping value is a column name, or
``{"join": [columns], "sep": " "}``, ``{"first_of": [columns]}`` or ``{"const": value}``.
A preset also carries its time zone, source name and coordinate system.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from geo.ingest.errors import ImportRefused
from geo.ingest.fields import LAYERS, fold
from geo.ingest.reasons import reason as because

PRESET_DIR = Path(__file__).resolve().parents[2] / "data" / "presets"


@dataclass
class Preset:
    name: str
    timezone: str | None = None
    source: str | None = None
    crs: str | None = None
    layers: dict = field(default_factory=dict)

    def mapping(self, layer: str) -> dict:
        return dict(self.layers.get(layer, {}).get("map", {}))

    def formats(self, layer: str) -> dict:
        return dict(self.layers.get(layer, {}).get("formats", {}))


def preset_names() -> list[str]:
    return sorted(p.stem for p in PRESET_DIR.glob("*.json"))


def load_preset(name: str | None) -> Preset:
    if not name:
        return Preset("none")
    path = PRESET_DIR / f"{name}.json"
    if name not in preset_names() or not path.exists():  # only the shipped files: a name is never a path
        raise ImportRefused(because("unknown_preset", preset=name, presets=tuple(preset_names())))
    doc = json.loads(path.read_text(encoding="utf-8"))
    return Preset(doc["name"], doc.get("timezone"), doc.get("source"), doc.get("crs"), doc.get("layers", {}))


def parse_map_args(items: list[str] | None, layer: str) -> dict:
    """``["x=LON", "category=Type"]`` into a mapping, checking the field names."""
    known = {f.name for f in LAYERS[layer]}
    out = {}
    for item in items or []:
        if "=" not in item:
            raise ImportRefused(because("map_syntax", item=item))
        fieldname, column = (part.strip() for part in item.split("=", 1))
        if fieldname not in known:
            # Accept COLUMN=FIELD as well, the way DESIGN.md writes it.
            if column in known:
                fieldname, column = column, fieldname
            else:
                raise ImportRefused(because("map_unknown_field", item=item, name=fieldname, layer=layer,
                                            fields=tuple(sorted(known))))
        out[fieldname] = column
    return out


def resolve_columns(frame: pd.DataFrame, layer: str, explicit: dict) -> tuple[pd.DataFrame, dict]:
    """Build one column per known field from the raw frame.

    Precedence: ``explicit`` (``--map`` over preset), then a column already named like the
    field, then an alias. Returns the fields frame and which source each field came from.
    A mapping that names a column the file lacks refuses the file.
    """
    by_fold = {fold(c): c for c in frame.columns}
    out = pd.DataFrame(index=frame.index)
    used: dict[str, str] = {}
    for f in LAYERS[layer]:
        spec = explicit.get(f.name)
        if spec is not None:
            out[f.name] = _apply(frame, spec, f.name)
            used[f.name] = json.dumps(spec, ensure_ascii=False) if not isinstance(spec, str) else spec
            continue
        for candidate in (f.name, *f.aliases):
            col = by_fold.get(fold(candidate))
            if col is not None:
                out[f.name] = frame[col]
                used[f.name] = col
                break
    return out, used


def _apply(frame: pd.DataFrame, spec, fieldname: str) -> pd.Series:
    if isinstance(spec, str):
        if spec not in frame.columns:
            raise ImportRefused(because("map_missing_column", column=spec, field=fieldname,
                                        columns=tuple(map(str, frame.columns))))
        return frame[spec]
    if "const" in spec:
        return pd.Series(spec["const"], index=frame.index, dtype=object)
    if "first_of" in spec:
        for col in spec["first_of"]:
            if col in frame.columns:
                return frame[col]
        raise ImportRefused(because("map_first_of_missing", columns=tuple(map(str, spec["first_of"])), field=fieldname))
    if "join" in spec:
        missing = [c for c in spec["join"] if c not in frame.columns]
        if missing:
            raise ImportRefused(because("map_join_missing", columns=tuple(map(str, missing)), field=fieldname))
        parts = [frame[c].astype("string") for c in spec["join"]]
        joined = parts[0].fillna("")
        for part in parts[1:]:
            joined = joined + spec.get("sep", " ") + part.fillna("")
        empty = pd.concat([p.isna() for p in parts], axis=1).all(axis=1)
        return joined.astype(object).where(~empty, None)
    raise ImportRefused(because("map_not_understood", field=fieldname, spec=repr(spec)))
