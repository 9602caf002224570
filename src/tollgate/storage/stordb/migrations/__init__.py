"""Alembic revisions of the StorDB schema (run by ``tollgate migrator -exec *stordb``)."""
