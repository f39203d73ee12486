"""Memory bench of the import limits: hostile and large files, peak RSS of each import process.

Every case runs ``python -m geo import`` in a process of its own (so its peak resident memory,
read from the kernel when it exits, is its own) against a fresh SQLite file holding the Chicago
police beats, and prints one table row: the file, its size on disk and unpacked, the outcome,
seconds and peak RSS. The plain baseline is what a user would do instead: ``pandas.read_csv``
of the same CSV, or ``geopandas.read_file`` of the GeoJSON (no validation, no database), in its
own process too.

- ``csv 50 MB``: the whole Chicago 2017 file unpacked (267,792 rows), imported with its preset.
- ``gzip bomb``: 1 GiB of repeated rows compressed to a few MB; refused at the text limit.
- ``zip bomb``: a zip whose one CSV member unpacks to 1 GiB; refused from the zip's directory.
- ``/dev/zero``: a ``.csv`` symlink to the zero device; refused as not a regular file.
- ``csv at the limit`` / ``geojson at the limit`` (full run only): the largest text the default
  limits accept, to show the ceiling.

Usage: ``.venv/bin/python bench/limits_bench.py [--smoke]``. ``--smoke`` uses the July file (5 MB),
a 64 MiB bomb and no at-the-limit files; the tests run it.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data" / "chicago"
CRIMES = DATA / "chicago_crimes_2017.csv.gz"
SMOKE_CRIMES = DATA / "chicago_crimes_2017_07.csv"
BEATS = DATA / "police_beats.geojson"
MIB = 1024 ** 2


def _run(argv: list[str], env: dict | None = None) -> tuple[int, float, float, str]:
    """Exit status, seconds, peak RSS (MiB) and last stderr line of a child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})})
    _pid, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    out, err = proc.stdout.read(), proc.stderr.read()
    proc.returncode = os.waitstatus_to_exitcode(status)
    last = (err.strip().splitlines() or out.strip().splitlines() or [""])[-1]
    return proc.returncode, seconds, usage.ru_maxrss / 1024.0, last


def _database(tmp: Path) -> str:
    url = f"sqlite:///{tmp / 'bench.sqlite'}"
    if not (tmp / "bench.sqlite").exists():
        for argv in (["init", "--tz", "America/Chicago"],
                     ["import", "areas", str(BEATS), "--level", "grid", "--code-field", "beat_num"]):
            code, _s, _m, last = _run([sys.executable, "-m", "geo", *argv, "--db", url])
            if code:
                raise SystemExit(f"setting up the bench database failed: {last}")
    return url


