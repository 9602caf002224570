"""A JSON-RPC client to another engine: ``rpc_conns`` entries with ``*json`` or ``*http_jsonrpc``.

``*json`` speaks the 2012 protocol (PROTOCOLS.md §1.1-1.2) over one TCP connection:
requests are pipelined with increasing integer ids and replies, which come back in
completion order, are matched by id. The connection is opened on the first call
(``connect_attempts`` dials with back-off). When it drops, calls in flight fail with
``DISCONNECTED`` (never retried: the peer may have applied them) and a background task
re-dials up to ``reconnects`` times (-1: forever); a first connect that fails is followed
by the same re-dials. A call made while the peer is down waits for one dial (at most
``connect_timeout``) and then fails with ``DISCONNECTED``; once the re-dials are used up
the client dials lazily again on the next call.

``*http_jsonrpc`` POSTs each request to ``http://<address>/jsonrpc`` (or to the address
itself when it is a URL, as CGRateS configs write it) through one aiohttp session.

``*gob`` is Go-only (PROTOCOLS.md §1.3) and refused when the client is built.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Iterator
from typing import Any, cast

import aiohttp

from tollgate.core.errors import DisconnectedError, ReplyTimeoutError
from tollgate.core.wire import encode
from tollgate.rpc.codec import (
    FrameError,
    FrameSplitter,
    Message,
    RemoteError,
    decode_message,
    encode_request,
    raw_or_none,
)

__all__ = ["GOB_UNSUPPORTED", "TRANSPORTS", "RpcClient", "backoff_delays"]

logger = logging.getLogger(__name__)

JSON = "*json"
HTTP_JSONRPC = "*http_jsonrpc"
GOB = "*gob"
TRANSPORTS = frozenset({JSON, HTTP_JSONRPC})
GOB_UNSUPPORTED = "*gob transport is not supported by Tollgate; use *json"

_FIRST_DELAY = 0.05
_MAX_DELAY = 3.0


def backoff_delays(first: float = _FIRST_DELAY, cap: float = _MAX_DELAY) -> Iterator[float]:
    """Pauses between dials: Fibonacci multiples of ``first`` (0.05, 0.05, 0.1, 0.15 …), capped."""
    a, b = first, first
    while True:
        yield min(a, cap)
        a, b = b, a + b


def _split(address: str) -> tuple[str, int]:
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit():
        raise ValueError(f"rpc conn address {address!r} is not host:port")
    return host.strip("[]") or "127.0.0.1", int(port)


def _reply(msg: Message) -> Any:
    """The result of a response, or :class:`RemoteError` with its error text (as Go's client)."""
    error = raw_or_none(msg.error)
    if error is not None:
        if not isinstance(error, str):
            raise RemoteError(f"invalid error {error}")
        raise RemoteError(error or "unspecified error")
    return raw_or_none(msg.result)


def _int_id(msg: Message) -> int | None:
    try:
        return int(bytes(msg.id))
    except ValueError:
        return None


def _settle(waiters: set[asyncio.Future[_Connection | None]], conn: _Connection | None) -> None:
    for waiter in waiters:
        if not waiter.done():
            waiter.set_result(conn)
    waiters.clear()


class _Connection(asyncio.Protocol):
    """One TCP connection: writes requests, resolves the pending future of each reply."""

    def __init__(self, client: RpcClient) -> None:
        self.client = client
        self.transport: asyncio.Transport | None = None
        self.pending: dict[int, asyncio.Future[Message]] = {}
        self.splitter = FrameSplitter()
        self.closed = False

    @property
    def usable(self) -> bool:
        return not self.closed and self.transport is not None and not self.transport.is_closing()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's TCPTransport is not an asyncio.Transport subclass, but behaves as one
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        try:
            messages = self.splitter.feed(data)
        except FrameError as exc:
            logger.warning("closing connection to %s: bad reply: %s", self.client.address, exc)
            self._deliver(exc.messages)
            self.close()
            return
        self._deliver(messages)

    def _deliver(self, messages: list[Message]) -> None:
        for msg in messages:
            if msg.method:
                logger.debug("ignoring request %s from %s", msg.method, self.client.address)
                continue
            rid = _int_id(msg)
            fut = self.pending.pop(rid, None) if rid is not None else None
            if fut is None or fut.done():
                # the call timed out (or the id is not ours): nobody waits for this reply
                logger.debug("dropping reply id=%s from %s", bytes(msg.id), self.client.address)
                continue
            fut.set_result(msg)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        pending, self.pending = self.pending, {}
        for fut in pending.values():
            if not fut.done():
                fut.set_exception(DisconnectedError())
        self.client._lost(self, exc)

    def send(self, data: bytes) -> None:
        assert self.transport is not None
        self.transport.write(data)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


class RpcClient:
    """One peer engine reached over ``*json`` (TCP 2012) or ``*http_jsonrpc``."""

    def __init__(
        self,
        address: str,
        *,
        transport: str = JSON,
        ssl_context: ssl.SSLContext | None = None,
        connect_timeout: float = 1.0,
        reply_timeout: float = 2.0,
        connect_attempts: int = 5,
        reconnects: int = -1,
    ) -> None:
        transport = transport or JSON
        if transport == GOB:
            raise ValueError(GOB_UNSUPPORTED)
        if transport not in TRANSPORTS:
            raise ValueError(
                f"unknown rpc conn transport {transport!r} (want one of {sorted(TRANSPORTS)})"
            )
        self.address = address
        self.transport = transport
        self.ssl_context = ssl_context
        self.connect_timeout = connect_timeout
        self.reply_timeout = reply_timeout
        self.connect_attempts = max(connect_attempts, 1)
        self.reconnects = reconnects
        if transport == JSON:
            self._host, self._port = _split(address)
            self.url = ""
        elif address.startswith(("http://", "https://")):
            self.url = address
        else:
            scheme = "https" if ssl_context is not None else "http"
            self.url = f"{scheme}://{address}/jsonrpc"
        self._conn: _Connection | None = None
        self._dialer: asyncio.Task[None] | None = None
        self._kick = asyncio.Event()
        # calls waiting for the dialer's next dial / for its first phase (or success)
        self._attempt_waiters: set[asyncio.Future[_Connection | None]] = set()
        self._phase_waiters: set[asyncio.Future[_Connection | None]] = set()
        self._session: aiohttp.ClientSession | None = None
        self._next_id = 0
        self._closed = False

    def __repr__(self) -> str:
        return f"RpcClient({self.address!r}, transport={self.transport!r})"

    @property
    def connected(self) -> bool:
        """A ``*json`` connection is up (always False for ``*http_jsonrpc``)."""
        return self._conn is not None and self._conn.usable

    async def call(self, method: str, args: Any) -> Any:
        """``method(args)``'s decoded result; RemoteError, REPLY_TIMEOUT or DISCONNECTED."""
        if self._closed:
            raise DisconnectedError()
        params = encode(args)
        if self.transport == HTTP_JSONRPC:
            return await self._call_http(method, params)
        conn = self._conn
        if conn is None or not conn.usable:
            conn = await self._connection()
        self._next_id += 1
        rid = self._next_id
        fut: asyncio.Future[Message] = asyncio.get_running_loop().create_future()
        conn.pending[rid] = fut
        conn.send(encode_request(method, params, rid))
        try:
            async with asyncio.timeout(self.reply_timeout if self.reply_timeout > 0 else None):
                msg = await fut
        except TimeoutError:
            logger.debug("%s to %s: no reply in %ss", method, self.address, self.reply_timeout)
            raise ReplyTimeoutError() from None
        finally:
            conn.pending.pop(rid, None)
        return _reply(msg)

    async def close(self) -> None:
        """Close the connection (calls in flight fail with DISCONNECTED) and stop re-dialing."""
        self._closed = True
        dialer, self._dialer = self._dialer, None
        if dialer is not None and not dialer.done():
            dialer.cancel()
            await asyncio.wait([dialer])
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    # -- *json: dialing ---------------------------------------------------------------------
    #
    # One dialer task at a time. A call that finds no dialer starts one (``connect_attempts``
    # dials, then the ``reconnects`` re-dials in the background) and waits for the first
    # phase; a call that finds one running wakes it from its back-off pause and waits for
    # the outcome of its next dial only: a peer known to be down costs a call one refused
    # dial, not ``connect_timeout``, so pools fail over fast. No call waits longer than
    # ``connect_timeout``.

    async def _connection(self) -> _Connection:
        waiter: asyncio.Future[_Connection | None] = asyncio.get_running_loop().create_future()
        dialer = self._dialer
        if dialer is None or dialer.done():
            waiters = self._phase_waiters
            waiters.add(waiter)
            first = self.connect_attempts
            self._start_dialer((first, self.reconnects) if self.reconnects != 0 else (first,))
        else:
            waiters = self._attempt_waiters
            waiters.add(waiter)
            self._kick.set()
        try:
            async with asyncio.timeout(self.connect_timeout if self.connect_timeout > 0 else None):
                conn = await waiter
        except TimeoutError:
            raise DisconnectedError() from None
        finally:
            waiters.discard(waiter)
        if conn is None or not conn.usable:
            raise DisconnectedError()
        return conn

    def _start_dialer(self, budgets: tuple[int, ...]) -> None:
        self._dialer = asyncio.get_running_loop().create_task(
            self._dial(budgets), name=f"rpc-dial-{self.address}"
        )

    async def _dial(self, budgets: tuple[int, ...]) -> None:
        """Dial until connected: each budget is a number of dials (-1: until closed)."""
        delays = backoff_delays()
        tries = 0
        try:
            for phase, attempts in enumerate(budgets):
                phase_tries = 0
                while not self._closed and (attempts < 0 or phase_tries < attempts):
                    if tries:
                        await self._pause(next(delays))
                    tries += 1
                    phase_tries += 1
                    conn = await self._try_open(tries)
                    if conn is not None and self._closed:
                        conn.close()
                        conn = None
                    _settle(self._attempt_waiters, conn)
                    if conn is not None:
                        self._conn = conn
                        _settle(self._phase_waiters, conn)
                        logger.info("connected to %s", self.address)
                        return
                if phase == 0:
                    _settle(self._phase_waiters, None)
            if not self._closed:
                logger.warning("cannot connect to %s after %d attempts", self.address, tries)
        finally:
            _settle(self._attempt_waiters, None)
            _settle(self._phase_waiters, None)

    async def _pause(self, delay: float) -> None:
        """Sleep ``delay`` unless a call wants a connection now."""
        self._kick.clear()
        try:
            async with asyncio.timeout(delay):
                await self._kick.wait()
        except TimeoutError:
            pass

    async def _try_open(self, attempt: int) -> _Connection | None:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self.connect_timeout if self.connect_timeout > 0 else None):
                _, conn = await loop.create_connection(
                    lambda: _Connection(self), self._host, self._port, ssl=self.ssl_context
                )
        except (OSError, TimeoutError) as exc:
            logger.debug("dial %s failed (attempt %d): %r", self.address, attempt, exc)
            return None
        except Exception:  # the dialer runs unawaited: an unexpected error must be seen
            logger.exception("dial %s failed", self.address)
            return None
        return conn

    def _lost(self, conn: _Connection, exc: Exception | None) -> None:
        if conn is not self._conn:
            return
        self._conn = None
        if self._closed:
            return
        logger.warning("connection to %s lost%s", self.address, f": {exc}" if exc else "")
        if self.reconnects != 0 and (self._dialer is None or self._dialer.done()):
            self._start_dialer((self.reconnects,))

    # -- *http_jsonrpc ----------------------------------------------------------------------

    def _http_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            connect = self.connect_timeout if self.connect_timeout > 0 else None
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=None, sock_connect=connect)
            )
        return self._session

    async def _call_http(self, method: str, params: bytes) -> Any:
        session = self._http_session()
        self._next_id += 1
        body = encode_request(method, params, self._next_id)
        try:
            async with asyncio.timeout(self.reply_timeout if self.reply_timeout > 0 else None):
                async with session.post(
                    self.url,
                    data=body,
                    headers={"Content-Type": "application/json"},
                    ssl=self.ssl_context if self.ssl_context is not None else True,
                ) as resp:
                    status = resp.status
                    data = await resp.read()
        except aiohttp.ClientError as exc:  # includes aiohttp's connect timeouts
            logger.debug("%s to %s failed: %r", method, self.url, exc)
            raise DisconnectedError() from exc
        except TimeoutError:  # before OSError, its base class: ours, the reply is late
            raise ReplyTimeoutError() from None
        except OSError as exc:
            logger.debug("%s to %s failed: %r", method, self.url, exc)
            raise DisconnectedError() from exc
        try:
            msg = decode_message(data.strip())
        except FrameError:
            if status >= 500:
                raise DisconnectedError() from None
            raise RemoteError(f"HTTP {status}: not a JSON-RPC reply") from None
        return _reply(msg)
