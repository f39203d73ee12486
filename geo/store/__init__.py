"""The spatial ledger store: SQLAlchemy 2.0 models, engine, queries and migrations."""
