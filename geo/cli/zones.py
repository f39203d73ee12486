"""``zones score|propose|plan``: patrol zones' scorecards, balanced proposals and patrol sheets."""

from __future__ import annotations

from geo.cli.common import CommandError, add_out, add_period, add_severity, check_out, reading, severity, write_out

SCORE_COLUMNS = ["code", "workload", "share", "area_km2", "polsby_popper", "hot_cells", "contiguous", "team", "staff",
                 "workload_per_staff", "perimeter_km", "hot_share", "camera_covered_pct", "open_ledger"]


def cmd_zones(args) -> str:
    args.weights = severity(args)  # a bad --severity is refused before anything is read
    with reading(args) as (conn, within, start, end):
        return {"score": score, "propose": propose, "plan": plan_patrols}[args.action](args, conn, within, start, end)


def current_zones(conn, within):
    """The patrol zones inside the scope; none is an error."""
    from geo.store import features

    zones = features.zones(conn, within)
    if zones.empty:
        raise CommandError("no patrol zones: import them first (geo import zones FILE)")
    return zones


def score(args, conn, within, start, end) -> str:
    from geo.store import patrol

    check_out(args.out, (".csv",))
    table, summary = patrol.zone_scores(conn, within, current_zones(conn, within), start, end, args.weights)
    write_out(args.out, table[SCORE_COLUMNS])
    return (f"{args.out}: {len(table)} zones, {start}..{end}, workload max/min {summary['max_min']}, "
            f"CV {summary['cv']}")


def propose(args, conn, within, start, end) -> str:
    from geo.core.patrol import balance
    from geo.store import patrol

    check_out(args.out, (".geojson",))
    if args.k < 1:
        raise CommandError("--k must be at least 1")
    proposal, changes = patrol.propose_zones(conn, within, args.k, start, end,
                                             severity=args.weights, fixed=args.fixed or ())
    write_out(args.out, proposal)
    ratio, cv = balance(proposal["workload"].to_numpy())
    moved = int((changes["old_zone"] != changes["new_zone"]).sum())
    return (f"{args.out}: {len(proposal)} zones, {start}..{end}, workload max/min {ratio:.3f}, CV {cv:.4f}, "
            f"all contiguous: {bool(proposal['contiguous'].all())}, {moved} cells change zone")


def plan_patrols(args, conn, within, start, end) -> str:
    from geo.report import sheets
    from geo.store import features, patrol

    check_out(args.out, (".pdf", ".xlsx"))
    zones = current_zones(conn, within)
    plan = patrol.patrol_plan(conn, within, zones, start, end, patrol.SHIFTS)
    if args.out.lower().endswith(".pdf"):
        body = sheets.patrol_sheets(plan, zones, features.areas_within(conn, within, "grid"), patrol.SHIFTS,
                                    f"{start} - {end}")
    else:
        body = sheets.patrol_workbook(plan)
    write_out(args.out, body)
    return (f"{args.out}: {len(zones)} zones x {len(patrol.SHIFTS)} shifts, {len(plan)} cells to visit, "
            f"{int(plan['visits'].sum()) if len(plan) else 0} visits, risk from {start}..{end}")


def add_commands(sub, common, scoped) -> None:
    p = sub.add_parser("zones", help="patrol zones: scorecards and balanced proposals")
    zsub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    for action, text_, out in (("score", "scorecard of the current zones", "FILE.csv"),
                               ("propose", "propose K balanced zones", "FILE.geojson"),
                               ("plan", "patrol sheets per zone and shift (PDF) or the plan as Excel", "FILE.pdf|.xlsx")):
        z = zsub.add_parser(action, parents=[scoped], help=text_)
        add_period(z)
        add_severity(z)
        add_out(z, out)
        if action == "propose":
            z.add_argument("--k", type=int, required=True)
            z.add_argument("--fixed", nargs="*", metavar="CODE", help="current zones kept as cores")
    p.set_defaults(run=cmd_zones)
