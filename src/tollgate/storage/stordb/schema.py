"""The StorDB schema, one SQLAlchemy Core ``MetaData`` for every SQL backend.

Only ``versions`` for now (CGRateS's record of which data format each item is in, read by
the migrator); CDRs, session costs and the ``tp_*`` tables join it here.
"""

from __future__ import annotations

import logging

from sqlalchemy import Column, Integer, MetaData, String, Table

__all__ = ["metadata", "versions"]

logger = logging.getLogger(__name__)

metadata = MetaData()

versions = Table(
    "versions",
    metadata,
    Column("item", String(64), primary_key=True),
    Column("version", Integer, nullable=False),
)
