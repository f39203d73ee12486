"""Why a row was skipped or a file refused: a stable code, the values it quotes, and an English sentence.

A :class:`Reason` *is* its English sentence (a ``str``), so the command line, the ``--report``
file and the audit log read as they always have; beside the sentence it carries ``code`` and
``params``, from which a page says the same thing in the user's language (the catalogue key
``import.skip.<code>``, filled with the same values). Every code is declared here with its English
template: :func:`reason` refuses an undeclared one, and a test checks that each has a catalogue
entry in both languages using no value the reason does not carry.

Values quoted from the file (a column name, a cell) are kept as they are; a value that is itself a
code of SafeGrid (a field, a layer, a status) is passed under a parameter name that says so
(``field``, ``layer``, ``status``...), so a page can show its label instead.
"""

from __future__ import annotations

import string

from geo.core.identifiers import mask_pii

_LIMIT_ROWS = "(SAFEGRID_MAX_ROWS); split the file"

# code -> English template (str.format; a list or tuple value is written comma-separated, "none" if empty)
ENGLISH: dict[str, str] = {
    # -- a row of the file (validate.py, readers.py, pipeline.py, areas.py, ledger_rows.py)
    "field_too_long": "{field} longer than {most:,} characters (SAFEGRID_MAX_FIELD_CHARS)",
    "missing_value": "missing {field}",
    "id_too_long": "{field} longer than {most} characters",
    "date_unparseable": "date unparseable: {value}",
    "time_out_of_range": "date out of range (before 1900 or in the future): {value}",
    "date_out_of_range": "{field} out of range",
    "date_in_future": "{field} in the future",
    "not_a_number": "{field} is not a number: {value}",
    "number_out_of_range": "{field} out of range [{low:g}, {high:g}]",
    "not_whole": "{field} is not a whole number",
    "unknown_value": "unknown {field} '{value}' (expected one of: {allowed})",
    "missing_coordinates": "missing coordinates",
    "coordinates_unparseable": "coordinates unparseable: {x}, {y}",
    "not_a_point": "missing, empty or non-point geometry",
    "coordinates_not_finite": "coordinates missing or not finite (NaN or infinity)",
    "lat_lon_swapped": "latitude and longitude swapped? (y outside ±90)",
    "coordinates_out_of_range": "coordinates out of range (longitude ±180, latitude ±90)",
    "coordinates_out_of_crs": "coordinates out of range for {crs}",
    "coordinates_zero": "coordinates are (0, 0): a missing location written as zero",
    "lat_lon_swapped_area": "latitude and longitude swapped? (the swapped point lies in the mapped area)",
    "far_outside": "far outside the mapped area (over about 100 km away)",
    "not_a_polygon": "missing or non-polygon geometry",
    "polygon_not_finite": "polygon coordinates not finite (NaN or infinity)",
    "polygon_out_of_range": "polygon coordinates out of range: wrong --crs?",
    "deadline_before_found": "deadline before found date",
    "duplicate_id": "duplicate {field} (first on row {first})",
    "too_many_fields": "{n} fields where the header has {width}",
    "beyond_header": "cells beyond the header's {width} columns",
    "outside_area": "outside your area {area}",
    "polygon_lost": "area {code}: no polygon left after repair",
    "resolution_not_width": "{field} must be the horizontal pixels (e.g. 1920 or 1920x1080), not {value}",
    "footprint_lost": "no polygon left after repair (a footprint with no area)",
    "footprint_too_big": "too large for a building ({area_m2} m², {span_m} m across; at most "
                         "{most_m2} m² and {most_m} m): wrong --crs, or not building footprints?",
    "duplicate_footprint": "the same footprint as row {first}",
    "ledger_not_in_area": "ledger item {id} is not in your area {area}",
    "ledger_new_status": "a new item starts as {initial}, not {status}: import it so, then move it through the workflow",
    "ledger_closed_edit": "a {status} item cannot be edited: reopen it first",
    "ledger_no_route": "no workflow step leads from {before} to {after}",
    "ledger_role_step": "the {role} role may not {action} an item",
    "ledger_needs_note": "{action} needs a note saying what was done or why",
    "ledger_recheck_due": "the re-check is due on {date}: it cannot be verified before then",
    "ledger_workflow": "{detail}",
    # -- a row imported but linked as a likely duplicate (ledger_rows.py: listed apart from the skipped rows)
    "ledger_duplicate_item": "likely a duplicate of ledger item {id} ({metres} m, {days} days apart): linked to it",
    "ledger_duplicate_row": "likely a duplicate of {row_word} {first} of this file ({metres} m, {days} days apart): "
                            "linked to it",
    # -- the whole file (readers.py)
    "no_such_file": "{file}: no such file or folder",
    "not_regular": "{file}: not a regular file (a device, pipe or socket); give a file",
    "file_too_big": "{file}: the file is larger than {size} (SAFEGRID_MAX_FILE_BYTES); split it",
    "unreadable": "{file}: cannot read the file ({detail})",
    "empty_file": "{file}: the file is empty",
    "old_excel": "{file}: old binary Excel (.xls) is not supported; save it as .xlsx",
    "not_xlsx": "{file}: not an Excel .xlsx file (an .xlsx is a zip archive; this is not)",
    "not_gzip": "{file}: named .gz but not gzip-compressed",
    "not_zip": "{file}: named .zip but not a zip archive",
    "not_gpkg": "{file}: not a GeoPackage (a GeoPackage is an SQLite file; this is not)",
    "unsupported_type": "{file}: unsupported file type; use .csv, .csv.gz, .xlsx, .geojson, .shp (or a zipped "
                        "shapefile), .gpkg or a .zip holding one of them",
    "too_big_file": "{file}: the file is larger than {size} ({setting}); split the file or raise the setting",
    "too_big_text": "{file}: the unpacked text is larger than {size} ({setting}); split the file or raise the setting",
    "too_big_archive": "{file}: the archive once unpacked is larger than {size} ({setting}); split the file or "
                       "raise the setting",
    "too_big_member": "{file}: {member} unpacked is larger than {size} ({setting}); split the file or raise the setting",
    "too_big_workbook": "{file}: the workbook once unpacked is larger than {size} ({setting}); split the file or "
                        "raise the setting",
    "too_big_sheets": "{file}: the workbook's sheets unpacked is larger than {size} ({setting}); split the file or "
                      "raise the setting",
    "damaged_gzip": "{file}: the compressed file is damaged or truncated ({detail})",
    "zip_too_many_files": "{file}: the archive holds {n} files, more than {most} (SAFEGRID_MAX_ZIP_FILES)",
    "zip_encrypted": "{file}: the archive is encrypted; zip it again without a password",
    "zip_many_layers": "{file}: the archive holds {n} .{kind} files; zip one layer per file",
    "zip_tables": "{file}: a .zip must hold one shapefile, GeoPackage, GeoJSON or CSV (tables found: {found})",
    "zip_damaged": "{file}: the zip archive is damaged or uses an unsupported method ({detail})",
    "utf16": "{file}: UTF-16 text is not supported; save it as UTF-8 CSV",
    "binary_text": "{file}: not a text file (it contains NUL bytes); is it really a CSV?",
    "bad_encoding": "{file}: cannot read the text: not UTF-8 ({detail} at byte {at}) and not GBK/GB18030; "
                    "save it as UTF-8",
    "bad_encoding_no_chinese": "{file}: cannot read the text: not UTF-8 (byte {at}) and no Chinese text found "
                               "when read as GBK; save it as UTF-8",
    "too_many_lines": "{file}: {n:,} lines, more than {most:,} rows " + _LIMIT_ROWS,
    "no_rows_text": "{file}: the file has no rows",
    "too_many_columns_header": "{file}: the header has {n:,} columns, more than {most} (SAFEGRID_MAX_COLUMNS)",
    "too_many_cells": "{file}: {rows:,} rows of {columns:,} columns, more than {most:,} cells (SAFEGRID_MAX_CELLS); "
                      "split the file or drop unused columns",
    "no_header": "{file}: the file has no header row",
    "bad_header": "{file}: malformed CSV in the header ({detail})",
    "unclosed_quote": "{file}: malformed CSV: a quoted field opened on line {line} is never closed; is the file "
                      "truncated or mis-quoted?",
    "malformed_csv": "{file}: malformed CSV near line {line} ({detail}); is the file truncated or mis-quoted?",
    "bad_excel": "{file}: not a readable Excel workbook ({detail})",
    "hidden_sheets": "{file}: every sheet is hidden",
    "too_many_columns": "{file}: {n:,} columns, more than {most} (SAFEGRID_MAX_COLUMNS)",
    "too_many_rows_sheet": "{file}: more than {most:,} rows " + _LIMIT_ROWS,
    "empty_sheet": "{file}: the first sheet is empty",
    "too_many_rows": "{file}: {n:,} rows, more than {most:,} " + _LIMIT_ROWS,
    "no_row_read": "{file}: no row could be read (line {row}: {first})",
    "header_only": "{file}: the file has a header but no rows",
    "duplicate_columns": "{file}: duplicate column names {columns}",
    "columns_differ_in_case": "{file}: columns {a!r} and {b!r} differ only in case or spaces; rename or remove one",
    "bad_json": "{file}: not valid JSON ({detail} at line {line}); is the file truncated?",
    "json_too_deep": "{file}: the JSON is nested too deeply to be GeoJSON",
    "not_geojson": "{file}: not GeoJSON (expected a FeatureCollection)",
    "no_features": "{file}: the GeoJSON has no features",
    "too_many_features": "{file}: {n:,} features, more than {most:,} " + _LIMIT_ROWS,
    "bad_feature": "{file}: feature {i} is not a GeoJSON feature",
    "bad_properties": "{file}: feature {i}: 'properties' must be an object",
    "too_many_properties": "{file}: the features carry {n:,} property names, more than {most} (SAFEGRID_MAX_COLUMNS)",
    "shapefile_folder": "{file}: a shapefile folder must hold exactly one .shp (found {n})",
    "many_layers": "{file}: holds {n} layers ({layers}); export the one to import on its own",
    "bad_spatial": "{file}: cannot read it as a spatial file ({detail})",
    "no_features_layer": "{file}: the layer has no features",
    # -- the whole file (validate.py, pipeline.py, presets.py, areas.py, ledger_rows.py)
    "missing_columns": "required column(s) missing for {layer}: {fields} (found: {found}); "
                       "map them with --map FIELD=COLUMN",
    "polygons_needed": "this layer needs polygon geometry: give a GeoJSON, Shapefile or GeoPackage",
    "zones_need_jurisdiction": "patrol zones are not coded to areas: only an account of the whole jurisdiction "
                               "imports them",
    "unknown_layer": "unknown layer {layer!r}: {layers}",
    "bad_crs": "{detail}",
    "bad_timezone": "{detail}",
    "no_row_imported": "{file}: no row could be imported ({n} rows refused; first: {row_word} {row}: {first})",
    "no_rows": "{file}: no rows",
    "none_inside_area": "{file}: no row lies inside your area {area}",
    "bad_source": "--source: give a short name (at most 64 letters, digits, '.', '_', ':' or '-'; no spaces, "
                  "no personal identifiers)",
    "unknown_preset": "unknown preset {preset!r}; presets: {presets}",
    "map_syntax": "--map {item!r}: write it as FIELD=COLUMN, e.g. x=lon",
    "map_unknown_field": "--map {item!r}: {name!r} is not a field of {layer} ({fields})",
    "map_missing_column": "column {column!r} (mapped to {field}) is not in the file; columns are: {columns}",
    "map_first_of_missing": "none of the columns {columns} (for {field}) is in the file",
    "map_join_missing": "columns {columns} (joined for {field}) are not in the file",
    "map_not_understood": "preset mapping for {field} not understood: {spec}",
    "unknown_level": "unknown level {level!r}: {levels}",
    "areas_need_polygons": "{file}: areas need polygons: give a GeoJSON, Shapefile (zip or folder) or GeoPackage",
    "no_area_imported": "{file}: no area could be imported ({row_word} {row}: {first})",
    "no_areas": "{file}: no area could be imported",
    "buildings_need_polygons": "{file}: buildings need polygons: give a GeoJSON, Shapefile (zip or folder) or "
                               "GeoPackage",
    "no_building_imported": "{file}: no building could be imported ({n} rows refused; first: {row_word} {row}: "
                            "{first})",
    "grid_cell_size": "--cell-size {size:g}: give a size from {low:g} to {high:g} metres",
    "grid_no_areas": "no areas yet: import a district boundary first (geo import areas FILE --level district)",
    "grid_no_such_area": "no area with code {code!r}",
    "grid_within_grid": "{code} is a grid cell: generate a grid within a district, street or community",
    "grid_only_cells": "only grid cells exist: import a boundary (district or street) first",
    "grid_too_big": "a {size:g} m grid over this boundary would have far more than {most:,} cells; "
                    "choose a larger --cell-size",
    "grid_failed": "{detail}",
    "grid_too_many": "{n} cells: too many; choose a larger --cell-size",
    "ledger_no_importer": "a ledger import needs to know who imports it: their role decides the workflow steps",
    "ledger_role": "the {role} role may not create or edit ledger items",
    # -- notes: what an import changed or kept on its way (not a refusal)
    "note_html": "{n} rows carry HTML markup in {field}: stored as plain text, escaped wherever shown",
    "note_controls": "{n} values held control characters (NUL and the like): removed",
    "note_shortened": "{n} values of {field} longer than {most} characters were shortened",
    "note_bad_geometry": "{n} features had malformed geometry",
    "note_repaired": "{n} invalid polygons repaired (make_valid)",
    "note_repaired_codes": "{n} invalid polygons repaired (make_valid): {codes}",
    "note_merged": "{n} features share {codes} codes and were merged into multi-part areas",
    "note_parents_unknown": "{n} parent codes not found among higher areas; those areas were placed by location",
    "note_reassigned": "area codes re-assigned: {moved}",
    "note_reparented": "{n} lower-level areas given a parent by location",
    "note_grid_replaced": "{n} earlier grid cells inside the boundary replaced",
}
# values a reason carries for the pages beyond those its English sentence writes
EXTRA: dict[str, tuple[str, ...]] = {
    "date_unparseable": ("field",), "time_out_of_range": ("field",), "unknown_value": ("layer",),
    "bad_crs": ("value",), "bad_timezone": ("value",), "grid_failed": (),
}

