"""Storage errors: driver and file errors translated at the storage edge.

They are :class:`~tollgate.core.errors.ServerError` subclasses, so a request that hits one
is answered ``SERVER_ERROR: <detail>`` like CGRateS does for a failing database.
"""

from __future__ import annotations

import logging

from tollgate.core.errors import ServerError

__all__ = ["CorruptDataError", "DataDirLockedError", "StorageError"]

logger = logging.getLogger(__name__)


class StorageError(ServerError):
    """A store failed: an I/O error, a driver error, or a store that is not open."""


class DataDirLockedError(StorageError):
    """Another engine (or another DataDB in this process) already holds the data folder."""


class CorruptDataError(StorageError):
    """A DataDB file is damaged where it cannot be a torn last write; the message says where."""
