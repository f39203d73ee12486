"""Row validation: raw cells in, typed values and a reason for every refused row out.

Checks run in a fixed order and the first failing check names the row's reason, so a
report reads the same on every run. Nothing here touches the database.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import shapely

from geo.core import clock
from geo.core.crs import STORAGE_CRS, to_wgs84
from geo.core.distinct import per_distinct
from geo.core.identifiers import mask_pii, mask_pii_series
from geo.core.textscan import contains
from geo.core.timeutil import not_a_date, parse_local_times, written_stamp
from geo.ingest.errors import ImportRefused
from geo.ingest.fields import LAYERS, POLYGON_LAYERS
from geo.ingest.limits import limit
from geo.ingest.reasons import Reason, reason as because

FAR_MARGIN_DEG = 1.0  # about 100 km: points further than this outside the areas are refused
EARLIEST_YEAR = 1900
TEXT_LIMITS = {"category": 100, "subcategory": 200, "address": 300, "status": 50, "kind": 50,
               "title": 300, "name": 200, "name_en": 200, "owner": 200, "team": 200,
               "responsible_unit": 200, "shift": 50, "source_id": 128, "code": 64, "parent": 64}
PAST_DATES = ("found_on", "installed_on")  # dates of what has happened: at most two days ahead (time zones)
_HTML = re.compile(r"<\s*/?\s*[a-zA-Z][^>]*>")


@dataclass
class Validated:
    frame: pd.DataFrame  # typed fields of the accepted rows (index = original row index)
    skipped: list[tuple[int, str]] = field(default_factory=list)
    masked: int = 0
    masked_rows: int = 0
    notes: list[str] = field(default_factory=list)
    masked_fields: dict[str, int] = field(default_factory=dict)  # field -> identifiers masked in it


class _Check:
    """What the checks of one file share: the rows' reasons so far, the typed columns, the notes."""

    def __init__(self, fields: pd.DataFrame, layer: str, tz: str, formats: dict, today: dt.date):
        self.index, self.layer, self.tz, self.formats, self.today = fields.index, layer, tz, formats, today
        self.why = np.full(len(fields), None, dtype=object)  # each row's reason (a Reason, not a str)
        self.refused = pd.Series(False, index=fields.index)
        self.out = pd.DataFrame(index=fields.index)
        self.notes: list = []
        self.masked_fields: dict[str, int] = {}
        self.masked_rows = pd.Series(False, index=fields.index)
        self.cleaned = 0  # cells that had control characters removed

    def refuse(self, mask, code: str, **params) -> None:
        """Rows in ``mask`` not refused yet are refused for ``code``; a ``params`` value that is a
        Series gives each row its own value (the cell it quotes)."""
        mask = pd.Series(mask, index=self.index).fillna(False).astype(bool)
        fresh = mask & ~self.refused
        if not fresh.any():
            return
        self.refused[fresh] = True
        at = np.flatnonzero(fresh.to_numpy())
        per_row = {k: v[fresh].fillna("").tolist() for k, v in params.items() if isinstance(v, pd.Series)}
        if not per_row:
            one = because(code, **params)
            for i in at:
                self.why[i] = one
            return
        fixed = {k: v for k, v in params.items() if k not in per_row}
        for n, i in enumerate(at):
            self.why[i] = because(code, **fixed, **{k: values[n] for k, values in per_row.items()})

    def plain(self, text: pd.Series) -> pd.Series:
        """``text`` without control characters (counted for the note)."""
        text, hit = per_distinct(text, _without_controls)
        self.cleaned += int(hit.sum())
        return text


# ---- one checker per field kind: the cells of one field in, the typed column out ---------------------

def _check_id(c: _Check, spec, raw: pd.Series, text: pd.Series) -> pd.Series:
    text = c.plain(text)
    if spec.required:
        c.refuse(text.isna(), "missing_value", field=spec.name)
    most = TEXT_LIMITS.get(spec.name)
    if most:  # two ids cut to one length would become one: refuse the row instead
        c.refuse(text.str.len() > most, "id_too_long", field=spec.name, most=most)
    return text.astype(object).where(text.notna(), None)


