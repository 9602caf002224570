"""Baseline: the StorDB schema of Tollgate 0.1 (CDRs, session costs, tp_* tables, versions).

Revision ID: 0001
Revises:
"""

from __future__ import annotations

from alembic import op

from tollgate.storage.stordb.schema import metadata

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The baseline is the schema module as it stands: the first schema change gets its own
    # revision with explicit operations, and this one is frozen into explicit tables then.
    metadata.create_all(bind=op.get_bind())


def downgrade() -> None:
    metadata.drop_all(bind=op.get_bind())
