"""Alembic environment: the URL comes from INVOLVE_DATABASE_URL (or the caller's config)."""
from __future__ import annotations

from alembic import context

import models
from involve.db import get_engine

config = context.config
target_metadata = models.Base.metadata
# Made by migration 0013 in SQL, not in the models: the SQLite FTS5 table (and its shadow tables) and the
# PostgreSQL trigram indexes of the claim search. Autogenerate must not offer to drop them.
NOT_IN_MODELS = ("claims_search", "ix_claims_name_trgm", "ix_claims_email_trgm")


def in_models(name, type_, parent_names) -> bool:
    return not (name or "").startswith(NOT_IN_MODELS)


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = get_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True,
                          compare_type=True, include_name=in_models)
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
