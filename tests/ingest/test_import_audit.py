"""Every import is audited once, whoever runs it: kept imports in their own transaction (no entry,
no import), refusals on their own. The command line records the operating-system user."""

from __future__ import annotations

import getpass

import pytest
from sqlalchemy import text

from geo.cli import main
from geo.store import audit
from tests.helpers import cells_file, centre, district_file, incidents_csv

ME = f"cli:{getpass.getuser()}"


def _url(engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _imports(engine) -> list[tuple]:
    with engine.connect() as conn:
        rows = audit.entries(conn, action="import")
    return list(zip(rows["username"], rows["object"], rows["outcome"], rows["detail"]))[::-1]  # oldest first


def _city(engine, tmp_path) -> None:
    assert main(["import", "areas", str(district_file(tmp_path)), "--level", "district", "--db", _url(engine)]) == 0
    assert main(["import", "areas", str(cells_file(tmp_path)), "--level", "grid", "--db", _url(engine)]) == 0


def test_cli_import_audits_areas_grid_and_points_as_the_os_user(db, tmp_path):
    _city(db, tmp_path)
    assert main(["import", "grid", "--cell-size", "500", "--db", _url(db)]) == 0
    x, y = centre("C1")
    path = incidents_csv(tmp_path, [(1, "2026-03-01 10:00", x, y, "theft", ""), (2, "2026-03-01", 1, 1, "", "")])
    assert main(["import", "incidents", str(path), "--db", _url(db)]) == 0
    log = _imports(db)
    assert [row[:3] for row in log] == [(ME, "areas:district:district.geojson", "ok"),
                                        (ME, "areas:grid:cells.geojson", "ok"),
                                        (ME, "areas:grid:generated square 500 m", "ok"),
                                        (ME, "incidents:incidents.csv", "ok")]
    assert log[-1][3] == "read=2 new=1 updated=0 unchanged=0 skipped=1"


def test_cli_import_refusal_is_audited_on_its_own(db, tmp_path, capsys):
    _city(db, tmp_path)
    path = incidents_csv(tmp_path, [(1, "not a date", 1, 1, "", "")], name="bad.csv")
    assert main(["import", "incidents", str(path), "--db", _url(db)]) == 2
    assert "no row could be imported" in capsys.readouterr().err
    user, obj, outcome, detail = _imports(db)[-1]
    assert (user, obj, outcome) == (ME, "incidents:bad.csv", "failed") and "no row could be imported" in detail
    with db.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM incidents")).scalar() == 0


def test_cli_import_keeps_nothing_when_its_audit_entry_cannot_be_written(db, tmp_path, monkeypatch, capsys):
    _city(db, tmp_path)
    real = audit.record

    def broken(conn, username, action, obj=None, outcome="ok", detail=None, at=None):
        if outcome == "ok":
            raise RuntimeError("audit log unavailable")
        real(conn, username, action, obj, outcome, detail, at)

    monkeypatch.setattr(audit, "record", broken)
    x, y = centre("C2")
    path = incidents_csv(tmp_path, [(1, "2026-03-01 10:00", x, y, "theft", "")])
    assert main(["import", "incidents", str(path), "--db", _url(db)]) == 1  # an unexpected error, rolled back
    assert "audit log unavailable" in capsys.readouterr().err
    with db.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM incidents")).scalar() == 0
        assert conn.execute(text("SELECT COUNT(*) FROM incident_daily")).scalar() == 0
    assert _imports(db)[-1][1:3] == ("incidents:incidents.csv", "failed")
