"""The data folder lock: one engine per DataDB folder.

``fcntl.flock`` on ``LOCK``: the kernel drops it when the process dies, so a crash never
leaves a stale lock behind. The file holds the owner's pid for the error message.
"""

from __future__ import annotations

import fcntl
import logging
import os
from pathlib import Path

from tollgate.storage.errors import DataDirLockedError

__all__ = ["LOCK_NAME", "lock_folder"]

logger = logging.getLogger(__name__)

LOCK_NAME = "LOCK"


def lock_folder(folder: Path) -> int:
    """Hold ``folder/LOCK`` exclusively; the descriptor keeps the lock until closed."""
    path = folder / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.read(fd, 32).decode(errors="replace").strip() or "unknown"
        os.close(fd)
        raise DataDirLockedError(
            f"data folder {folder} is already in use by another engine (pid {holder}); "
            "stop it or give this one another data folder"
        ) from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return fd
