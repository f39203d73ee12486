"""``ledger escalate``: record in each item's history when it escalated to the street's oversight
(overdue by ``SAFEGRID_ESCALATE_DAYS`` days or more); run it from cron, e.g. daily after the imports."""

from __future__ import annotations

from geo.cli.common import CommandError, cli_actor, engine, scope


def cmd_escalate(args) -> str:
    from geo.core import clock
    from geo.core.timeutil import parse_date
    from geo.store import ledger_hygiene
    from geo.store.schema import deployment_timezone

    made = engine(args)
    with made.connect() as conn:
        within = scope(args, conn)
        try:
            today = parse_date(args.today) if args.today else clock.today(deployment_timezone(conn))
        except ValueError as exc:
            raise CommandError(f"--today: {exc}") from None
    days = ledger_hygiene.settings().escalate_days
    recorded, cleared = ledger_hygiene.record_escalations(made, within, today, actor=cli_actor())
    with made.connect() as conn:
        now = ledger_hygiene.escalated_items(conn, within, today)
    return (f"ledger escalate {today}: {len(now)} items overdue by {days} days or more (SAFEGRID_ESCALATE_DAYS); "
            f"{recorded} escalations recorded, {cleared} no longer escalated")


def add_commands(sub, common, scoped) -> None:
    p = sub.add_parser("ledger", help="ledger upkeep: `ledger escalate` records escalations")
    tasks = p.add_subparsers(dest="task", required=True, metavar="TASK")
    q = tasks.add_parser("escalate", parents=[scoped], help="record items overdue by SAFEGRID_ESCALATE_DAYS days "
                                                            "as escalated to their street's oversight")
    q.add_argument("--today", metavar="DATE", help="the date to judge by (default: today in the deployment's zone)")
    q.set_defaults(run=cmd_escalate)
