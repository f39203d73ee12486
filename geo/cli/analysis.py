"""``counts``, ``hotspots``, ``coverage`` and ``plan-cameras``: a table per area (or per new site)."""

from __future__ import annotations

from geo.cli.common import (CommandError, add_choice, add_level, add_out, add_period, check_out, per_area, reading,
                            write_out)
from geo.core.timeutil import parse_date

# The columns each hot-spot method writes (besides code and name); a method not listed writes every
# column it adds to the areas (see geo.store.analysis).
HOTSPOT_COLUMNS = {"count": ["n_incidents", "per_1000", "per_km2"], "gistar": ["n_incidents", "gi_z", "gi_p", "gi_class"],
                   "lisa": ["n_incidents", "lisa_i", "lisa_q", "lisa_p"], "kde": ["n_incidents", "kde_mean"],
                   "emerging": ["n_incidents", "emerging_class"],
                   **{change: ["n_incidents", "n_last_year", "yoy_pct", "yoy_p", "small"] for change in ("yoy", "pop")}}
AREA_COLUMNS = ("code", "name", "name_en", "geometry")
QUIET_CLASSES = ("ns", "no_pattern")  # classes the summary line does not count


def cmd_counts(args) -> str:
    from geo.store.queries import counts_by_area

    with reading(args, (".csv",)) as (conn, within, start, end):
        table, outside = counts_by_area(conn, within, args.level, start, end, args.category)
    write_out(args.out, per_area(table, args.level))
    return (f"{args.out}: {len(table)} {args.level} areas, {int(table['n_incidents'].sum())} incidents "
            f"{start}..{end}" + (f", {outside} outside every {args.level} area" if outside else ""))


def cmd_hotspots(args) -> str:
    from geo.store import analysis

    options = analysis.Options(categories=args.category, neighbours=args.neighbours, fdr=args.fdr,
                               bandwidth_m=args.bandwidth, step=args.step, kernel=args.kernel)
    with reading(args, (".csv", ".geojson")) as (conn, within, start, end):
        table = per_area(analysis.run(conn, within, args.level, args.method, start, end, options), args.level)
    columns = ["code", "name"] + HOTSPOT_COLUMNS.get(args.method, [c for c in table.columns if c not in AREA_COLUMNS])
    write_out(args.out, table[columns + ["geometry"]] if args.out.lower().endswith(".geojson") else table[columns])
    summary = f"{args.out}: {len(table)} {args.level} areas, {args.method}, {start}..{end}"
    for col in ("gi_class", "emerging_class"):
        if col in table:
            found = table[col].value_counts()
            summary += ", " + ", ".join(f"{k} {v}" for k, v in found.items() if k not in QUIET_CLASSES)
    return summary


def cmd_coverage(args) -> str:
    from geo.core.dori import LEVELS
    from geo.store import coverage

    with reading(args, (".csv",)) as (conn, within, start, end):
        at = parse_date(args.at) if args.at else end
        table = per_area(coverage.area_coverage(conn, within, args.level, at, start, end, planned=args.planned),
                         args.level)
    cols = ["code", "name", "area_covered_pct", *(f"{lv}_pct" for lv in LEVELS), "incident_covered_pct",
            "places_covered_pct", "n_incidents", "target_pct", "target_level", "gap_pct"]
    write_out(args.out, table[cols])
    short = int((table["gap_pct"] > 0).sum())
    return (f"{args.out}: {len(table)} {args.level} areas, cameras on {at}, incidents {start}..{end}, "
            f"{short} below target")


def cmd_plan(args) -> str:
    import geopandas as gpd

    from geo.store import camera_plan

    check_out(args.out, (".csv", ".geojson", ".xlsx"))
    candidates = read_candidates(args.candidates) if args.candidates else None
    if args.resolution is not None and args.resolution <= 0:
        raise CommandError("--resolution: horizontal pixels, a number above 0 (leave it out when unknown)")
    # "required" (each key place at its kind's level) counts other demand at "detect"
    level = args.level or ("required" if args.demand == "places" else "detect")
    with reading(args) as (conn, within, start, end):
        table, summary = camera_plan.plan(conn, within, end, start, end, add=args.add, target_pct=args.target,
                                          area=args.area, radius=args.radius, fov=args.fov, demand=args.demand,
                                          candidates=candidates, use_exact=args.exact, level=level,
                                          resolution_h=args.resolution)
    if args.out.lower().endswith(".geojson"):
        table = gpd.GeoDataFrame(table, geometry=gpd.points_from_xy(table["lon"], table["lat"]), crs=4326)
    write_out(args.out, table)
    gap = f", optimality gap {summary['gap']:.2%}" if summary["gap"] is not None else ""
    return (f"{args.out}: {len(table)} new sites ({summary['solver']}{gap}), {args.demand} covered at "
            f"{summary['level']} {summary['covered_before_pct']}% -> {summary['covered_after_pct']}%")


