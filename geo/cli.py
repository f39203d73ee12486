"""``python -m geo``: the command line (a contract: see DESIGN.md).

Every command takes ``--db URL`` (else ``DATABASE_URL``, else the embedded SQLite file),
prints a one-line summary, and on bad input exits 2 with a clear message, writing nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path

from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from geo.core import clock
from geo.core.grid import LEVELS, SHAPES
from geo.core.timeutil import default_period, parse_date
from geo.ingest.errors import ImportRefused

LAYERS = ("incidents", "cameras", "zones", "places", "ledger")
EXPORTABLE = ("incidents", "areas", "cameras", "zones", "ledger", "places")


# The operator at the command line takes ledger workflow steps (imports) with an admin's rights.
CLI_ROLE = "admin"


class CommandError(Exception):
    """A bad argument or state: printed as ``error: ...`` with exit status 2."""


def _engine(args):
    from geo.store.engine import make_engine, resolve_url
    from geo.store.schema import is_initialised

    url = resolve_url(args.db)
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        path = Path(url[len("sqlite:///"):])
        if path.is_dir():
            raise CommandError(f"--db: {path} is a folder, not a database file")
        if not path.exists() and args.command not in ("init", "demo"):  # never create a file to say so
            raise CommandError(f"--db: no database file at {path}: run `python -m geo init` first")
    engine = make_engine(args.db)
    if args.command not in ("init", "demo") and not is_initialised(engine):
        raise CommandError("the database has no schema yet: run `python -m geo init` first")
    return engine


def _cli_actor() -> str:
    """Who runs the command, as the audit log and the ledger history name them: ``cli:<OS user>``."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no user name in the environment or the password database
        return f"cli:uid{os.getuid()}" if hasattr(os, "getuid") else "cli:unknown"


def cmd_init(args) -> str:
    from geo.store.engine import describe
    from geo.store.schema import init_db

    engine = _engine(args)
    if args.app_role and engine.dialect.name != "postgresql":  # refuse before migrating anything
        raise CommandError("--app-role: roles exist on PostgreSQL only; the SQLite file has no row-level security")
    zone = init_db(engine, args.tz)
    done = f"schema up to date in {describe(engine)} (time zone {zone})"
    if args.app_role:
        from geo.store.roles import RoleError, grant_app

        try:
            with engine.begin() as conn:
                grant_app(conn, args.app_role)
        except RoleError as exc:
            raise CommandError(f"--app-role: {exc}") from None
        done += f"; {args.app_role} may read and write, bound by row-level security"
    return done


def cmd_demo(args) -> str:
    from geo.ingest.demo import build_demo

    engine = _engine(args)
    if args.keep_existing:
        from geo.store.queries import table_counts
        from geo.store.schema import is_initialised

        if is_initialised(engine):
            with engine.connect() as conn:
                if table_counts(conn)["areas"]:
                    return "the database already holds data; kept as it is (--keep-existing)"
    return build_demo(engine, seed=args.seed, scale=args.scale, replace=args.replace, force=args.force,
                      actor=_cli_actor(), progress=None if args.quiet else _progress())


def _progress():
    from geo.ingest.pipeline import stderr_progress

    return stderr_progress if sys.stderr.isatty() else None


