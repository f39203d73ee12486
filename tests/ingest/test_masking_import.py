"""Every text field of every layer is masked on import, and the report counts masks per field."""

from __future__ import annotations

import csv
import io

import pytest
import shapely
from sqlalchemy import text

from geo.core.identifiers import ID_TOKEN, PHONE_TOKEN
from geo.ingest.areas import import_areas
from geo.ingest.fields import LAYERS
from geo.ingest.pipeline import Importer, import_file
from geo.store.scope import Scope
from tests.helpers import X0, Y0, STEP, centre, feature_collection, small_city, write_json

EVERYTHING = Scope.jurisdiction()
CLERK = Importer("clerk", "clerk")
X, Y = centre("C1")
ZONE = shapely.box(X0, Y0, X0 + STEP, Y0 + STEP)

# One identifier per text field, each in another written form; field -> (cell, stored value).
WRITTEN = [
    ("甲", "１３８１２３４５６７８", "乙", PHONE_TOKEN),
    ("unit ", "010-12345678 转 12", "", PHONE_TOKEN),
    ("证", "110101 19900307 1234", "号", ID_TOKEN),
    ("", "138\u30001234\u30005678", "组", PHONE_TOKEN),
    ("NO", "44030419851231001X", "", ID_TOKEN),
    ("(", "0755 8888 9999", ")", PHONE_TOKEN),
    ("电话", "+86 10 1234 5678", "", PHONE_TOKEN),
]


def _text_fields(layer: str) -> list[str]:
    return [f.name for f in LAYERS[layer] if f.kind in ("text", "freetext")]


def _cells(layer: str) -> dict[str, tuple[str, str]]:
    return {name: (b + ident + a, b + token + a)
            for name, (b, ident, a, token) in zip(_text_fields(layer), WRITTEN * 2)}


def _csv(path, row: dict) -> None:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(row))
    writer.writeheader()
    writer.writerow(row)
    path.write_text(buf.getvalue(), encoding="utf-8")


# layer -> (table, key column, required cells)
POINT_LAYERS = {
    "incidents": ("incidents", "source_id", {"source_id": "M1", "occurred_at": "2024-03-01 10:00", "x": X, "y": Y}),
    "cameras": ("cameras", "source_id", {"source_id": "M1", "x": X, "y": Y}),
    "places": ("places", "source_id", {"source_id": "M1", "kind": "school", "x": X, "y": Y}),
    "ledger": ("ledger_items", "source_id", {"source_id": "M1", "kind": "hazard", "found_on": "2024-03-01",
                                             "x": X, "y": Y}),
}


@pytest.fixture
def city(make_db, backend, tmp_path):
    engine = make_db(backend)
    small_city(engine, tmp_path)
    return engine


def _stored(engine, table: str, key: str, fields: list[str]) -> dict[str, str]:
    with engine.connect() as conn:
        row = conn.execute(text(f"SELECT {', '.join(fields)} FROM {table} WHERE {key} = :k"),
                           {"k": "M1"}).mappings().one()
    return dict(row)


def _check(report, stored: dict, cells: dict) -> None:
    # every text field is counted; the ledger's note is no column of the item (it goes with a workflow step)
    assert stored == {name: masked for name, (_raw, masked) in cells.items() if name != "note"}
    assert report.masked_fields == {name: 1 for name in cells}
    assert (report.masked, report.masked_rows) == (len(cells), 1)
    assert f"{len(cells)} personal identifiers masked" in report.summary()


@pytest.mark.parametrize("layer", list(POINT_LAYERS))
def test_import_masks_every_text_field_of_point_layers(city, tmp_path, layer):
    table, key, required = POINT_LAYERS[layer]
    cells = _cells(layer)
    path = tmp_path / f"{layer}.csv"
    _csv(path, {**required, **{name: raw for name, (raw, _masked) in cells.items()}})
    report = import_file(city, path, layer, scope=EVERYTHING, by=CLERK)
    _check(report, _stored(city, table, key, [name for name in cells if name != "note"]), cells)


def test_import_masks_every_text_field_of_zones(city, tmp_path):
    cells = _cells("zones")
    path = write_json(tmp_path / "zones.geojson", feature_collection(
        [({"code": "M1", **{name: raw for name, (raw, _masked) in cells.items()}}, ZONE)]))
    report = import_file(city, path, "zones", scope=EVERYTHING)
    _check(report, _stored(city, "patrol_zones", "code", list(cells)), cells)


def test_import_masks_every_text_field_of_areas(city, tmp_path):
    cells = _cells("areas")
    path = write_json(tmp_path / "streets.geojson", feature_collection(
        [({"code": "M1", **{name: raw for name, (raw, _masked) in cells.items()}}, ZONE)]))
    report = import_areas(city, path, "street")
    _check(report, _stored(city, "areas", "code", list(cells)), cells)


def test_every_layer_has_its_text_fields_covered():
    """The cases above give each text field its own identifier: none is left out."""
    for layer in LAYERS:
        assert len(_text_fields(layer)) <= len(WRITTEN) * 2, layer
    assert {"category", "subcategory", "status", "address", "description"} <= set(_text_fields("incidents"))
    assert {"category", "title", "description", "responsible_unit"} <= set(_text_fields("ledger"))
    assert {"owner", "kind"} <= set(_text_fields("cameras"))
    assert {"name", "team"} <= set(_text_fields("zones")) & set(_text_fields("areas"))


def test_skip_reasons_do_not_quote_identifiers(city, tmp_path):
    """A phone number typed into a date or vocabulary column is refused, and the reason masks it."""
    path = tmp_path / "ledger.csv"
    path.write_text("source_id,kind,found_on,x,y\n"
                    f"G1,hazard,2024-03-01,{X},{Y}\n"
                    f"B1,hazard,13812345678,{X},{Y}\n"
                    f"B2,138 1234 5678,2024-03-01,{X},{Y}\n", encoding="utf-8")
    report = import_file(city, path, "ledger", scope=EVERYTHING, by=CLERK)
    reasons = [why for _row, why in report.skipped]
    assert len(reasons) == 2 and all(PHONE_TOKEN in why for why in reasons)
    assert not any("1234" in why for why in reasons)
