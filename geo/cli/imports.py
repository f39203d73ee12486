"""``import``: areas from a file, a generated grid, building footprints, or a layer of points (or zones)
from a file."""

from __future__ import annotations

import sys
from pathlib import Path

from geo.cli.common import (CLI_ROLE, CommandError, add_choice, add_level, check_report_path, cli_actor, engine, progress,
                            write_out)


def cmd_import(args) -> str:
    from geo.ingest.areas import generate_grid, import_areas
    from geo.ingest.audited import run_audited
    from geo.ingest.pipeline import Importer, import_file

    if args.report:  # checked before the import, which commits: a bad path must not fail after it
        check_report_path(args.report)
        if getattr(args, "file", None) and Path(args.report).resolve() == Path(args.file).resolve():
            raise CommandError(f"--report {args.report}: is the file being imported")
    db = engine(args)
    # one audit entry per import, in the import's transaction (a refusal on its own)
    audited = lambda run: run_audited(db, cli_actor(), *imported(args), run)  # noqa: E731
    if args.layer == "areas":
        report = audited(lambda hook: import_areas(db, args.file, args.level, code_field=args.code_field,
                                                   name_field=args.name_field, parent_field=args.parent_field,
                                                   maps=args.map, crs=args.crs, progress=progress(),
                                                   in_transaction=hook))
    elif args.layer == "grid":
        report = audited(lambda hook: generate_grid(db, args.cell_size, args.shape, args.within,
                                                    progress=progress(), in_transaction=hook))
    elif args.layer == "buildings":  # not scoped: the operator's, for everyone (geo.ingest.buildings)
        from geo.ingest.buildings import import_buildings

        report = audited(lambda hook: import_buildings(db, args.file, source=args.source, maps=args.map,
                                                       crs=args.crs, progress=progress(), in_transaction=hook))
    else:
        from geo.store.scope import Scope

        # the command line is the operator's (the table owner's): it imports for the whole jurisdiction
        report = audited(lambda hook: import_file(db, args.file, args.layer, scope=Scope.jurisdiction(),
                                                  preset=args.preset, maps=args.map, crs=args.crs,
                                                  source=args.source, tz=args.tz, progress=progress(),
                                                  in_transaction=hook, by=Importer(cli_actor(), CLI_ROLE)))
    if args.report:
        write_out(args.report, report.skipped_frame())
    detail = report.details(limit=args.show_skipped)
    if detail.count("\n"):
        print(detail.split("\n", 1)[1], file=sys.stderr)
    if not getattr(args, "no_alerts", False):
        from geo.cli.alerts import after_import

        after_import(db)  # after the commit: its failure is a warning, never the import's
    return report.summary()


def imported(args) -> tuple[str, str]:
    """What an import command imports, as its audit entry names it: (layer, file name)."""
    if args.layer == "grid":
        return "areas:grid", f"generated {args.shape} {args.cell_size:g} m" + (f" in {args.within}" if args.within
                                                                               else "")
    return (f"areas:{args.level}" if args.layer == "areas" else args.layer), Path(args.file).name


def file_layers() -> list[str]:
    """The layers a file of rows imports into (``geo.ingest.fields.LAYERS``); areas and buildings have their
    own commands."""
    from geo.ingest.fields import LAYERS

    return [layer for layer in LAYERS if layer not in ("areas", "buildings")]


def _with_no_alerts(common):
    import argparse

    parent = argparse.ArgumentParser(add_help=False, parents=[common])
    parent.add_argument("--no-alerts", action="store_true", help="do not evaluate the alert subscriptions afterwards")
    return parent


def add_commands(sub, common, scoped) -> None:
    from geo.ingest.presets import preset_names

    p = sub.add_parser("import", parents=[common], help="import areas, a generated grid or a point layer")
    isub = p.add_subparsers(dest="layer", required=True, metavar="LAYER")
    common = _with_no_alerts(common)
    a = isub.add_parser("areas", parents=[common], help="district/street/community/grid polygons")
    a.add_argument("file")
    add_level(a)
    a.add_argument("--code-field")
    a.add_argument("--name-field")
    a.add_argument("--parent-field")
    a.add_argument("--map", action="append", metavar="FIELD=COLUMN", help="e.g. population=pop_2010")
    a.add_argument("--crs", help="EPSG code, gcj02 or bd09 (a file's own CRS is used when present)")
    g = isub.add_parser("grid", parents=[common], help="generate regular grid cells")
    g.add_argument("--cell-size", type=float, required=True, metavar="METRES")
    add_choice(g, "--shape", "geo.core.grid.SHAPES", default="square")
    g.add_argument("--within", metavar="CODE", help="clip to this area (default: the districts)")
    for layer in file_layers():
        lp = isub.add_parser(layer, parents=[common], help=f"import {layer}")
        lp.add_argument("file")
        lp.add_argument("--preset", help=f"column preset ({', '.join(preset_names())})")
        lp.add_argument("--map", action="append", metavar="FIELD=COLUMN", help="map a column to a field")
        lp.add_argument("--crs", help="EPSG code, gcj02 or bd09 of the file's coordinates")
        lp.add_argument("--source", help="source name for the source ids (default: the preset's, else 'import')")
        lp.add_argument("--tz", help="time zone of the file's times (default: the preset's, else the deployment's)")
    b = isub.add_parser("buildings", parents=[common], help="building footprints (polygons that hide views)")
    b.add_argument("file")
    b.add_argument("--source", help="source name for the footprints' ids, e.g. osm (default: 'import')")
    b.add_argument("--crs", help="EPSG code, gcj02 or bd09 (a file's own CRS is used when present)")
    b.add_argument("--map", action="append", metavar="FIELD=COLUMN", help="e.g. source_id=BLDG_ID")
    for sp in isub.choices.values():
        sp.add_argument("--report", metavar="FILE.csv", help="write the skipped rows and reasons here")
        sp.add_argument("--show-skipped", type=int, default=10, metavar="N", help="skipped rows to print")
    p.set_defaults(run=cmd_import)