def cmd_import(args) -> str:
    from geo.ingest.areas import generate_grid, import_areas
    from geo.ingest.audited import run_audited
    from geo.ingest.pipeline import Importer, import_file

    if args.report:  # checked before the import, which commits: a bad path must not fail after it
        _check_report_path(args.report)
        if getattr(args, "file", None) and Path(args.report).resolve() == Path(args.file).resolve():
            raise CommandError(f"--report {args.report}: is the file being imported")
    engine = _engine(args)
    # one audit entry per import, in the import's transaction (a refusal on its own)
    audited = lambda run: run_audited(engine, _cli_actor(), *_imported(args), run)  # noqa: E731
    if args.layer == "areas":
        report = audited(lambda hook: import_areas(engine, args.file, args.level, code_field=args.code_field,
                                                   name_field=args.name_field, parent_field=args.parent_field,
                                                   maps=args.map, crs=args.crs, progress=_progress(),
                                                   in_transaction=hook))
    elif args.layer == "grid":
        report = audited(lambda hook: generate_grid(engine, args.cell_size, args.shape, args.within,
                                                    progress=_progress(), in_transaction=hook))
    else:
        from geo.store.scope import Scope

        # the command line is the operator's (the table owner's): it imports for the whole jurisdiction
        report = audited(lambda hook: import_file(engine, args.file, args.layer, scope=Scope.jurisdiction(),
                                                  preset=args.preset, maps=args.map, crs=args.crs,
                                                  source=args.source, tz=args.tz, progress=_progress(),
                                                  in_transaction=hook, by=Importer(_cli_actor(), CLI_ROLE)))
    if args.report:
        _write_csv(report.skipped_frame(), args.report)
    detail = report.details(limit=args.show_skipped)
    if detail.count("\n"):
        print(detail.split("\n", 1)[1], file=sys.stderr)
    return report.summary()


