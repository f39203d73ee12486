"""``report`` (an area's report), ``wall-snapshot`` (what the wall shows) and ``export`` (a layer)."""

from __future__ import annotations

from pathlib import Path

from geo.cli.common import (CommandError, add_choice, add_out, add_period, check_out, cli_actor, engine, reading, scope,
                            write_out)
from geo.core import clock
from geo.core.timeutil import parse_date


def cmd_report(args) -> str:
    from geo.report.area_report import report_pdf, report_xlsx
    from geo.store import audit
    from geo.store.reports import report_data
    from geo.store.schema import deployment_timezone

    with reading(args, (".pdf", ".xlsx")) as (conn, within, start, end):
        db = conn.engine
        try:
            data = report_data(conn, within, args.area, start, end, clock.today(deployment_timezone(conn)))
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
    write_out(args.out, report_pdf(data) if args.out.lower().endswith(".pdf") else report_xlsx(data))
    with db.begin() as conn:
        audit.record(conn, cli_actor(), "report", args.area, detail=f"{start}..{end} -> {Path(args.out).name}")
    n = data["counts"]
    return (f"{args.out}: {data['area']['name']} ({args.area}) {start}..{end}: {n['period']:,} incidents "
            f"(year on year {n['yoy_pct']}%), {len(data['hot'])} hot cells, {data['ledger']['open']} open ledger items "
            f"({data['ledger']['overdue']} overdue), {len(data['indicators'])} campaign indicators")


def cmd_wall_snapshot(args) -> str:
    """Exactly what the wall shows now (through the page's own code path), as JSON."""
    import json

    from geo.store.kpis import wall_view
    from geo.store.wallfile import wall_document
    from geo.ui.config import wall_settings

    check_out(args.out, (".json",))
    db = engine(args)
    with db.connect() as conn:
        view = wall_view(conn, scope(args, conn), clock.now_utc(), **wall_settings())
    doc = wall_document(view)
    write_out(args.out, json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8"))
    return (f"{args.out}: the wall at {doc['today']} (k={doc['k']}): {len(doc['tiles'])} tiles, {len(doc['map'])} cells, "
            f"{len(doc['chart']['bars'])} bars, {len(doc['latest'])} latest, {len(doc['hot_cells'])} hot cells")


def cmd_export(args) -> str:
    """A layer inside the scope, written by ``geo.ingest.export.export_layer`` (its format from the suffix)."""
    from geo.ingest.export import export_layer
    from geo.store import audit

    db = engine(args)
    start = parse_date(args.date_from) if args.date_from else None
    end = parse_date(args.date_to) if args.date_to else None
    with db.connect() as conn:
        area = scope(args, conn)
    n = export_layer(db, args.layer, args.out, start, end, scope=area)
    within = f"scope {args.scope}" if args.scope else ""
    with db.begin() as conn:
        audit.record(conn, cli_actor(), "export", args.layer,
                     detail=f"{n} rows to {Path(args.out).name}" + (f", {within}" if within else ""))
    return f"{args.out}: {n} {args.layer} exported" + (f" ({within})" if within else "")


def add_commands(sub, common, scoped) -> None:
    p = sub.add_parser("report", parents=[scoped], help="area report for a period (PDF or Excel)")
    p.add_argument("--area", required=True, metavar="CODE")
    add_period(p)
    add_out(p, "FILE.pdf|.xlsx")
    p.set_defaults(run=cmd_report)

    p = sub.add_parser("wall-snapshot", parents=[scoped], help="what the wall shows now, as JSON (for audit)")
    add_out(p, "FILE.json")
    p.set_defaults(run=cmd_wall_snapshot)

    p = sub.add_parser("export", parents=[scoped], help="export a layer")
    add_choice(p, "layer", "geo.ingest.export.EXPORT_TABLES")
    add_out(p, "FILE")
    add_period(p)
    p.set_defaults(run=cmd_export)
