"""What every command shares: the common options, the database, scope and period a command reads,
who runs it, and the one way a command writes its output file.

Choice lists come from the modules that own them (:func:`add_choice`): the command line never keeps
a copy of a list of roles, methods or demands.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from geo.core import clock
from geo.core.timeutil import default_period, parse_date
from geo.report.safefiles import write_atomic

# The operator at the command line takes ledger workflow steps (imports) with an admin's rights.
CLI_ROLE = "admin"


class CommandError(Exception):
    """A bad argument or state: printed as ``error: ...`` with exit status 2."""


# ---- options ---------------------------------------------------------------------------------------

class Choices(Sequence):
    """A choice list the domain owns, named ``"module.NAME"`` (e.g. ``"geo.store.analysis.METHODS"``).

    The module is imported when the list is first read (a command's help, or checking a value), so
    that ``users list`` does not pay for loading the analysis libraries."""

    def __init__(self, owner: str):
        self.owner = owner

    def _items(self) -> tuple:
        module, _, name = self.owner.rpartition(".")
        return tuple(getattr(importlib.import_module(module), name))

    def __getitem__(self, index):
        return self._items()[index]

    def __len__(self) -> int:
        return len(self._items())

    def __repr__(self) -> str:
        return self.owner


def add_choice(parser: argparse.ArgumentParser, name: str, owner: str, **options) -> argparse.Action:
    """An argument whose value is one of the list ``owner`` names (:class:`Choices`). The list is set
    after ``add_argument``, which would otherwise read it at once (checking the help's metavar)."""
    action = parser.add_argument(name, **options)
    action.choices = Choices(owner)
    return action


def parents() -> tuple[argparse.ArgumentParser, argparse.ArgumentParser]:
    """The options of every command (``--db``), and of every command that reads inside an area
    (``--db`` and ``--scope``), as parent parsers."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", help="database URL (default: $DATABASE_URL, else data/safegrid.db)")
    scoped = argparse.ArgumentParser(add_help=False, parents=[common])
    scoped.add_argument("--scope", metavar="CODE",
                        help="read only what lies inside this area (default: the whole jurisdiction)")
    return common, scoped


def add_period(parser: argparse.ArgumentParser) -> None:
    """``--from DATE --to DATE``: the period a command reads (see :func:`period`)."""
    parser.add_argument("--from", dest="date_from", metavar="DATE")
    parser.add_argument("--to", dest="date_to", metavar="DATE")


def add_out(parser: argparse.ArgumentParser, metavar: str) -> None:
    """``--out FILE``: where the command writes (through :func:`write_out`)."""
    parser.add_argument("--out", required=True, metavar=metavar)


def add_level(parser: argparse.ArgumentParser) -> None:
    """``--level``: one of the area levels (``geo.core.grid.LEVELS``)."""
    add_choice(parser, "--level", "geo.core.grid.LEVELS", required=True)


def add_severity(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--severity", action="append", metavar="CATEGORY=WEIGHT", help="workload weight (default 1)")


def severity(args) -> dict[str, float]:
    """``--severity`` as weights (:func:`geo.core.severity.parse_weights`); a bad one is exit status 2."""
    from geo.core.severity import parse_weights

    try:
        return parse_weights(args.severity)
    except ValueError as exc:
        raise CommandError(f"--severity {exc}") from None


# ---- what a command reads --------------------------------------------------------------------------

def engine(args, *, creates: bool = False):
    """The database of ``--db``; only a command that ``creates`` it (init, demo) may find none there."""
    from geo.store.engine import make_engine, resolve_url
    from geo.store.schema import is_initialised

    url = resolve_url(args.db)
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        path = Path(url[len("sqlite:///"):])
        if path.is_dir():
            raise CommandError(f"--db: {path} is a folder, not a database file")
        if not path.exists() and not creates:  # never create a file to say so
            raise CommandError(f"--db: no database file at {path}: run `python -m geo init` first")
    made = make_engine(args.db)
    if not creates and not is_initialised(made):
        raise CommandError("the database has no schema yet: run `python -m geo init` first")
    return made


def scope(args, conn):
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


def period(args, conn) -> tuple[dt.date, dt.date]:
    """``--from``/``--to``; a bound not given is the default period's (up to the latest incident)."""
    from geo.store.queries import latest_day
    from geo.store.schema import deployment_timezone

    if args.date_from and args.date_to:
        start, end = parse_date(args.date_from), parse_date(args.date_to)
    else:
        start, end = default_period(latest_day(conn, scope(args, conn)), clock.today(deployment_timezone(conn)))
        if args.date_from:
            start = parse_date(args.date_from)
        if args.date_to:
            end = parse_date(args.date_to)
    if end < start:
        raise CommandError(f"--to {end} is before --from {start}")
    return start, end


@contextmanager
def reading(args, suffixes: Sequence[str] = ()) -> Iterator[tuple]:
    """The command's reading: ``--out`` checked against ``suffixes`` (when given), then the database
    open, as ``(conn, scope, start, end)`` of ``--scope`` and the period (``--from``/``--to``)."""
    if suffixes:
        check_out(args.out, suffixes)
    with engine(args).connect() as conn:
        start, end = period(args, conn)
        yield conn, scope(args, conn), start, end


def per_area(table, level: str):
    """A table of areas, refused when there is no area of ``level`` (in the scope)."""
    if table.empty:
        raise CommandError(f"no areas at level {level!r}")
    return table


def cli_actor() -> str:
    """Who runs the command, as the audit log and the ledger history name them: ``cli:<OS user>``."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no user name in the environment or the password database
        return f"cli:uid{os.getuid()}" if hasattr(os, "getuid") else "cli:unknown"


def progress():
    """A progress line on the terminal, or none when standard error is not one."""
    from geo.ingest.pipeline import stderr_progress

    return stderr_progress if sys.stderr.isatty() else None


# ---- what a command writes -------------------------------------------------------------------------

def check_out(path: str, suffixes: Sequence[str]) -> None:
    """Refuse an ``--out`` whose suffix the command cannot write (before anything is read)."""
    if Path(path).suffix.lower() not in suffixes:
        raise CommandError(f"--out {path}: expected a {' or '.join(suffixes)} file")


def check_report_path(out: str) -> None:
    """Refuse an import's ``--report`` that could not be written, before the import commits."""
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


def write_out(out: str, content) -> None:
    """The command's output file, through :func:`write_atomic`: bytes as they are; a table in the
    format of ``out``'s suffix: ``.geojson`` (a table with geometry), ``.xlsx``, else CSV (UTF-8 with no
    byte-order mark: scripts read these). A spreadsheet's text that looks like a formula is defused."""
    if isinstance(content, bytes):
        write_atomic(out, lambda part: part.write_bytes(content))
        return
    suffix = Path(out).suffix.lower()
    if suffix == ".geojson":
        write_atomic(out, lambda part: content.to_file(part, driver="GeoJSON"))
        return
    from geo.report.safefiles import csv_bytes, xlsx_bytes

    write_out(out, xlsx_bytes(content) if suffix == ".xlsx" else csv_bytes(content, encoding="utf-8"))