def _check_text(c: _Check, spec, raw: pd.Series, text: pd.Series) -> pd.Series:
    # Every text field is scanned: a unit, team or category name can carry a phone number too.
    # Each distinct value once: a column of categories or places repeats a few hundred values.
    text, controls, counts, html, long = per_distinct(text, lambda t: _scrubbed(t, spec.name))
    c.cleaned += int(controls.sum())
    if counts.any():
        c.masked_fields[spec.name] = int(counts.sum())
        c.masked_rows |= counts > 0
    if spec.kind == "freetext" and html.any():
        c.notes.append(because("note_html", n=int(html.sum()), field=spec.name))
    if long.any():
        c.notes.append(because("note_shortened", n=int(long.sum()), field=spec.name, most=TEXT_LIMITS[spec.name]))
    return text


def _scrubbed(text: pd.Series, name: str) -> tuple[pd.Series, np.ndarray, pd.Series, np.ndarray, np.ndarray]:
    """A text column without control characters, identifiers masked and cut to the field's limit,
    and per value: whether controls were removed, identifiers masked, HTML tags seen, text cut."""
    text, controls = _without_controls(text)
    text, counts = mask_pii_series(text)
    maybe = contains(text, "<", regex=False)
    html = np.zeros(len(text), dtype=bool)
    if maybe.any():
        html[maybe] = text[maybe].astype("string").str.contains(_HTML, na=False).to_numpy(dtype=bool)
    most = TEXT_LIMITS.get(name)
    long = (text.str.len() > most).fillna(False).to_numpy(dtype=bool) if most else np.zeros(len(text), dtype=bool)
    if long.any():
        text = text.where(~long, text.str.slice(0, most))
    return text.astype(object).where(text.notna(), None), controls, counts, html, long


def _check_time(c: _Check, spec, raw: pd.Series, text: pd.Series) -> pd.Series:
    parsed = parse_local_times(raw, c.tz, c.formats.get(spec.name))
    if spec.required:
        c.refuse(parsed.missing, "missing_value", field=spec.name)
    c.refuse(parsed.unparseable, "date_unparseable", field=spec.name, value=text)
    lo = pd.Timestamp(EARLIEST_YEAR, 1, 1, tz="UTC")
    hi = pd.Timestamp(c.today + dt.timedelta(days=2), tz="UTC")
    c.refuse((parsed.utc < lo) | (parsed.utc > hi), "time_out_of_range", field=spec.name, value=text)
    c.notes.extend(parsed.notes)
    return parsed.utc


def _check_date(c: _Check, spec, raw: pd.Series, text: pd.Series) -> list:
    dates, bad = _parse_dates(raw, c.formats.get(spec.name))
    if spec.required:
        c.refuse(text.isna(), "missing_value", field=spec.name)
    c.refuse(bad, "date_unparseable", field=spec.name, value=text)
    years = pd.Series([d.year if d is not None else 2000 for d in dates], index=c.index)
    c.refuse((years < EARLIEST_YEAR) | (years > c.today.year + 50), "date_out_of_range", field=spec.name)
    if spec.name in PAST_DATES:  # a thing found or installed is not found or installed next year
        soon = c.today + dt.timedelta(days=2)
        c.refuse(pd.Series([d is not None and d > soon for d in dates], index=c.index),
                 "date_in_future", field=spec.name)
    return dates


def _check_number(c: _Check, spec, raw: pd.Series, text: pd.Series) -> pd.Series:
    nums = pd.to_numeric(text, errors="coerce")
    c.refuse(text.notna() & nums.isna(), "not_a_number", field=spec.name, value=text)
    if spec.required:
        c.refuse(text.isna(), "missing_value", field=spec.name)
    if spec.low is not None:
        c.refuse(nums.notna() & ((nums < spec.low) | (nums > spec.high)), "number_out_of_range",
                 field=spec.name, low=spec.low, high=spec.high)
    if spec.kind in ("int", "pixels"):
        c.refuse(nums.notna() & (nums != nums.round()), "not_whole", field=spec.name)
    return nums


