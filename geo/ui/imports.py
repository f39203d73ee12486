"""The import form's work: save the upload, run the importer with a progress bar, show the report."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

import re

from geo.core.grid import LEVELS
from geo.ingest.areas import import_areas
from geo.ingest.errors import ImportRefused
from geo.ingest.audited import run_audited
from geo.ingest.fields import LAYERS
from geo.ingest.pipeline import Importer, import_file
from geo.ingest.presets import preset_names
from geo.ingest.reasons import Reason
from geo.ingest.report import ImportReport
from geo.report import safefiles
from geo.ui import data
from geo.ui.downloads import offer
from geo.ui.i18n import catalogue, current_language, t, t_or
from geo.ui.markup import plain

POINT_LAYERS = ("incidents", "cameras", "places", "ledger", "zones")
LAYER_CHOICES = POINT_LAYERS + tuple(f"areas:{lv}" for lv in LEVELS)
ACCEPTED = ["csv", "gz", "xlsx", "geojson", "json", "zip", "gpkg"]
# the importer's progress messages -> catalogue keys ("writing incidents" is a stage of writing)
STAGES = {"reading": "import.stage.reading", "checking rows": "import.stage.checking",
          "assigning grid cells": "import.stage.assigning", "writing": "import.stage.writing",
          "done": "import.stage.done"}
TABLE_LAYERS = {"incidents": "incidents", "places": "places", "cameras": "cameras", "ledger_items": "ledger"}
_CJK = re.compile(r"[\u4e00-\u9fff]")


def run_import(upload, choice: str, preset: str | None, crs: str | None, code_field: str | None,
               username: str = "-", role: str | None = None) -> ImportReport | None:
    """Import ``upload`` as ``username`` (whose ``role`` bounds ledger workflow steps) with a live
    progress bar; show a clear error and return None on refusal.

    The import and its audit record share one transaction; a refusal is audited on its own
    (:func:`geo.ingest.audited.run_audited`, as for the command line).
    """
    bar = st.progress(0.0, text=t("import.progress.start"))

    def progress(fraction: float, message: str) -> None:
        bar.progress(min(1.0, max(0.0, fraction)), text=t("import.progress.stage", stage=stage_label(message),
                                                           pct=f"{fraction * 100:.0f}"))

    def run(path: Path, audited) -> ImportReport:
        scope = data.scope()
        if choice.startswith("areas:") and not scope.everything:
            raise ImportRefused(t("import.scoped"))
        if choice.startswith("areas:"):
            return import_areas(data.engine(), path, choice.split(":", 1)[1], code_field=code_field or None,
                                crs=crs or None, progress=progress, in_transaction=audited)
        return import_file(data.engine(), path, choice, scope=scope, preset=preset or None, crs=crs or None,
                           progress=progress, in_transaction=audited, by=Importer(username, role))

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / Path(upload.name).name
        path.write_bytes(upload.getbuffer())
        try:
            report = run_audited(data.engine(), username, choice, upload.name, lambda hook: run(path, hook))
        except ImportRefused as exc:
            bar.empty()
            st.error(t("import.refused", reason=reason_text(exc.reason, inert=True)))
            return None
    bar.progress(1.0, text=t("import.progress.done"))
    st.cache_data.clear()  # counts and maps now differ
    return report


def show_report(report: ImportReport) -> None:
    cols = st.columns(5)
    for col, (key, value) in zip(cols, [("read", report.rows_read), ("new", report.inserted),
                                        ("updated", report.updated), ("unchanged", report.unchanged),
                                        ("skipped", len(report.skipped))]):
        col.metric(t(f"import.report.{key}"), f"{value:,}")
    if report.layer in POINT_LAYERS and report.layer != "zones":
        st.caption(t("import.report.outside", n=report.outside))
    if report.masked:
        ranked = sorted(report.masked_fields.items(), key=lambda kv: (-kv[1], kv[0]))
        where = _listed([f"{t_or(f'import.field.{name}', name)} {n:,}" for name, n in ranked])
        st.info(t("import.report.masked", n=report.masked, rows=report.masked_rows) + f" ({where})")
    for note in report.notes:  # notes may quote the file (a column name, a code)
        st.caption(reason_text(note, inert=True))
    if report.linked:  # imported, but linked to their originals as likely duplicates (ledger hygiene)
        st.warning(t("import.report.linked", n=len(report.linked)))
        linked = skipped_frame(report, report.linked)
        st.dataframe(linked, hide_index=True, width="stretch", key="import.report.linked")
    if report.skipped:
        skipped = skipped_frame(report)
        st.dataframe(skipped, hide_index=True, width="stretch")
        offer(t("import.report.download"), safefiles.csv_bytes(skipped), "skipped_rows.csv",
              key="import.report.download", what=f"import_skipped:{report.layer}", rows=len(skipped))


def skipped_frame(report: ImportReport, rows: list | None = None):
    """The skipped rows (or ``rows``: the linked ones) as the page shows and offers them: row number and
    reason, in the page's language."""
    rows = report.skipped if rows is None else rows
    skipped = pd.DataFrame(rows, columns=[report.row_word, "reason"])  # plain text: the reasons carry the codes
    skipped["reason"] = [reason_text(why) for _row, why in rows]
    skipped.columns = [t(f"import.report.{'line' if report.row_word == 'line' else 'feature'}"),
                       t("import.report.reason")]
    return skipped


