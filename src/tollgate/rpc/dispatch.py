"""From a decoded request to the reply bytes, the same for every transport.

A plain-``def`` handler is answered inline (no task, no await: the fast path); an
``async def`` handler returns an awaitable the transport schedules, so replies leave in
completion order. ``general.concurrent_requests`` gates both.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Coroutine
from typing import Any

import msgspec

from tollgate.core.errors import TollgateError
from tollgate.core.wire import encode
from tollgate.rpc.codec import NULL, Message, encode_error, encode_result
from tollgate.rpc.metrics import RpcMetrics
from tollgate.rpc.router import ArgsError, CallContext, Method, MethodNotFoundError, Router

__all__ = ["BUSY_ERROR", "MISSING_PARAMS", "Dispatcher", "Limiter", "error_text"]

logger = logging.getLogger(__name__)

MISSING_PARAMS = "jsonrpc: request body missing params"
BUSY_ERROR = "denying request due to maximum active requests reached"


def error_text(exc: BaseException) -> str:
    """The wire text for an error raised by a handler."""
    if isinstance(exc, TollgateError | ArgsError | MethodNotFoundError):
        return str(exc)
    logger.error("unexpected error in RPC handler", exc_info=exc)
    return f"SERVER_ERROR: {exc}" if str(exc) else "SERVER_ERROR"


class Limiter:
    """``general.concurrent_requests`` with ``*busy`` (refuse) or ``*queue`` (wait)."""

    __slots__ = ("_sem", "active", "limit", "strategy")

    def __init__(self, limit: int = 0, strategy: str = "*busy") -> None:
        self.active = 0
        self.limit = 0
        self.strategy = strategy
        self._sem: asyncio.Semaphore | None = None
        self.configure(limit, strategy)

    def configure(self, limit: int, strategy: str) -> None:
        """Apply a (re)loaded config; requests already queued finish on the old queue."""
        if (
            limit == self.limit
            and strategy == self.strategy
            and ((self._sem is not None) == (limit > 0 and strategy == "*queue"))
        ):
            return
        self.limit = limit
        self.strategy = strategy
        self._sem = asyncio.Semaphore(limit) if limit > 0 and strategy == "*queue" else None

    @property
    def enabled(self) -> bool:
        return self.limit > 0

    @property
    def queues(self) -> bool:
        return self._sem is not None


class Dispatcher:
    """Runs requests against a :class:`Router`; shared by TCP, HTTP, WS and BiJSON."""

    __slots__ = ("limiter", "metrics", "router", "unknown_prefix")

    def __init__(
        self,
        router: Router,
        *,
        limiter: Limiter | None = None,
        metrics: RpcMetrics | None = None,
        unknown_prefix: str = "rpc",
    ) -> None:
        self.router = router
        self.limiter = limiter or Limiter()
        self.metrics = metrics or RpcMetrics()
        # "rpc" on 2012/HTTP/WS (Go net/rpc), "birpc" on the BiJSON port
        self.unknown_prefix = unknown_prefix

    def handle(self, msg: Message, ctx: CallContext) -> bytes | Awaitable[bytes]:
        """Reply bytes now (sync handler or error), or an awaitable of them."""
        rid = msg.id
        try:
            method = self.router.lookup(msg.method or "")
        except MethodNotFoundError as exc:
            self.metrics.unknown()
            text = str(exc)
            if self.unknown_prefix != "rpc":
                text = self.unknown_prefix + text.removeprefix("rpc")
            return encode_error(rid, text)
        params = msg.params
        if not params or params == NULL:
            self.metrics.record(method.name, 0, error=True)
            return encode_error(rid, MISSING_PARAMS)
        limiter = self.limiter
        if limiter.limit > 0:
            if limiter.queues:
                return self._queued(method, rid, params, ctx)
            if limiter.active >= limiter.limit:
                self.metrics.record(method.name, 0, error=True)
                return encode_error(rid, BUSY_ERROR)
        if method.is_async:
            if limiter.limit > 0:
                return self._reserved(self._run_async(method, rid, params, ctx))
            return self._run_async(method, rid, params, ctx)
        return self._run_sync(method, rid, params, ctx)

    def _run_sync(
        self, method: Method, rid: msgspec.Raw, params: msgspec.Raw, ctx: CallContext
    ) -> bytes:
        start = time.perf_counter_ns()
        try:
            out = encode_result(rid, encode(method.func(method.args.decode(params), ctx)))
        except Exception as exc:
            self.metrics.record(method.name, time.perf_counter_ns() - start, error=True)
            return encode_error(rid, error_text(exc))
        self.metrics.record(method.name, time.perf_counter_ns() - start, error=False)
        return out

    def _reserved(self, reply: Coroutine[Any, Any, bytes]) -> asyncio.Task[bytes]:
        """Run ``reply`` holding a slot taken now, as Go counts a request once it is read.

        Counting when the task first runs would let a request pipelined behind it in the
        same read slip past ``*busy``; the done callback frees the slot even when the task
        is cancelled before it starts.
        """
        limiter = self.limiter
        limiter.active += 1
        task = asyncio.ensure_future(reply)
        task.add_done_callback(self._release)
        return task

    def _release(self, _task: asyncio.Task[bytes]) -> None:
        self.limiter.active -= 1

    async def _run_async(
        self, method: Method, rid: msgspec.Raw, params: msgspec.Raw, ctx: CallContext
    ) -> bytes:
        start = time.perf_counter_ns()
        try:
            args = method.args.decode(params)
            result = await method.func(args, ctx)
            out = encode_result(rid, encode(result))
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self.metrics.record(method.name, time.perf_counter_ns() - start, error=True)
            return encode_error(rid, error_text(exc))
        self.metrics.record(method.name, time.perf_counter_ns() - start, error=False)
        return out

    async def _queued(
        self, method: Method, rid: msgspec.Raw, params: msgspec.Raw, ctx: CallContext
    ) -> bytes:
        sem = self.limiter._sem
        assert sem is not None
        async with sem:
            self.limiter.active += 1
            try:
                if method.is_async:
                    return await self._run_async(method, rid, params, ctx)
                return self._run_sync(method, rid, params, ctx)
            finally:
                self.limiter.active -= 1
