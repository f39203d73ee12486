"""``init`` (the schema, and the app's PostgreSQL role), ``demo`` (the demo city) and ``maintain``
(partitions made ahead, retention)."""

from __future__ import annotations

from geo.cli.common import CommandError, cli_actor, engine, progress


def cmd_init(args) -> str:
    from geo.store.dialects import dialect_for
    from geo.store.engine import describe
    from geo.store.schema import init_db

    db = engine(args, creates=True)
    if args.app_role and not dialect_for(db).has_roles:  # refuse before migrating anything
        raise CommandError("--app-role: roles exist on PostgreSQL only; the SQLite file has no row-level security")
    zone = init_db(db, args.tz)
    done = f"schema up to date in {describe(db)} (time zone {zone})"
    if args.app_role:
        from geo.store.roles import RoleError, grant_app

        try:
            with db.begin() as conn:
                grant_app(conn, args.app_role)
        except RoleError as exc:
            raise CommandError(f"--app-role: {exc}") from None
        done += f"; {args.app_role} may read and write, bound by row-level security"
    return done


def cmd_demo(args) -> str:
    from geo.ingest.demo import build_demo

    db = engine(args, creates=True)
    if args.keep_existing:
        from geo.store.queries import table_counts
        from geo.store.schema import is_initialised

        if is_initialised(db):
            with db.connect() as conn:
                if table_counts(conn)["areas"]:
                    return "the database already holds data; kept as it is (--keep-existing)"
    return build_demo(db, seed=args.seed, scale=args.scale, replace=args.replace, force=args.force,
                      actor=cli_actor(), progress=None if args.quiet else progress())


def cmd_maintain(args) -> str:
    from geo.core import clock
    from geo.store import audit
    from geo.store.dialects import dialect_for
    from geo.store.partitions import INCIDENTS, is_partitioned
    from geo.store.retention import maintain, retain_months
    from geo.store.schema import deployment_timezone

    retain = retain_months(args.retain_months)  # the option, else SAFEGRID_RETAIN_MONTHS; refused below the floor
    db = engine(args)
    with db.begin() as conn:
        if dialect_for(conn).partitions and not is_partitioned(conn, INCIDENTS.table):
            raise CommandError("incidents is not partitioned yet: run `python -m geo init` to upgrade the schema")
        done = maintain(conn, clock.today(deployment_timezone(conn)), ahead=args.ahead, retain=retain)
        audit.record(conn, cli_actor(), "maintain", "incidents", detail=done.summary())
    return done.summary()


def add_commands(sub, common, scoped) -> None:
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

    p = sub.add_parser("maintain", parents=[common],
                       help="make incident partitions ahead of time and apply the retention (run it from cron)")
    p.add_argument("--ahead", type=int, default=3, metavar="MONTHS",
                   help="months after the current one to make partitions for (default 3)")
    p.add_argument("--retain-months", type=int, metavar="N",
                   help="drop incidents older than N whole months (default: $SAFEGRID_RETAIN_MONTHS, else keep all; "
                        "never below 24)")
    p.set_defaults(run=cmd_maintain)
