"""Alembic environment: runs on the connection handed over by geo.store.schema."""

from alembic import context

from geo.store.models import Base

config = context.config
target_metadata = Base.metadata


def _render_item(type_, obj, autogen_context):
    if type_ == "type" and obj.__class__.__module__ == "geo.store.types":
        autogen_context.imports.add("import geo.store.types")
        return f"geo.store.types.{obj!r}"
    return False


def run_migrations_online() -> None:
    connection = config.attributes["connection"]
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_item=_render_item, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