def _gzip_bomb(path: Path, size: int) -> None:
    lines = SMOKE_CRIMES.read_text(encoding="utf-8").splitlines()
    head = lines[0].encode() + b"\n"
    row = (next(line for line in lines[1:] if ",," not in line) + "\n").encode()  # a row with every field
    block = row * (MIB // len(row))
    with gzip.open(path, "wb", compresslevel=6) as gz:
        gz.write(head)
        for _ in range(size // len(block)):
            gz.write(block)


def _zip_bomb(path: Path, size: int) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf, zf.open("crimes.csv", "w", force_zip64=True) as fh:
        block = b"0" * MIB
        for _ in range(size // MIB):
            fh.write(block)


def _unpacked(src: Path, dst: Path, most: int | None = None) -> None:
    """``src`` (maybe gzip) as plain CSV, repeated with fresh ids until ``most`` bytes when given."""
    data = gzip.decompress(src.read_bytes()) if src.suffix == ".gz" else src.read_bytes()
    if most is None:
        dst.write_bytes(data)
        return
    head, body = data.split(b"\n", 1)
    lines = body.splitlines(keepends=True)
    with dst.open("wb") as fh:
        fh.write(head + b"\n")
        written, k = len(head) + 1, 0
        while written < most - 4096:
            for line in lines:
                line = str(k).encode() + line[line.index(b","):]  # a fresh id per row
                if written + len(line) >= most - 4096:
                    break
                fh.write(line)
                written += len(line)
                k += 1
            else:
                continue
            break


def _geojson_at(dst: Path, most: int) -> None:
    feature = {"type": "Feature", "properties": {"id": "0", "occurred_at": "2017-07-01 10:00", "category": "THEFT",
                                                 "description": "over $500"},
               "geometry": {"type": "Point", "coordinates": [-87.6298, 41.8781]}}
    with dst.open("w", encoding="utf-8") as fh:
        fh.write('{"type": "FeatureCollection", "features": [\n')
        written, k = 50, 0
        while True:
            feature["properties"]["id"] = str(k)
            text = json.dumps(feature)
            if written + len(text) + 10 >= most:
                break
            fh.write(("" if k == 0 else ",\n") + text)
            written += len(text) + 2
            k += 1
        fh.write("\n]}\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="small sizes; what the tests run")
    args = parser.parse_args()
    bomb = 64 * MIB if args.smoke else 1024 * MIB
    with tempfile.TemporaryDirectory(prefix="safegrid-limits-") as tmp_name:
        tmp = Path(tmp_name)
        url = _database(tmp)
        csv_path = tmp / "crimes.csv"
        _unpacked(SMOKE_CRIMES if args.smoke else CRIMES, csv_path)
        gz_bomb, zip_bomb, device = tmp / "bomb.csv.gz", tmp / "bomb.zip", tmp / "zero.csv"
        _gzip_bomb(gz_bomb, bomb)
        _zip_bomb(zip_bomb, bomb)
        device.symlink_to("/dev/zero")
        # The smoke bombs are smaller than the default limits: lower the limits so they are refused too.
        low = {"SAFEGRID_MAX_TEXT_BYTES": str(16 * MIB), "SAFEGRID_MAX_ARCHIVE_BYTES": str(32 * MIB)} \
            if args.smoke else {}
        cases = [(f"csv {csv_path.stat().st_size / MIB:.0f} MB", csv_path, ["--preset", "chicago"], {}, True),
                 (f"gzip bomb {bomb // MIB} MiB", gz_bomb, ["--preset", "chicago"], low, False),
                 (f"zip bomb {bomb // MIB} MiB", zip_bomb, ["--preset", "chicago"], low, False),
                 ("/dev/zero as .csv", device, [], {}, False)]
        if not args.smoke:
            from geo.ingest.limits import limit

            at_csv, at_json = tmp / "limit.csv", tmp / "limit.geojson"
            _unpacked(CRIMES, at_csv, limit("SAFEGRID_MAX_TEXT_BYTES"))
            _geojson_at(at_json, limit("SAFEGRID_MAX_TEXT_BYTES"))
            cases += [("csv at the limit", at_csv, ["--preset", "chicago"], {}, True),
                      ("geojson at the limit", at_json, ["--tz", "America/Chicago"], {}, True)]
        print(f"{'file':<22}{'on disk':>10}{'exit':>6}{'seconds':>9}{'peak MiB':>10}  "
              f"{'baseline s':>17}{'baseline MiB':>13}  outcome")
        wrong = []
        for label, path, extra, env, baseline in cases:
            size = path.stat().st_size if path.is_file() and not path.is_symlink() else 0
            code, seconds, peak, last = _run([sys.executable, "-m", "geo", "import", "incidents", str(path),
                                              "--db", url, *extra], env)
            base = "-", "-"
            if baseline:  # what a user would do instead: pandas for a CSV, geopandas for GeoJSON
                reader = "geopandas.read_file(sys.argv[1])" if path.suffix == ".geojson" else \
                    "pandas.read_csv(sys.argv[1], dtype=str)"
                b_code, b_s, b_peak, _ = _run([sys.executable, "-c", f"import sys, pandas, geopandas; {reader}",
                                               str(path)])
                base = (f"{b_s:.1f}", f"{b_peak:.0f}") if b_code == 0 else ("failed", "-")
            print(f"{label:<22}{size / MIB:>9.1f}M{code:>6}{seconds:>9.1f}{peak:>10.0f}  {base[0]:>17}{base[1]:>13}"
                  f"  {last[:110]}")
            if code != (0 if baseline else 2):  # files to import exit 0, hostile ones are refused with 2
                wrong.append(f"{label}: exit {code}")
        print("\nlimits in force: " + ", ".join(f"{lim.name}={lim.value():,}" for lim in _limits()))
        if wrong:
            raise SystemExit("unexpected outcomes: " + "; ".join(wrong))


def _limits():
    from geo.ingest.limits import LIMITS

    return LIMITS


if __name__ == "__main__":
    main()
