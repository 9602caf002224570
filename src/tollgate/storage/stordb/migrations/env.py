"""Alembic environment: runs on the connection the migrator hands over (never a URL of its
own), so every StorDB backend and its async driver work the same way."""

from __future__ import annotations

from alembic import context

from tollgate.storage.stordb.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reachable by running alembic by hand
    raise RuntimeError("run StorDB migrations through `tollgate migrator -exec *stordb`")
context.configure(connection=connection, target_metadata=metadata)
with context.begin_transaction():
    context.run_migrations()
