"""The ``Flags`` of SessionSv1.ProcessEvent (``utils.FlagsWithParamsFromSlice``).

``*rals:*authorize`` is the flag ``*rals`` with the parameter ``*authorize``; parameters
are separated by ``;`` (``*attributes:ATTR1;ATTR2``); a flag with a second ``:`` is
``UNSUPPORTED_FORMAT``. The 1.0-era ``*routes`` spellings stand for ``*suppliers``.

SupplierS options come both ways v0.10's agents send them: as parameters of the flag
(``*suppliers:*ignore_errors;*event_cost``) and as flags of their own
(``*suppliers_ignore_errors``, ``*suppliers_event_cost``, ``*suppliers_maxcost:<v>``).
"""

from __future__ import annotations

from collections.abc import Iterable

from tollgate.core.errors import TollgateError

__all__ = ["FLAG_ALIASES", "parse_flags", "supplier_options"]

FLAG_ALIASES = {
    "*routes": "*suppliers",
    "*routes_maxcost": "*suppliers_maxcost",
    "*routes_ignore_errors": "*suppliers_ignore_errors",
    "*routes_event_cost": "*suppliers_event_cost",
}


def parse_flags(flags: Iterable[str]) -> dict[str, list[str]]:
    """Each flag with its parameters (an empty list for a bare flag)."""
    out: dict[str, list[str]] = {}
    for flag in flags:
        parts = flag.split(":")
        if len(parts) > 2:
            raise TollgateError("UNSUPPORTED_FORMAT")
        name = FLAG_ALIASES.get(parts[0], parts[0])
        out[name] = parts[1].split(";") if len(parts) == 2 else []
    return out


def supplier_options(flags: dict[str, list[str]]) -> tuple[bool, str]:
    """(IgnoreErrors, MaxCost) of the parsed flags: ``*event_cost`` (as a parameter or as
    ``*suppliers_event_cost``) wins over ``*suppliers_maxcost:<v>``."""
    params = flags.get("*suppliers") or []
    ignore_errors = "*ignore_errors" in params or "*suppliers_ignore_errors" in flags
    max_cost = (flags.get("*suppliers_maxcost") or [""])[0]
    if "*event_cost" in params or "*suppliers_event_cost" in flags:
        max_cost = "*event_cost"
    return ignore_errors, max_cost