def _check_vocab(c: _Check, spec, raw: pd.Series, text: pd.Series) -> pd.Series:
    mapped = text.str.lower().map(spec.vocab)
    if spec.required:
        c.refuse(text.isna(), "missing_value", field=spec.name)
    c.refuse(text.notna() & mapped.isna(), "unknown_value", field=spec.name, value=text, layer=c.layer,
             allowed=tuple(sorted(set(spec.vocab.values()))))
    return mapped.astype(object).where(mapped.notna(), None)


_UNIT = r"\s*(?:px|pixels?|像素)?\s*"
_PIXELS = re.compile(r"^\s*(\d+(?:\.\d+)?)" + _UNIT + r"(?:[x×*X]\s*\d+(?:\.\d+)?" + _UNIT + r")?$")
_MEGAPIXELS = re.compile(r"(?i)^\s*\d+(?:\.\d+)?\s*(?:mp|m|megapixels?|万|万像素|百万像素|k|p)\s*$")


def _check_pixels(c: _Check, spec, raw: pd.Series, text: pd.Series) -> pd.Series:
    """A width in pixels: a number, or "1920x1080" ("×", "*") whose first number is the width; a
    size in megapixels, "4K" or "1080p" names no width and is refused with its own reason."""
    pair = text.str.extract(_PIXELS, expand=False)
    c.refuse(text.str.match(_MEGAPIXELS).fillna(False), "resolution_not_width", field=spec.name, value=text)
    return _check_number(c, spec, raw, pair.where(pair.notna(), text))


# Field kind -> its checker. x and y are not here: the coordinates are checked together (_points).
CHECKERS = {"id": _check_id, "text": _check_text, "freetext": _check_text, "time": _check_time,
            "date": _check_date, "number": _check_number, "int": _check_number, "pixels": _check_pixels,
            "vocab": _check_vocab}


def validate(fields: pd.DataFrame, rows: pd.Series, layer: str, *, crs: str, tz: str,
             formats: dict | None = None, geometry=None, extent: tuple | None = None,
             today: dt.date | None = None) -> Validated:
    """Type and check every field of ``layer``; see the module docstring."""
    specs = LAYERS[layer]
    missing_required = [f.name for f in specs if f.required and f.name not in fields.columns
                        and not (f.kind in ("x", "y") and geometry is not None)]
    if missing_required:
        raise ImportRefused(because("missing_columns", layer=layer, fields=tuple(missing_required),
                                    found=tuple(map(str, fields.columns))))
    c = _Check(fields, layer, tz, formats or {}, today or clock.today(tz))
    longest = limit("SAFEGRID_MAX_FIELD_CHARS")
    texts = {col: _as_text(fields[col]) for col in fields.columns}
    for col in fields.columns:
        c.refuse(texts[col].str.len() > longest, "field_too_long", field=str(col), most=longest)
    for spec in specs:
        checker = CHECKERS.get(spec.kind)
        if checker is not None and spec.name in fields.columns:
            c.out[spec.name] = checker(c, spec, fields[spec.name], texts[spec.name])
    if c.cleaned:
        c.notes.append(because("note_controls", n=c.cleaned))
    if layer in POLYGON_LAYERS:
        _polygons(c.out, geometry, crs, c.refuse, c.notes)
    else:
        _points(c.out, fields, geometry, crs, extent, c.refuse)
    out = c.out
    if layer == "ledger" and "deadline" in out:
        c.refuse(pd.Series([d is not None and f is not None and d < f for d, f in zip(out["deadline"], out["found_on"])],
                           index=fields.index), "deadline_before_found")
    key = "source_id" if any(f.name == "source_id" for f in specs) else "code"
    ok_ids = out[key].where(~c.refused) if key in out else pd.Series(None, index=out.index, dtype=object)
    dup = ok_ids.notna() & ok_ids.duplicated(keep="first")
    if dup.any() and layer != "areas":  # areas with one code in several features are merged
        first_row = rows.groupby(ok_ids).transform("first")
        c.refuse(dup, "duplicate_id", field=key, first=first_row.astype("Int64").astype(str))
    bad = c.refused.copy()
    # Reasons quote the refused cell, which may itself be an identifier typed in the wrong column.
    skipped = [(row, _masked(why)) for row, why in zip(rows[bad].astype(int).tolist(), c.why[bad.to_numpy()])]
    return Validated(out[~bad], skipped, sum(c.masked_fields.values()), int(c.masked_rows.sum()), c.notes,
                     c.masked_fields)


