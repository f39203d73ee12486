"""SafeGrid: a public-safety grid-map dashboard over a spatial ledger store."""

__version__ = "0.1.0"
