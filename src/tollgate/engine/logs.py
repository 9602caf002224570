"""Logging as cgr-engine sets it up: ``*stdout`` or ``*syslog``, syslog levels 0-7."""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys

__all__ = ["apply_log_level", "setup_logging", "syslog_to_python"]

_LEVELS = {
    0: logging.CRITICAL,  # emergency
    1: logging.CRITICAL,  # alert
    2: logging.CRITICAL,  # critical
    3: logging.ERROR,
    4: logging.WARNING,
    5: logging.INFO,  # notice
    6: logging.INFO,
    7: logging.DEBUG,
}


def syslog_to_python(level: int) -> int:
    """A CGRateS ``log_level`` (0 emergency .. 7 debug) as a Python logging level."""
    return _LEVELS.get(max(0, min(7, level)), logging.INFO)


def apply_log_level(level: int) -> None:
    logging.getLogger("tollgate").setLevel(syslog_to_python(level))


def setup_logging(logger_kind: str, level: int) -> None:
    """Send Tollgate's logs to stdout or to the local syslog (``/dev/log``)."""
    root = logging.getLogger("tollgate")
    for old in list(root.handlers):
        root.removeHandler(old)
    out: logging.Handler
    if logger_kind == "*syslog" and os.path.exists("/dev/log"):
        out = logging.handlers.SysLogHandler(address="/dev/log")
        out.setFormatter(logging.Formatter("tollgate[%(process)d]: <%(name)s> %(message)s"))
    else:
        out = logging.StreamHandler(sys.stdout)
        out.setFormatter(logging.Formatter("%(asctime)s %(levelname)s <%(name)s> %(message)s"))
    root.addHandler(out)
    root.propagate = False
    apply_log_level(level)
    if logger_kind == "*syslog" and not isinstance(out, logging.handlers.SysLogHandler):
        root.warning("no syslog socket at /dev/log: logging to stdout")
