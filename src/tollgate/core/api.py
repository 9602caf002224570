"""How a subsystem declares its RPC methods, without importing the RPC layer.

An API object is any class with a ``namespace`` (the literal wire name, ``"CoreSv1"``)
whose methods are marked with :func:`rpc_method`. Each handler takes ``(args, ctx)`` and
returns the reply; a plain ``def`` is answered inline (the fast path), an ``async def``
when it finishes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

import msgspec

__all__ = ["Api", "CallContext", "DurationArgs", "rpc_method"]

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(slots=True)
class CallContext:
    """Who is calling: the transport, and for BiJSON the connection to call back on."""

    transport: str = "*internal"
    conn: Any = None  # the BiJSON connection for BiJSON callers, else None
    remote: str = ""


def rpc_method(name: str, *, aliases: Iterable[str] = ()) -> Callable[[F], F]:
    """Mark a handler served as ``<namespace>.<name>`` (and under each alias name)."""

    def mark(func: F) -> F:
        func._rpc_names = (name, *aliases)  # type: ignore[attr-defined]
        return func

    return mark


class Api:
    """Base of every ``XSv1`` class; subclasses set ``namespace`` to the literal wire name."""

    namespace: ClassVar[str] = ""
    # extra namespaces this API is also served under (e.g. the CdrsV2 spelling of CDRsV2)
    namespace_aliases: ClassVar[tuple[str, ...]] = ()


class DurationArgs(msgspec.Struct, kw_only=True):
    """``*.Sleep``: how long to sleep, int nanoseconds."""

    DurationTime: int = 0
    APIKey: str | None = None
    RouteID: str | None = None