def _check_report_path(out: str) -> None:
    path = Path(out)
    if path.suffix.lower() != ".csv":
        raise CommandError(f"--report {out}: expected a .csv file")
    if path.is_dir():
        raise CommandError(f"--report {out}: is a folder")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise CommandError(f"--report {out}: the folder {parent} does not exist")
    if not os.access(parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise CommandError(f"--report {out}: cannot write there")


def _imported(args) -> tuple[str, str]:
    """What an import command imports, as its audit entry names it: (layer, file name)."""
    if args.layer == "grid":
        return "areas:grid", f"generated {args.shape} {args.cell_size:g} m" + (f" in {args.within}" if args.within
                                                                               else "")
    return (f"areas:{args.level}" if args.layer == "areas" else args.layer), Path(args.file).name


def _scope(args, conn):
    """The area the command reads inside: ``--scope CODE``, else the whole jurisdiction (explicitly).

    The scope is set for the transaction too (PostgreSQL's row-level security, when the command runs
    as the app role). An unknown code, or one an account could not have, is an error.
    """
    from geo.store import scope as scoping
    from geo.store.scope import Scope, ScopeError

    try:
        resolved = Scope.of(conn, args.scope) if getattr(args, "scope", None) else Scope.jurisdiction()
    except ScopeError as exc:
        raise CommandError(f"--scope: {exc}") from None
    scoping.apply(conn, resolved)
    return resolved


def _period(args, conn) -> tuple[dt.date, dt.date]:
    from geo.store.queries import latest_day
    from geo.store.schema import deployment_timezone

    if args.date_from and args.date_to:
        start, end = parse_date(args.date_from), parse_date(args.date_to)
    else:
        start, end = default_period(latest_day(conn, _scope(args, conn)), clock.today(deployment_timezone(conn)))
        if args.date_from:
            start = parse_date(args.date_from)
        if args.date_to:
            end = parse_date(args.date_to)
    if end < start:
        raise CommandError(f"--to {end} is before --from {start}")
    return start, end


def cmd_counts(args) -> str:
    from geo.store.queries import counts_by_area

    engine = _engine(args)
    _check_out(args.out, (".csv",))
    with engine.connect() as conn:
        start, end = _period(args, conn)
        table, outside = counts_by_area(conn, _scope(args, conn), args.level, start, end, args.category)
    if table.empty:
        raise CommandError(f"no areas at level {args.level!r}")
    _write_csv(table, args.out)
    return (f"{args.out}: {len(table)} {args.level} areas, {int(table['n_incidents'].sum())} incidents "
            f"{start}..{end}" + (f", {outside} outside every {args.level} area" if outside else ""))


HOTSPOT_COLUMNS = {"count": ["n_incidents", "per_1000", "per_km2"], "gistar": ["n_incidents", "gi_z", "gi_p", "gi_class"],
                   "lisa": ["n_incidents", "lisa_i", "lisa_q", "lisa_p"], "kde": ["n_incidents", "kde_mean"],
                   "emerging": ["n_incidents", "emerging_class"]}


def cmd_hotspots(args) -> str:
    from geo.store import analysis

    engine = _engine(args)
    _check_out(args.out, (".csv", ".geojson"))
    with engine.connect() as conn:
        start, end = _period(args, conn)
        options = analysis.Options(categories=args.category, neighbours=args.neighbours, fdr=args.fdr,
                                   bandwidth_m=args.bandwidth, step=args.step, kernel=args.kernel)
        table = analysis.run(conn, _scope(args, conn), args.level, args.method, start, end, options)
    if table.empty:
        raise CommandError(f"no areas at level {args.level!r}")
    columns = ["code", "name"] + HOTSPOT_COLUMNS[args.method]
    out = Path(args.out)
    if out.suffix.lower() == ".geojson":
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(f".{out.stem}.part.geojson")
        table[columns + ["geometry"]].to_file(tmp, driver="GeoJSON")
        tmp.replace(out)
    else:
        _write_csv(table[columns], args.out)
    summary = f"{args.out}: {len(table)} {args.level} areas, {args.method}, {start}..{end}"
    for col in ("gi_class", "emerging_class"):
        if col in table:
            found = table[col].value_counts()
            summary += ", " + ", ".join(f"{k} {v}" for k, v in found.items() if k not in ("ns", "no_pattern"))
    return summary


def cmd_coverage(args) -> str:
    from geo.store import coverage

    engine = _engine(args)
    _check_out(args.out, (".csv",))
    with engine.connect() as conn:
        start, end = _period(args, conn)
        at = parse_date(args.at) if args.at else end
        table = coverage.area_coverage(conn, _scope(args, conn), args.level, at, start, end, planned=args.planned)
    if table.empty:
        raise CommandError(f"no areas at level {args.level!r}")
    cols = ["code", "name", "area_covered_pct", "incident_covered_pct", "places_covered_pct", "n_incidents",
            "target_pct", "gap_pct"]
    _write_csv(table[cols], args.out)
    short = int((table["gap_pct"] > 0).sum())
    return (f"{args.out}: {len(table)} {args.level} areas, cameras on {at}, incidents {start}..{end}, "
            f"{short} below target")


def cmd_plan(args) -> str:
    import geopandas as gpd
    import pandas as pd

    from geo.store import coverage

    engine = _engine(args)
    _check_out(args.out, (".csv", ".geojson", ".xlsx"))
    candidates = None
    if args.candidates:
        from geo.ingest.readers import read_table

        raw = read_table(args.candidates)
        if raw.geometry is not None:
            candidates = gpd.GeoDataFrame(geometry=raw.geometry.values, crs=raw.file_crs or 4326)
        else:
            cols = {c.lower(): c for c in raw.frame.columns}
            lon = cols.get("lon") or cols.get("longitude") or cols.get("x")
            lat = cols.get("lat") or cols.get("latitude") or cols.get("y")
            if not lon or not lat:
                raise CommandError(f"{args.candidates}: candidates need lon/lat (or x/y) columns or point geometry")
            candidates = gpd.GeoDataFrame(geometry=gpd.points_from_xy(pd.to_numeric(raw.frame[lon]),
                                                                      pd.to_numeric(raw.frame[lat])), crs=4326)
    with engine.connect() as conn:
        start, end = _period(args, conn)
        table, summary = coverage.plan(conn, _scope(args, conn), end, start, end, add=args.add, target_pct=args.target, area=args.area,
                                       radius=args.radius, fov=args.fov, demand=args.demand, candidates=candidates,
                                       use_exact=args.exact)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".geojson":
        gpd.GeoDataFrame(table, geometry=gpd.points_from_xy(table["lon"], table["lat"]), crs=4326).to_file(
            out, driver="GeoJSON")
    elif out.suffix.lower() == ".xlsx":
        from geo.report.safefiles import xlsx_bytes

        _write_bytes(args.out, xlsx_bytes(table))
    else:
        _write_csv(table, args.out)
    gap = f", optimality gap {summary['gap']:.2%}" if summary["gap"] is not None else ""
    return (f"{args.out}: {len(table)} new sites ({summary['solver']}{gap}), {args.demand} covered "
            f"{summary['covered_before_pct']}% -> {summary['covered_after_pct']}%")


def _severity(items: list[str] | None) -> dict[str, float]:
    out = {}
    for item in items or []:
        cat, _, weight = item.partition("=")
        try:
            out[cat.strip()] = float(weight)
        except ValueError as exc:
            raise CommandError(f"--severity {item!r}: expected CATEGORY=WEIGHT") from exc
    return out


def cmd_zones(args) -> str:
    from geo.store import features, patrol

    engine = _engine(args)
    with engine.connect() as conn:
        start, end = _period(args, conn)
        if args.action == "score":
            _check_out(args.out, (".csv",))
            zones = features.zones(conn, _scope(args, conn))
            if zones.empty:
                raise CommandError("no patrol zones: import them first (geo import zones FILE)")
            table, summary = patrol.zone_scores(conn, _scope(args, conn), zones, start, end,
                                                _severity(args.severity))
            _write_csv(table[["code", "workload", "share", "area_km2", "polsby_popper", "hot_cells", "contiguous",
                              "team", "staff", "workload_per_staff", "perimeter_km", "hot_share",
                              "camera_covered_pct", "open_ledger"]], args.out)
            return (f"{args.out}: {len(table)} zones, {start}..{end}, workload max/min {summary['max_min']}, "
                    f"CV {summary['cv']}")
        if args.action == "plan":
            return _zone_plan(args, conn, start, end)
        _check_out(args.out, (".geojson",))
        if args.k < 1:
            raise CommandError("--k must be at least 1")
        proposal, changes = patrol.propose_zones(conn, _scope(args, conn), args.k, start, end,
                                                 severity=_severity(args.severity), fixed=args.fixed or ())
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.stem}.part.geojson")
    proposal.to_file(tmp, driver="GeoJSON")
    tmp.replace(out)
    from geo.core.patrol import balance

    ratio, cv = balance(proposal["workload"].to_numpy())
    moved = int((changes["old_zone"] != changes["new_zone"]).sum())
    return (f"{args.out}: {len(proposal)} zones, {start}..{end}, workload max/min {ratio:.3f}, CV {cv:.4f}, "
            f"all contiguous: {bool(proposal['contiguous'].all())}, {moved} cells change zone")


