"""``python -m geo``: the command line (a contract: see DESIGN.md).

Every command takes ``--db URL`` (else ``DATABASE_URL``, else the embedded SQLite file),
prints a one-line summary, and on bad input exits 2 with a clear message, writing nothing.

One module per group of commands: :mod:`~geo.cli.setup` (init, demo), :mod:`~geo.cli.imports`,
:mod:`~geo.cli.analysis` (counts, hotspots, coverage, plan-cameras), :mod:`~geo.cli.zones`,
:mod:`~geo.cli.outputs` (report, wall-snapshot, export) and :mod:`~geo.cli.accounts` (users);
what they share (options, database, scope, period, actor, the output writer) is :mod:`~geo.cli.common`.
"""

from geo.cli.analysis import HOTSPOT_COLUMNS
from geo.cli.common import CommandError
from geo.cli.entry import build_parser, main

__all__ = ["CommandError", "HOTSPOT_COLUMNS", "build_parser", "main"]
