"""The command line as a package: one atomic writer, choice lists from the domain, one severity parser,
one audit actor."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from geo.cli import build_parser, main
from geo.cli.common import CommandError, check_out, cli_actor, write_atomic, write_out

ROOT = Path(__file__).resolve().parents[1]


# ---- the atomic writer -----------------------------------------------------------------------------

def _failing(part: Path) -> None:
    part.write_bytes(b"half a fi")
    raise OSError("disk full")


def test_write_atomic_leaves_no_file_when_the_write_fails(tmp_path):
    out = tmp_path / "new" / "table.csv"
    with pytest.raises(OSError, match="disk full"):
        write_atomic(out, _failing)
    assert not out.exists()
    assert list(out.parent.iterdir()) == []  # nor a part file beside it


def test_write_atomic_keeps_the_earlier_file_when_the_write_fails(tmp_path):
    out = tmp_path / "table.csv"
    out.write_bytes(b"code,n\nA,1\n")
    with pytest.raises(OSError):
        write_atomic(out, _failing)
    assert out.read_bytes() == b"code,n\nA,1\n"
    assert [p.name for p in tmp_path.iterdir()] == ["table.csv"]


def test_write_atomic_interrupted_leaves_no_part(tmp_path):
    def interrupted(part: Path) -> None:
        part.write_bytes(b"x")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_atomic(tmp_path / "a.json", interrupted)
    assert list(tmp_path.iterdir()) == []


def test_write_atomic_writes_through_a_part_of_the_same_suffix(tmp_path):
    seen = []

    def write(part: Path) -> None:
        seen.append(part)
        assert part.parent == tmp_path and part.name.startswith(".") and part.suffix == ".geojson"
        part.write_text("{}")

    write_atomic(tmp_path / "zones.geojson", write)
    assert (tmp_path / "zones.geojson").read_text() == "{}" and not seen[0].exists()
    assert [p.name for p in tmp_path.iterdir()] == ["zones.geojson"]


def test_write_out_by_suffix(tmp_path):
    import geopandas as gpd
    import shapely

    frame = pd.DataFrame({"code": ["A1"], "title": ["=HYPERLINK(1)"]})
    write_out(str(tmp_path / "t.csv"), frame)
    body = (tmp_path / "t.csv").read_bytes()
    assert not body.startswith(b"\xef\xbb\xbf") and b"'=HYPERLINK" in body  # no BOM; the formula defused
    write_out(str(tmp_path / "t.xlsx"), frame)
    assert (tmp_path / "t.xlsx").read_bytes()[:2] == b"PK"
    write_out(str(tmp_path / "t.geojson"), gpd.GeoDataFrame(frame, geometry=[shapely.Point(1, 2)], crs=4326))
    assert gpd.read_file(tmp_path / "t.geojson").geometry.iloc[0].equals(shapely.Point(1, 2))
    write_out(str(tmp_path / "t.pdf"), b"%PDF-1.7")
    assert (tmp_path / "t.pdf").read_bytes() == b"%PDF-1.7"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.csv", "t.geojson", "t.pdf", "t.xlsx"]


def test_check_out_refuses_a_suffix_the_command_cannot_write():
    check_out("a/b.CSV", (".csv",))
    with pytest.raises(CommandError, match=r"--out x.txt: expected a .csv or .geojson file"):
        check_out("x.txt", (".csv", ".geojson"))


# ---- choice lists are the domain's -----------------------------------------------------------------

def _action(path: list[str], dest: str) -> argparse.Action:
    parser = build_parser()
    for name in path:
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        parser = sub.choices[name]
    return next(a for a in parser._actions if a.dest == dest)


def _domain():
    from geo.core import auth, density, grid
    from geo.ingest import export, fields
    from geo.store import analysis, camera_plan

    file_layers = tuple(layer for layer in fields.LAYERS if layer != "areas")
    return [
        (["users", "add"], "role", auth.ROLES),
        (["hotspots"], "method", analysis.METHODS),
        (["hotspots"], "step", analysis.STEPS),
        (["hotspots"], "kernel", density.KERNELS),
        (["plan-cameras"], "demand", camera_plan.DEMANDS),
        (["plan-cameras"], "level", camera_plan.LEVELS),
        (["export"], "layer", tuple(export.EXPORT_TABLES)),
        *[([command], "level", grid.LEVELS) for command in ("counts", "hotspots", "coverage")],
        (["import", "areas"], "level", grid.LEVELS),
        (["import", "grid"], "shape", grid.SHAPES),
        (["import"], "layer", ("areas", "grid", *file_layers)),
    ]


@pytest.mark.parametrize("index", range(len(_domain())), ids=[" ".join(p) + f" {d}" for p, d, _ in _domain()])
def test_choice_lists_are_the_domain_tuples(index):
    path, dest, owned = _domain()[index]
    assert tuple(_action(path, dest).choices) == tuple(owned)


def test_a_method_the_domain_adds_is_a_choice(monkeypatch):
    from geo.store import analysis

    monkeypatch.setattr(analysis, "METHODS", (*analysis.METHODS, "yoy"))
    assert build_parser().parse_args(["hotspots", "--level", "grid", "--method", "yoy", "--out", "x.csv"]).method == "yoy"


# ---- severity on the command line ------------------------------------------------------------------

@pytest.mark.parametrize("weight,message", [("fight=-1", "cannot be negative"), ("fight=nan", "finite"),
                                            ("fight", "expected CATEGORY=WEIGHT")])
@pytest.mark.parametrize("action", ["score", "propose"])
def test_zones_refuse_a_bad_severity_with_status_2(tmp_path, capsys, weight, message, action):
    url = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    assert main(["init", "--db", url]) == 0
    out = tmp_path / ("z.csv" if action == "score" else "z.geojson")
    argv = ["zones", action, "--db", url, "--severity", "drunk=2", "--severity", weight, "--out", str(out)]
    assert main(argv + (["--k", "2"] if action == "propose" else [])) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --severity 'fight") and message in err
    assert not out.exists()


def test_the_module_runs_as_a_command_and_refuses_a_negative_weight(tmp_path):
    """``python -m geo`` (geo/__main__.py) runs the package's main: status 2 and one line of error."""
    done = subprocess.run([sys.executable, "-m", "geo", "zones", "score", "--severity", "fight=-2",
                           "--db", f"sqlite:///{tmp_path / 'none.sqlite'}", "--out", str(tmp_path / "z.csv")],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip() == "error: --severity 'fight=-2': a weight cannot be negative"
    assert not (tmp_path / "none.sqlite").exists() and not (tmp_path / "z.csv").exists()


# ---- one audit actor -------------------------------------------------------------------------------

def test_export_is_audited_under_the_one_cli_actor(tmp_path):
    from geo.store import audit
    from geo.store.engine import make_engine

    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    assert main(["init", "--db", url]) == 0
    assert main(["export", "incidents", "--db", url, "--out", str(tmp_path / "i.csv")]) == 0
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            rows = audit.entries(conn, action="export")
    finally:
        engine.dispose()
    assert rows["username"].tolist() == [cli_actor()] and cli_actor().startswith("cli:")


# ---- candidate sites by the import's column names --------------------------------------------------

@pytest.mark.parametrize("header", ["lon,lat", "Longitude,Latitude", "x,y", "经度,纬度", "LNG,Lat"])
def test_candidate_sites_read_the_import_aliases(tmp_path, header):
    from geo.cli.analysis import read_candidates

    path = tmp_path / "sites.csv"
    path.write_text(f"name,{header}\nA,121.5,31.2\nB,121.6,31.3\n", encoding="utf-8")
    sites = read_candidates(str(path))
    assert list(zip(sites.geometry.x, sites.geometry.y)) == [(121.5, 31.2), (121.6, 31.3)]


def test_candidate_sites_without_coordinates_are_refused(tmp_path):
    from geo.cli.analysis import read_candidates

    path = tmp_path / "sites.csv"
    path.write_text("name,east,north\nA,1,2\n", encoding="utf-8")
    with pytest.raises(CommandError, match="candidates need lon/lat"):
        read_candidates(str(path))


@pytest.mark.parametrize("header,row", [("x,y,lon,lat", "500000,4649776,116.4,39.9"),
                                        ("X,Y,Longitude,Latitude", "500000,4649776,116.4,39.9")])
def test_candidate_sites_read_degrees_by_name_before_x_and_y(tmp_path, header, row):
    """A site file with projected x/y beside lon/lat is read by its lon/lat, as before the aliases."""
    from geo.cli.analysis import read_candidates

    path = tmp_path / "sites.csv"
    path.write_text(f"{header}\n{row}\n", encoding="utf-8")
    sites = read_candidates(str(path))
    assert (round(sites.geometry.x.iloc[0], 6), round(sites.geometry.y.iloc[0], 6)) == (116.4, 39.9)


def test_export_goes_through_the_one_writer_and_leaves_nothing_when_it_fails(tmp_path, monkeypatch, capsys):
    """``export`` writes through the same atomic writer: a failure mid-write leaves no file and no part,
    and an earlier export of the same name stays as it was."""
    from geo.report import safefiles

    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    assert main(["init", "--db", url]) == 0
    out = tmp_path / "out" / "i.csv"
    assert main(["export", "incidents", "--db", url, "--out", str(out)]) == 0
    earlier = out.read_bytes()

    def broken(frame):
        raise OSError("disk full")

    monkeypatch.setattr(safefiles, "csv_bytes", broken)
    assert main(["export", "incidents", "--db", url, "--out", str(out)]) == 1
    assert "disk full" in capsys.readouterr().err
    assert out.read_bytes() == earlier and sorted(p.name for p in out.parent.iterdir()) == ["i.csv"]
