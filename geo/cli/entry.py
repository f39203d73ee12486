"""The parser of every command, and ``main``: run one command, print its summary, map failures to
exit statuses (2: bad input or state, nothing written; 1: a bug; 130: interrupted)."""

from __future__ import annotations

import argparse
import os
import sys

from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from geo.cli import accounts, alerts, analysis, imports, ledger, outputs, setup, zones
from geo.cli.common import CommandError, parents
from geo.ingest.errors import ImportRefused

GROUPS = (setup, imports, analysis, zones, outputs, accounts, alerts, ledger)  # in the order the help lists their commands


def build_parser() -> argparse.ArgumentParser:
    common, scoped = parents()
    parser = argparse.ArgumentParser(prog="python -m geo", description="SafeGrid command line")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in GROUPS:
        group.add_commands(sub, common, scoped)
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
