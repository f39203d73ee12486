"""One audit entry per import, whoever runs it (the import page, the ledger page, the command line).

A kept import and its entry share one transaction: the importer calls the hook it is given
(``in_transaction``) after writing its rows, and if the entry cannot be written nothing of the
import is kept. An import that is refused or fails writes nothing, so its entry (outcome
``failed``, with the reason) is written on its own afterwards.
"""

from __future__ import annotations

from typing import Callable

from sqlalchemy.engine import Connection, Engine

from geo.ingest.report import ImportReport
from geo.store import audit

Hook = Callable[[Connection, ImportReport], None]
ACTION = "import"
REASON_CHARS = 500


def counts(report: ImportReport) -> str:
    """The report's figures as the audit entry's detail."""
    return (f"read={report.rows_read} new={report.inserted} updated={report.updated} "
            f"unchanged={report.unchanged} skipped={len(report.skipped)}")


def run_audited(engine: Engine, actor: str, layer: str, file_name: str,
                run: Callable[[Hook], ImportReport]) -> ImportReport:
    """Run ``run(hook)`` (an importer given ``in_transaction=hook``) and audit it as ``actor``.

    ``layer`` names what was imported (``ledger``, ``areas:grid``, ...); the entry's object is
    ``<layer>:<file name>``. Any exception is re-raised after its entry is written.
    """
    obj = f"{layer}:{file_name}"

    def hook(conn: Connection, report: ImportReport) -> None:
        audit.record(conn, actor, ACTION, obj, detail=counts(report))

    try:
        return run(hook)
    except Exception as exc:
        reason = str(exc).strip() or type(exc).__name__
        try:
            with engine.begin() as conn:
                audit.record(conn, actor, ACTION, obj, "failed", reason[:REASON_CHARS])
        except Exception as unrecorded:  # the database itself is away: say so, and raise the import's error
            exc.add_note(f"the failed import could not be audited either: {unrecorded}")
        raise