def placeholders(template: str) -> set[str]:
    """The names a template fills (``{n:,}`` and ``{a!r}`` name ``n`` and ``a``)."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def params_of(code: str) -> set[str]:
    """Every value a reason of ``code`` carries."""
    return placeholders(ENGLISH[code]) | set(EXTRA.get(code, ()))


class Reason(str):
    """An English sentence saying why, with its ``code`` and the values (``params``) it quotes."""

    code: str
    params: dict

    def __new__(cls, text: str, code: str, params: dict | None = None):
        obj = super().__new__(cls, text)
        obj.code = code
        obj.params = dict(params or {})
        return obj

    def __reduce__(self):
        return (Reason, (str(self), self.code, self.params))

    def masked(self) -> Reason:
        """The reason with resident ID and phone numbers masked in the values it quotes (and its text)."""
        text, n = mask_pii(str(self))
        if not n:
            return self
        params = {k: (v.masked() if isinstance(v, Reason) else mask_pii(v)[0] if isinstance(v, str) else v)
                  for k, v in self.params.items()}
        return Reason(text, self.code, params)


def _english(value):
    if isinstance(value, (list, tuple)):
        return ", ".join(" ".join(map(str, v)) if isinstance(v, tuple) else str(v) for v in value) or "none"
    return value


def reason(code: str, /, text: str | None = None, **params) -> Reason:
    """The reason ``code`` with ``params``; its English sentence from the template (or ``text``, a
    sentence made elsewhere that says the same)."""
    template = ENGLISH[code]  # an undeclared code fails here, at once
    if text is None:
        text = template.format(**{k: _english(v) for k, v in params.items()})
    return Reason(text, code, params)