def read_candidates(path: str):
    """Candidate camera sites from a file: its point geometry, else its longitude and latitude columns
    (named as an import names them: ``geo.ingest.fields.X_ALIASES`` and ``Y_ALIASES``)."""
    import geopandas as gpd
    import pandas as pd

    from geo.ingest.fields import X_ALIASES, Y_ALIASES, fold
    from geo.ingest.readers import read_table

    raw = read_table(path)
    if raw.geometry is not None:
        return gpd.GeoDataFrame(geometry=raw.geometry.values, crs=raw.file_crs or 4326)
    by_fold = {fold(c): c for c in raw.frame.columns}
    # degrees by name first: a file with projected x/y beside lon/lat is read by its lon/lat
    lon, lat = (next((by_fold[fold(a)] for a in (*first, *aliases) if fold(a) in by_fold), None)
                for first, aliases in ((("lon", "longitude"), X_ALIASES), (("lat", "latitude"), Y_ALIASES)))
    if not lon or not lat:
        raise CommandError(f"{path}: candidates need lon/lat (or x/y) columns or point geometry")
    return gpd.GeoDataFrame(geometry=gpd.points_from_xy(pd.to_numeric(raw.frame[lon]), pd.to_numeric(raw.frame[lat])),
                            crs=4326)


def add_commands(sub, common, scoped) -> None:
    p = sub.add_parser("counts", parents=[scoped], help="incidents per area for a period")
    add_level(p)
    add_period(p)
    p.add_argument("--category", action="append")
    add_out(p, "FILE.csv")
    p.set_defaults(run=cmd_counts)

    p = sub.add_parser("hotspots", parents=[scoped], help="hot spots per area: counts, Gi*, LISA, KDE, emerging")
    add_level(p)
    add_choice(p, "--method", "geo.store.analysis.METHODS", required=True)
    add_period(p)
    p.add_argument("--category", action="append")
    p.add_argument("--neighbours", default="queen", metavar="queen|distance:METRES")
    p.add_argument("--fdr", action="store_true", help="Benjamini-Hochberg false discovery rate (gistar)")
    p.add_argument("--bandwidth", type=float, metavar="METRES", help="KDE bandwidth (default: from the data)")
    add_choice(p, "--step", "geo.store.analysis.STEPS", default="week", help="time step (emerging)")
    add_choice(p, "--kernel", "geo.core.density.KERNELS", default="quartic", help="KDE kernel")
    add_out(p, "FILE.csv|FILE.geojson")
    p.set_defaults(run=cmd_hotspots)

    p = sub.add_parser("coverage", parents=[scoped], help="camera coverage per area against targets")
    add_level(p)
    p.add_argument("--at", metavar="DATE", help="cameras online on this date (default: the period's end)")
    add_period(p)
    p.add_argument("--planned", action="store_true", help="count planned cameras as if installed")
    add_out(p, "FILE.csv")
    p.set_defaults(run=cmd_coverage)

    p = sub.add_parser("plan-cameras", parents=[scoped], help="best sites for new cameras")
    goal = p.add_mutually_exclusive_group(required=True)
    goal.add_argument("--add", type=int, metavar="K", help="the K best new sites")
    goal.add_argument("--target", type=float, metavar="PCT", help="fewest sites to cover PCT %% of the demand")
    p.add_argument("--area", metavar="CODE", help="plan inside this area (default: the whole district)")
    p.add_argument("--candidates", metavar="FILE", help="candidate sites (default: cell centroids and key places)")
    p.add_argument("--radius", type=float, default=150.0, metavar="M")
    p.add_argument("--fov", type=float, default=360.0, metavar="DEG")
    add_choice(p, "--demand", "geo.store.camera_plan.DEMANDS", default="incidents")
    add_choice(p, "--level", "geo.store.camera_plan.LEVELS",
               help="DORI level that counts as seen (default: required for --demand places, else detect)")
    p.add_argument("--resolution", type=float, metavar="PX",
                   help="the new cameras' horizontal resolution in pixels (default: unknown, reaches detect only)")
    add_period(p)
    p.add_argument("--exact", action="store_true", help="solve the integer programme (HiGHS) instead of greedy")
    add_out(p, "FILE.csv|.geojson|.xlsx")
    p.set_defaults(run=cmd_plan)