def _masked(why) -> str:
    return why.masked() if isinstance(why, Reason) else mask_pii(why)[0]


def _as_text(raw: pd.Series) -> pd.Series:
    """Cells as stripped strings (``<NA>`` for empty), each distinct cell once."""
    return per_distinct(raw, _as_text_each)


def _as_text_each(raw: pd.Series) -> pd.Series:
    if pd.api.types.is_string_dtype(raw) and not (raw.dtype == object and not _all_text(raw)):
        text = raw.astype("string").str.strip()
    else:
        text = raw.map(lambda v: None if v is None or (isinstance(v, float) and v != v) else
                       (v.isoformat(sep=" ") if isinstance(v, (dt.datetime, pd.Timestamp)) else
                        (_float_text(v) if isinstance(v, float) else str(v))), na_action="ignore")
        text = text.astype("string").str.strip()
    return text.where(text != "", pd.NA)


# C0 and C1 controls (NUL, escape, CSI) and the bidirectional overrides that reorder what a reader sees
_CONTROLS_RE2 = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\x{202a}-\x{202e}\x{2066}-\x{2069}]"  # the scan
_CONTROLS = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]"  # the same, for Python's re


def _without_controls(text: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Text with C0 control characters (NUL, escape, ...) removed, and which cells had any; tab and
    line breaks stay."""
    hit = pd.Series(contains(text, _CONTROLS_RE2), index=text.index)
    if not hit.any():
        return text, hit.to_numpy()
    text = text.copy()
    text[hit] = text[hit].str.replace(_CONTROLS, "", regex=True).str.strip()
    return text.where(text != "", pd.NA), hit.to_numpy()


def _all_text(raw: pd.Series) -> bool:
    return pd.api.types.infer_dtype(raw, skipna=True) in ("string", "empty")


def _parse_dates(raw: pd.Series, fmt: str | None) -> tuple[list, pd.Series]:
    if pd.api.types.is_datetime64_any_dtype(raw):
        parsed = pd.to_datetime(raw, errors="coerce")
    else:
        values = raw.map(lambda v: v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else v)
        text = _as_text(values)
        text = text.where(text.isna() | ~not_a_date(text), "?")  # 'today', '10:30', '240301' name no date
        try:
            if fmt:
                parsed = pd.to_datetime(text, format=fmt, errors="coerce")
            else:
                parsed = pd.to_datetime(text, format="ISO8601", errors="coerce")
                rest = parsed.isna() & text.notna()
                if rest.any():
                    parsed[rest] = pd.to_datetime(text[rest], format="mixed", errors="coerce")
            if getattr(parsed.dt, "tz", None) is not None:
                parsed = parsed.dt.tz_localize(None)
        except (TypeError, ValueError, OverflowError, AttributeError):  # offsets mixed in: the date as written
            parsed = pd.Series([_written_date(v) for v in text], index=text.index, dtype="datetime64[ns]")
        bad = parsed.isna() & text.notna()
        dates = [None if pd.isna(v) else v.date() for v in parsed]
        return dates, bad
    dates = [None if pd.isna(v) else v.date() for v in parsed]
    return dates, parsed.isna() & raw.notna()


def _float_text(value: float) -> str:
    """A number cell as text at full precision; a whole number as its digits (Excel keeps an 18-digit
    ID typed as a number as 1.10105194912310E+17: written out, it is found and masked like any ID)."""
    if value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    return repr(value)


def _written_date(value) -> pd.Timestamp:
    stamp = written_stamp(value)
    if stamp is pd.NaT:
        return pd.NaT
    stamp = stamp.tz_localize(None) if stamp.tzinfo is not None else stamp
    return stamp.normalize() if pd.Timestamp.min < stamp < pd.Timestamp.max else pd.NaT


def _points(out, fields, geometry, crs, extent, refuse) -> None:
    if "x" in fields.columns and "y" in fields.columns:
        xt, yt = _as_text(fields["x"]), _as_text(fields["y"])
        xs = per_distinct(xt, lambda t: pd.to_numeric(t, errors="coerce")).to_numpy(dtype=float, na_value=np.nan)
        ys = per_distinct(yt, lambda t: pd.to_numeric(t, errors="coerce")).to_numpy(dtype=float, na_value=np.nan)
        missing = xt.isna() | yt.isna()
        refuse(missing, "missing_coordinates")
        refuse(~missing & (np.isnan(xs) | np.isnan(ys)), "coordinates_unparseable", x=xt, y=yt)
    else:
        geoms = geometry.values
        is_point = np.array([g is not None and g.geom_type == "Point" and not g.is_empty for g in geoms])
        refuse(~is_point, "not_a_point")
        xs = np.where(is_point, shapely.get_x(np.where(is_point, geoms, None)), np.nan).astype(float)
        ys = np.where(is_point, shapely.get_y(np.where(is_point, geoms, None)), np.nan).astype(float)
    finite = np.isfinite(xs) & np.isfinite(ys)
    refuse(~finite, "coordinates_not_finite")
    if crs == STORAGE_CRS:
        off = finite & ((np.abs(xs) > 180) | (np.abs(ys) > 90))
        swapped_ok = off & (np.abs(ys) <= 180) & (np.abs(xs) <= 90)
        refuse(swapped_ok, "lat_lon_swapped")
        refuse(off, "coordinates_out_of_range")
    lon, lat = to_wgs84(np.where(finite, xs, 0.0), np.where(finite, ys, 0.0), crs)
    lon = np.where(finite, lon, np.nan)
    lat = np.where(finite, lat, np.nan)
    good = np.isfinite(lon) & np.isfinite(lat)
    refuse(finite & ~good, "coordinates_out_of_crs", crs=crs)
    refuse(good & (np.abs(lon) < 1e-9) & (np.abs(lat) < 1e-9), "coordinates_zero")
    if extent is not None:
        minx, miny, maxx, maxy = extent
        far = good & ((lon < minx - FAR_MARGIN_DEG) | (lon > maxx + FAR_MARGIN_DEG) |
                      (lat < miny - FAR_MARGIN_DEG) | (lat > maxy + FAR_MARGIN_DEG))
        if crs == STORAGE_CRS:
            swap_in = far & (xs >= miny) & (xs <= maxy) & (ys >= minx) & (ys <= maxx)
            refuse(swap_in, "lat_lon_swapped_area")
        refuse(far, "far_outside")
    out["lon"] = lon
    out["lat"] = lat


def _polygons(out, geometry, crs, refuse, notes) -> None:
    if geometry is None:
        raise ImportRefused(because("polygons_needed"))
    geoms = np.asarray(geometry.values, dtype=object)
    is_poly = np.array([g is not None and not g.is_empty and g.geom_type in ("Polygon", "MultiPolygon") for g in geoms])
    refuse(~is_poly, "not_a_polygon")
    if crs != STORAGE_CRS and is_poly.any():
        import geopandas as gpd

        if crs.startswith("EPSG:") or crs.startswith(("PROJCS", "GEOGCS", "PROJCRS", "GEOGCRS")):
            conv = gpd.GeoSeries(np.where(is_poly, geoms, None), crs=crs).to_crs(STORAGE_CRS).values
        else:  # gcj02 / bd09: offsets pyproj does not know, applied vertex by vertex as for points
            conv = shapely.transform(np.where(is_poly, geoms, None),
                                     lambda xy: np.column_stack(to_wgs84(xy[:, 0], xy[:, 1], crs)))
        geoms = np.asarray(conv, dtype=object)
    bounds = np.array([g.bounds if ok else (0, 0, 0, 0) for g, ok in zip(geoms, is_poly)], dtype=float)
    finite = np.isfinite(bounds).all(axis=1) & np.array(
        [not ok or bool(np.isfinite(shapely.get_coordinates(g)).all()) for g, ok in zip(geoms, is_poly)])
    refuse(is_poly & ~finite, "polygon_not_finite")
    is_poly &= finite
    off = is_poly & ((np.abs(bounds[:, [0, 2]]) > 180).any(axis=1) | (np.abs(bounds[:, [1, 3]]) > 90).any(axis=1))
    refuse(off, "polygon_out_of_range")
    out["geometry"] = geoms
