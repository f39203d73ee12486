"""Files offered for download: the one place that draws a download button, and audits the click.

Every page offers its files through ``offer``; a test fails when any other module calls
``st.download_button``. The button's ``on_click`` callback writes an audit row (action
``download``, object ``<what>:<file name>``, the account's scope in the detail) when the user
presses it: Streamlit runs the callback on the click, before the rerun that follows it. The
bytes themselves are made by the caller (CSV and Excel through ``geo.report.safefiles``).
If the audit row cannot be written the callback raises and the page shows the error.
"""

from __future__ import annotations

from pathlib import PurePath

import streamlit as st

from geo.store import audit
from geo.ui import data
from geo.ui.auth import current_user

ACTION = "download"
MIMES = {".csv": "text/csv", ".geojson": "application/geo+json", ".pdf": "application/pdf", ".json": "application/json",
         ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def offer(label: str, body: bytes | str, file_name: str, *, key: str, what: str, rows: int | None = None,
          where=None) -> None:
    """A download button for ``body`` named ``file_name`` (its MIME type from the suffix), drawn in
    ``where`` (a column or container; default the page). ``what`` names the page's table for the
    audit row (e.g. ``"ledger"``, ``"hotspots:gistar"``); ``rows`` is how many rows the file holds."""
    user = current_user() or {}
    size = len(body.encode("utf-8") if isinstance(body, str) else body)
    (where or st).download_button(label, body, file_name, MIMES.get(PurePath(file_name).suffix.lower()), key=key,
                                  on_click=record, args=(user.get("username", "-"), what, file_name,
                                                         data.user_scope(), rows, size))


def record(username: str, what: str, file_name: str, scope: str | None, rows: int | None = None,
           size: int | None = None) -> None:
    """The audit row of one download (the button's ``on_click``; called directly by tests)."""
    facts = [f"scope {scope or 'all'}"]
    if rows is not None:
        facts.append(f"{rows} rows")
    if size is not None:
        facts.append(f"{size} bytes")
    with data.engine().begin() as conn:
        audit.record(conn, username, ACTION, f"{what}:{file_name}", detail=", ".join(facts))