def _zone_plan(args, conn, start, end) -> str:
    from geo.report import sheets
    from geo.store import features, patrol

    _check_out(args.out, (".pdf", ".xlsx"))
    scope = _scope(args, conn)
    zones = features.zones(conn, scope)
    if zones.empty:
        raise CommandError("no patrol zones: import them first (geo import zones FILE)")
    plan = patrol.patrol_plan(conn, scope, zones, start, end, patrol.SHIFTS)
    if args.out.lower().endswith(".pdf"):
        body = sheets.patrol_sheets(plan, zones, features.areas_within(conn, scope, "grid"), patrol.SHIFTS,
                                    f"{start} - {end}")
    else:
        body = sheets.patrol_workbook(plan)
    _write_bytes(args.out, body)
    return (f"{args.out}: {len(zones)} zones x {len(patrol.SHIFTS)} shifts, {len(plan)} cells to visit, "
            f"{int(plan['visits'].sum()) if len(plan) else 0} visits, risk from {start}..{end}")


def _write_bytes(path: str, body: bytes) -> None:
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.part")
    tmp.write_bytes(body)
    tmp.replace(out)


def cmd_report(args) -> str:
    from geo.report.area_report import report_pdf, report_xlsx
    from geo.store.reports import report_data
    from geo.store.schema import deployment_timezone

    _check_out(args.out, (".pdf", ".xlsx"))
    engine = _engine(args)
    with engine.connect() as conn:
        start, end = _period(args, conn)
        try:
            data = report_data(conn, _scope(args, conn), args.area, start, end,
                               clock.today(deployment_timezone(conn)))
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
    body = report_pdf(data) if args.out.lower().endswith(".pdf") else report_xlsx(data)
    _write_bytes(args.out, body)
    from geo.store import audit

    with engine.begin() as conn:
        audit.record(conn, "cli", "report", args.area, detail=f"{start}..{end} -> {Path(args.out).name}")
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

    _check_out(args.out, (".json",))
    engine = _engine(args)
    with engine.connect() as conn:
        view = wall_view(conn, _scope(args, conn), clock.now_utc(), **wall_settings())
    doc = wall_document(view)
    _write_bytes(args.out, json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8"))
    return (f"{args.out}: the wall at {doc['today']} (k={doc['k']}): {len(doc['tiles'])} tiles, {len(doc['map'])} cells, "
            f"{len(doc['chart']['bars'])} bars, {len(doc['latest'])} latest, {len(doc['hot_cells'])} hot cells")


def cmd_export(args) -> str:
    from geo.ingest.export import export_layer

    engine = _engine(args)
    start = parse_date(args.date_from) if args.date_from else None
    end = parse_date(args.date_to) if args.date_to else None
    with engine.connect() as conn:
        scope = _scope(args, conn)
    n = export_layer(engine, args.layer, args.out, start, end, scope=scope)
    from geo.store import audit

    with engine.begin() as conn:
        audit.record(conn, f"cli:{os.environ.get('USER', 'unknown')}", "export", args.layer,
                     detail=f"{n} rows to {Path(args.out).name}" + (f", scope {args.scope}" if args.scope else ""))
    return f"{args.out}: {n} {args.layer} exported" + (f" (scope {args.scope})" if args.scope else "")


def _read_password(args) -> str:
    """The password: one line on standard input when it is not a terminal, else asked twice."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    import getpass

    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise CommandError("the two passwords differ")
    return first


def cmd_users(args) -> str:
    from geo.store import accounts

    engine = _engine(args)
    actor = f"cli:{os.environ.get('USER', 'unknown')}"
    try:
        if args.action == "list":
            with engine.connect() as conn:
                rows = accounts.list_accounts(conn)
            return "\n".join(f"{r['username']:<20} {r['role']:<8} {r['scope_code'] or 'all':<12} "
                             f"{'disabled' if r['disabled'] else 'enabled'}" for r in rows) or "no accounts"
        if args.action == "add":
            accounts.add(engine, actor, args.username, _read_password(args), args.role, args.scope)
            return f"account {args.username} added ({args.role}, scope {args.scope or 'all'})"
        if args.action == "disable":
            accounts.disable(engine, actor, args.username)
            return f"account {args.username} disabled"
        if args.action == "enable":
            accounts.enable(engine, actor, args.username)
            return f"account {args.username} enabled"
        if args.action == "display-key":
            return _display_key(engine, actor, args)
        if args.action == "link-sso":
            accounts.link_identity(engine, actor, args.username, args.issuer, args.subject)
            return f"account {args.username} is the single sign-on identity {args.subject} of {args.issuer}"
        accounts.reset_password(engine, actor, args.username, _read_password(args))
        return f"password of {args.username} reset"
    except accounts.AccountError as exc:
        raise CommandError(str(exc)) from exc


def _display_key(engine, actor: str, args) -> str:
    """Issue (or rotate, revoke, list) a wall account's display keys; the kiosk URL is the last line."""
    from urllib.parse import quote

    from geo.store import displaykeys

    try:
        if args.list:
            with engine.connect() as conn:
                rows = displaykeys.list_keys(conn, args.username)
            return "\n".join(f"{r['username']:<20} {r['hint']}…  issued {r['created_at']:%Y-%m-%d %H:%M} by "
                             f"{r['created_by']}  " + (f"revoked {r['revoked_at']:%Y-%m-%d %H:%M}" if r['revoked_at']
                                                        else "live") for r in rows) or "no display keys"
        if args.revoke:
            return f"{displaykeys.revoke(engine, actor, args.username)} display keys of {args.username} revoked"
        key = (displaykeys.rotate if args.rotate else displaykeys.issue)(engine, actor, args.username)
    except displaykeys.KeyRefused as exc:
        raise CommandError(str(exc)) from exc
    return (f"display key for {args.username} issued{' (earlier keys revoked)' if args.rotate else ''}; "
            "open this address on the kiosk (keep it like a password):\n"
            f"{args.base_url.rstrip('/')}/?wall=1&key={quote(key)}")


def _check_out(path: str, suffixes) -> None:
    if Path(path).suffix.lower() not in suffixes:
        raise CommandError(f"--out {path}: expected a {' or '.join(suffixes)} file")


def _write_csv(frame, out: str) -> None:
    """``frame`` as CSV (UTF-8, no byte-order mark: scripts read these), formula-like texts defused."""
    from geo.report.safefiles import csv_bytes

    _write_bytes(out, csv_bytes(frame, encoding="utf-8"))


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", help="database URL (default: $DATABASE_URL, else data/safegrid.db)")
    scoped = argparse.ArgumentParser(add_help=False, parents=[common])
    scoped.add_argument("--scope", metavar="CODE",
                        help="read only what lies inside this area (default: the whole jurisdiction)")
    parser = argparse.ArgumentParser(prog="python -m geo", description="SafeGrid command line")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("init", parents=[common], help="create or upgrade the schema")
    p.add_argument("--tz", help="deployment time zone, set once (default Asia/Shanghai)")
    p.add_argument("--app-role", metavar="ROLE",
                   help="PostgreSQL: grant this existing role (the app's, owning no table) what the app needs")
    p.set_defaults(run=cmd_init)

    p = sub.add_parser("demo", parents=[common], help="build the demo city into the database")
    p.add_argument("--seed", type=int, default=20261123, help="random seed (same seed, same city)")
    p.add_argument("--scale", type=float, default=1.0, help="fraction of the full-size demo's incidents")
    p.add_argument("--replace", action="store_true",
                   help="empty a database that holds only demo data first (audited; the audit log is kept)")
    p.add_argument("--force", action="store_true", help="with --replace: empty it even of data the demo did not build")
    p.add_argument("--quiet", action="store_true", help="no progress line")
    p.add_argument("--keep-existing", action="store_true",
                   help="do nothing when the database already holds areas (used by scripts/start.sh)")
    p.set_defaults(run=cmd_demo)

    p = sub.add_parser("import", parents=[common], help="import areas, a generated grid or a point layer")
    isub = p.add_subparsers(dest="layer", required=True, metavar="LAYER")
    a = isub.add_parser("areas", parents=[common], help="district/street/community/grid polygons")
    a.add_argument("file")
    a.add_argument("--level", required=True, choices=LEVELS)
    a.add_argument("--code-field")
    a.add_argument("--name-field")
    a.add_argument("--parent-field")
    a.add_argument("--map", action="append", metavar="FIELD=COLUMN", help="e.g. population=pop_2010")
    a.add_argument("--crs", help="EPSG code, gcj02 or bd09 (a file's own CRS is used when present)")
    g = isub.add_parser("grid", parents=[common], help="generate regular grid cells")
    g.add_argument("--cell-size", type=float, required=True, metavar="METRES")
    g.add_argument("--shape", choices=SHAPES, default="square")
    g.add_argument("--within", metavar="CODE", help="clip to this area (default: the districts)")
    for layer in LAYERS:
        lp = isub.add_parser(layer, parents=[common], help=f"import {layer}")
        lp.add_argument("file")
        lp.add_argument("--preset", help="column preset (chicago, baltimore)")
        lp.add_argument("--map", action="append", metavar="FIELD=COLUMN", help="map a column to a field")
        lp.add_argument("--crs", help="EPSG code, gcj02 or bd09 of the file's coordinates")
        lp.add_argument("--source", help="source name for the source ids (default: the preset's, else 'import')")
        lp.add_argument("--tz", help="time zone of the file's times (default: the preset's, else the deployment's)")
    for sp in isub.choices.values():
        sp.add_argument("--report", metavar="FILE.csv", help="write the skipped rows and reasons here")
        sp.add_argument("--show-skipped", type=int, default=10, metavar="N", help="skipped rows to print")
    p.set_defaults(run=cmd_import)

    p = sub.add_parser("counts", parents=[scoped], help="incidents per area for a period")
    p.add_argument("--level", required=True, choices=LEVELS)
    p.add_argument("--from", dest="date_from", metavar="DATE")
    p.add_argument("--to", dest="date_to", metavar="DATE")
    p.add_argument("--category", action="append")
    p.add_argument("--out", required=True, metavar="FILE.csv")
    p.set_defaults(run=cmd_counts)

    p = sub.add_parser("hotspots", parents=[scoped], help="hot spots per area: counts, Gi*, LISA, KDE, emerging")
    p.add_argument("--level", required=True, choices=LEVELS)
    p.add_argument("--method", required=True, choices=("count", "gistar", "lisa", "kde", "emerging"))
    p.add_argument("--from", dest="date_from", metavar="DATE")
    p.add_argument("--to", dest="date_to", metavar="DATE")
    p.add_argument("--category", action="append")
    p.add_argument("--neighbours", default="queen", metavar="queen|distance:METRES")
    p.add_argument("--fdr", action="store_true", help="Benjamini-Hochberg false discovery rate (gistar)")
    p.add_argument("--bandwidth", type=float, metavar="METRES", help="KDE bandwidth (default: from the data)")
    p.add_argument("--step", default="week", choices=("week", "month"), help="time step (emerging)")
    p.add_argument("--kernel", default="quartic", choices=("quartic", "gaussian"), help="KDE kernel")
    p.add_argument("--out", required=True, metavar="FILE.csv|FILE.geojson")
    p.set_defaults(run=cmd_hotspots)

    p = sub.add_parser("coverage", parents=[scoped], help="camera coverage per area against targets")
    p.add_argument("--level", required=True, choices=LEVELS)
    p.add_argument("--at", metavar="DATE", help="cameras online on this date (default: the period's end)")
    p.add_argument("--from", dest="date_from", metavar="DATE")
    p.add_argument("--to", dest="date_to", metavar="DATE")
    p.add_argument("--planned", action="store_true", help="count planned cameras as if installed")
    p.add_argument("--out", required=True, metavar="FILE.csv")
    p.set_defaults(run=cmd_coverage)

    p = sub.add_parser("plan-cameras", parents=[scoped], help="best sites for new cameras")
    goal = p.add_mutually_exclusive_group(required=True)
    goal.add_argument("--add", type=int, metavar="K", help="the K best new sites")
    goal.add_argument("--target", type=float, metavar="PCT", help="fewest sites to cover PCT %% of the demand")
    p.add_argument("--area", metavar="CODE", help="plan inside this area (default: the whole district)")
    p.add_argument("--candidates", metavar="FILE", help="candidate sites (default: cell centroids and key places)")
    p.add_argument("--radius", type=float, default=150.0, metavar="M")
    p.add_argument("--fov", type=float, default=360.0, metavar="DEG")
    p.add_argument("--demand", default="incidents", choices=("incidents", "area", "places"))
    p.add_argument("--from", dest="date_from", metavar="DATE")
    p.add_argument("--to", dest="date_to", metavar="DATE")
    p.add_argument("--exact", action="store_true", help="solve the integer programme (HiGHS) instead of greedy")
    p.add_argument("--out", required=True, metavar="FILE.csv|.geojson|.xlsx")
    p.set_defaults(run=cmd_plan)

    p = sub.add_parser("zones", help="patrol zones: scorecards and balanced proposals")
    zsub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    for action, text_ in (("score", "scorecard of the current zones"), ("propose", "propose K balanced zones"),
                          ("plan", "patrol sheets per zone and shift (PDF) or the plan as Excel")):
        z = zsub.add_parser(action, parents=[scoped], help=text_)
        z.add_argument("--from", dest="date_from", metavar="DATE")
        z.add_argument("--to", dest="date_to", metavar="DATE")
        z.add_argument("--severity", action="append", metavar="CATEGORY=WEIGHT", help="workload weight (default 1)")
        z.add_argument("--out", required=True,
                       metavar={"score": "FILE.csv", "propose": "FILE.geojson", "plan": "FILE.pdf|.xlsx"}[action])
        if action == "propose":
            z.add_argument("--k", type=int, required=True)
            z.add_argument("--fixed", nargs="*", metavar="CODE", help="current zones kept as cores")
    p.set_defaults(run=cmd_zones)

    p = sub.add_parser("report", parents=[scoped], help="area report for a period (PDF or Excel)")
    p.add_argument("--area", required=True, metavar="CODE")
    p.add_argument("--from", dest="date_from", metavar="DATE")
    p.add_argument("--to", dest="date_to", metavar="DATE")
    p.add_argument("--out", required=True, metavar="FILE.pdf|.xlsx")
    p.set_defaults(run=cmd_report)

    p = sub.add_parser("wall-snapshot", parents=[scoped], help="what the wall shows now, as JSON (for audit)")
    p.add_argument("--out", required=True, metavar="FILE.json")
    p.set_defaults(run=cmd_wall_snapshot)

    p = sub.add_parser("export", parents=[scoped], help="export a layer")
    p.add_argument("layer", choices=EXPORTABLE)
    p.add_argument("--out", required=True, metavar="FILE")
    p.add_argument("--from", dest="date_from", metavar="DATE")
    p.add_argument("--to", dest="date_to", metavar="DATE")
    p.set_defaults(run=cmd_export)

    p = sub.add_parser("users", help="local accounts: add, disable, enable, reset, list")
    usub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    u = usub.add_parser("add", parents=[common], help="add an account (password on stdin, or asked twice)")
    u.add_argument("username")
    u.add_argument("--role", required=True, choices=("wall", "leader", "planner", "clerk", "admin"))
    u.add_argument("--scope", metavar="CODE", help="area code the account is limited to (default: all)")
    u = usub.add_parser("link-sso", parents=[common], help="link an account to a single sign-on identity")
    u.add_argument("username")
    u.add_argument("--issuer", required=True, help="the identity provider's issuer (the token's iss)")
    u.add_argument("--subject", required=True, help="the user's subject at that provider (the token's sub)")
    u = usub.add_parser("display-key", parents=[common], help="a kiosk address that opens a wall account's wall")
    u.add_argument("username")
    what = u.add_mutually_exclusive_group()
    what.add_argument("--revoke", action="store_true", help="revoke every key of the account")
    what.add_argument("--rotate", action="store_true", help="revoke the account's keys and issue a new one")
    what.add_argument("--list", action="store_true", help="list the account's keys (never the keys themselves)")
    u.add_argument("--base-url", default="http://127.0.0.1:8501", help="the app's address as the kiosk reaches it")
    for action, text_ in (("disable", "disable an account"), ("enable", "enable an account and lift a lock"),
                          ("reset", "set a new password (stdin, or asked twice)")):
        u = usub.add_parser(action, parents=[common], help=text_)
        u.add_argument("username")
    usub.add_parser("list", parents=[common], help="list the accounts")
    p.set_defaults(run=cmd_users)
    return parser


def main(argv: list[str] | None = None) -> int:
    from geo.store.scope import ScopeError

    args = build_parser().parse_args(argv)
    try:
        print(args.run(args))
        return 0
    except (CommandError, ImportRefused, ValueError, ScopeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
    except DBAPIError as exc:
        print(f"error: database: {(str(exc.orig).strip() or type(exc.orig).__name__).splitlines()[0]}",
              file=sys.stderr)
    except (ArgumentError, NoSuchModuleError) as exc:
        print(f"error: --db: not a database URL SafeGrid can open ({exc})", file=sys.stderr)
    except KeyboardInterrupt:
        print("\ninterrupted: the step under way was rolled back; nothing of it was written", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: one line for the operator, the traceback on request
        if os.environ.get("SAFEGRID_DEBUG"):
            raise
        print(f"error: unexpected {type(exc).__name__}: {exc} (the step under way was rolled back; "
              "set SAFEGRID_DEBUG=1 for the details and please report it)", file=sys.stderr)
        return 1
    return 2
