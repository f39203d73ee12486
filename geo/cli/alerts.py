"""``alerts run``: evaluate every alert subscription, raise what is new, then deliver (e-mail, webhook).

Also run after every import (:func:`after_import`), where a failure is reported on standard error and
never fails the import, which has already been committed.
"""

from __future__ import annotations

import sys

from geo.cli.common import engine


def run_alerts(db) -> str:
    from geo.store.alerts_delivery import deliver
    from geo.store.alerts_run import run

    summary = run(db)
    sent, failed = deliver(db)
    return f"{summary.line()}; delivered {sent}, delivery failed {failed} (retried next run)"


def cmd_alerts(args) -> str:
    return run_alerts(engine(args))


def after_import(db) -> None:
    """Evaluate the alerts after a committed import; any failure is a warning on standard error."""
    try:
        print(run_alerts(db), file=sys.stderr)
    except Exception as exc:  # the import stands: alerts are evaluated again by the next run or cron
        print(f"warning: alerts were not evaluated after the import: {type(exc).__name__}: {exc}", file=sys.stderr)


def add_commands(sub, common, scoped) -> None:
    p = sub.add_parser("alerts", parents=[common], help="alert subscriptions: evaluate and deliver")
    asub = p.add_subparsers(dest="alerts_command", required=True, metavar="ACTION")
    r = asub.add_parser("run", parents=[common], help="evaluate every subscription, raise new alerts, deliver them")
    r.set_defaults(run=cmd_alerts)