def stage_label(message: str) -> str:
    """A progress message of the importer in the page's language."""
    key = STAGES.get(message) or ("import.stage.writing" if message.startswith("writing") else None)
    return t(key) if key else message


def reason_text(why, *, inert: bool = False) -> str:
    """Why a row was skipped or a file refused, in the page's language: the reason's code through the
    catalogue (``import.skip.<code>``), filled with its values, codes among them (fields, layers,
    statuses...) by their labels. A message without a code is shown as it is. ``inert``: for Markdown,
    with the values quoted from the file made inert (:func:`geo.ui.markup.plain`)."""
    code = getattr(why, "code", None)
    key = f"import.skip.{code}"
    if not isinstance(why, Reason) or not code or key not in catalogue():
        return plain(why) if inert else str(why)
    values = {name: _value(name, value, why.params, inert) for name, value in why.params.items()}
    return t(key, **values)


def _listed(items) -> str:
    return t("import.list.sep").join(items) if items else t("import.list.none")


def _value(name: str, value, params: dict, inert: bool) -> str:
    """One value of a reason as the page shows it."""
    many = isinstance(value, (list, tuple))
    items = list(value) if many else [value]
    if name in ("field", "fields"):
        shown = [t_or(f"import.field.{v}", str(v)) for v in items]
    elif name in ("layer", "layers"):
        shown = [t_or(f"import.layer.{v}", str(v)) for v in items]
    elif name in ("level", "levels"):
        shown = [t_or(f"level.{v}", str(v)) for v in items]
    elif name in ("status", "before", "after", "initial"):
        shown = [t_or(f"ledger.status.{v}", str(v)) for v in items]
    elif name == "action":
        shown = [t_or(f"ledger.act.{v}", str(v)) for v in items]
    elif name == "role":
        shown = [t_or(f"role.{v}", str(v)) for v in items]
    elif name == "row_word":
        shown = [t("import.word.feature" if v == "feature" else "import.word.line") for v in items]
    elif name == "allowed":
        shown = [_spelling(params.get("layer"), params.get("field"), v) for v in items]
    elif name == "moved":  # (table, rows) pairs
        shown = [f"{t_or('import.layer.' + TABLE_LAYERS.get(table, table), table)} {n:,}" for table, n in items]
    elif name == "first":
        shown = [reason_text(v, inert=inert) for v in items]
        return shown[0]
    else:
        shown = [f"{v:,}" if isinstance(v, int) and not isinstance(v, bool) else
                 f"{v:g}" if isinstance(v, float) else (plain(v) if inert else str(v)) for v in items]
    return _listed(shown) if many else shown[0]


def _spelling(layer: str | None, field: str | None, value: str) -> str:
    """How a file may write the stored value ``value`` of a listed field, in the page's language: the
    first Chinese spelling the importer accepts on a Chinese page, the value itself (spaces for
    underscores, also accepted) on an English one."""
    spec = next((f for f in LAYERS.get(layer or "", ()) if f.name == field), None)
    spellings = [word for word, stored in (spec.vocab.items() if spec else ()) if stored == value]
    if current_language() == "zh":
        chinese = next((w for w in spellings if _CJK.search(w)), None)
        if chinese:
            return chinese
    return value.replace("_", " ")


def summary(report: ImportReport, choice: str) -> str:
    """The report's one line in the page's language."""
    return t("import.summary", file=plain(report.file), layer=layer_label(choice), read=f"{report.rows_read:,}",
             new=f"{report.inserted:,}", updated=f"{report.updated:,}", unchanged=f"{report.unchanged:,}",
             skipped=f"{len(report.skipped):,}")


def layer_label(choice: str) -> str:
    if choice.startswith("areas:"):
        return t("import.layer.areas", level=t(f"level.{choice.split(':', 1)[1]}"))
    return t(f"import.layer.{choice}")


def presets() -> list[str]:
    return [""] + preset_names()
