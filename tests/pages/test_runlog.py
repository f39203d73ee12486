"""The run log: one JSON line per script run when SAFEGRID_RUN_LOG names a file, nothing otherwise."""

from __future__ import annotations

import pytest
from streamlit.runtime.scriptrunner_utils.exceptions import RerunException, StopException

from geo.ui import runlog
from tests.pages.common import run_page


@pytest.fixture
def log_file(monkeypatch, tmp_path):
    path = tmp_path / "runs.jsonl"
    monkeypatch.setenv(runlog.ENV, str(path))
    return path


def test_script_run_without_the_setting_writes_nothing(monkeypatch, tmp_path):
    monkeypatch.delenv(runlog.ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    with runlog.script_run():
        pass
    assert list(tmp_path.iterdir()) == []


def test_script_run_appends_one_line_per_run(log_file):
    for _ in range(3):
        with runlog.script_run():
            sum(range(10_000))
    records = runlog.read(log_file)
    assert len(records) == 3
    for record in records:
        assert set(record) == {"page", "seconds", "end", "started"}
        assert record["end"] == "ok"
        assert 0 <= record["seconds"] < 5
        assert record["page"] == "?"  # outside a Streamlit run there is no page


@pytest.mark.parametrize("raised, ending", [(StopException(), "stop"), (RerunException(None), "rerun"),
                                            (ValueError("boom"), "error")], ids=["stop", "rerun", "error"])
def test_script_run_logs_how_a_run_ended_and_lets_it_end_so(log_file, raised, ending):
    with pytest.raises(type(raised)):
        with runlog.script_run():
            raise raised
    assert [r["end"] for r in runlog.read(log_file)] == [ending]


def test_script_run_with_an_unwritable_log_still_runs_the_page(monkeypatch, tmp_path):
    monkeypatch.setenv(runlog.ENV, str(tmp_path / "no such folder" / "runs.jsonl"))
    with runlog.script_run():
        ran = True
    assert ran


def test_router_logs_each_run_with_its_page(monkeypatch, demo_url, log_file):
    from tests.conftest import ROOT

    monkeypatch.setenv("DATABASE_URL", demo_url)
    monkeypatch.chdir(ROOT)
    at = run_page("pages/grid_map.py", user="leader")
    assert not at.exception
    records = runlog.read(log_file)
    pages = [r["page"] for r in records]
    assert records[0]["end"] == "stop"  # the sign-in form stops the run before any page
    assert pages[-1] == "grid"  # the switch to the grid page is a run of its own
    assert all(r["seconds"] > 0 for r in records)
    assert records[-1]["end"] == "ok"
