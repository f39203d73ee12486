"""The import form's work: save the upload, run the importer with a progress bar, show the report."""

from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

from geo.core.grid import LEVELS
from geo.ingest.areas import import_areas
from geo.ingest.errors import ImportRefused
from geo.ingest.audited import run_audited
from geo.ingest.pipeline import Importer, import_file
from geo.ingest.presets import preset_names
from geo.ingest.report import ImportReport
from geo.report import safefiles
from geo.ui import data
from geo.ui.downloads import offer
from geo.ui.i18n import t
from geo.ui.markup import plain

POINT_LAYERS = ("incidents", "cameras", "places", "ledger", "zones")
LAYER_CHOICES = POINT_LAYERS + tuple(f"areas:{lv}" for lv in LEVELS)
ACCEPTED = ["csv", "gz", "xlsx", "geojson", "json", "zip", "gpkg"]


def run_import(upload, choice: str, preset: str | None, crs: str | None, code_field: str | None,
               username: str = "-", role: str | None = None) -> ImportReport | None:
    """Import ``upload`` as ``username`` (whose ``role`` bounds ledger workflow steps) with a live
    progress bar; show a clear error and return None on refusal.

    The import and its audit record share one transaction; a refusal is audited on its own
    (:func:`geo.ingest.audited.run_audited`, as for the command line).
    """
    bar = st.progress(0.0, text=t("import.progress.start"))

    def progress(fraction: float, message: str) -> None:
        bar.progress(min(1.0, max(0.0, fraction)), text=t("import.progress.stage", stage=message,
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
            st.error(t("import.refused", reason=plain(exc)))
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
        st.info(t("import.report.masked", n=report.masked, rows=report.masked_rows) + f" ({report.masked_by_field()})")
    for note in report.notes:  # notes may quote the file (a column name, a code)
        st.caption(plain(note))
    if report.skipped:
        skipped = report.skipped_frame()
        skipped.columns = [t(f"import.report.{'line' if report.row_word == 'line' else 'feature'}"),
                           t("import.report.reason")]
        st.dataframe(skipped, hide_index=True, width="stretch")
        offer(t("import.report.download"), safefiles.csv_bytes(skipped), "skipped_rows.csv",
              key="import.report.download", what=f"import_skipped:{report.layer}", rows=len(skipped))


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
