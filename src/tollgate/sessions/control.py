"""SessionS's side of a call's control: debit loops, disconnects, forced terminations,
the session TTL and the channel sync (CGRateS v0.10 ``debitLoopSession``,
``disconnectSession``, ``forceSTerminate``, ``setSTerminator``, ``syncSessions``).

A debit loop charges a prepaid run one ``debit_interval`` in advance, every interval; when
the balances pay less than an interval it waits out what they paid and asks the client the
session came from to hang up (``SessionSv1.DisconnectSession``, ``SMGClientV1`` for
``client_protocol`` 0), ``terminate_attempts`` times, before ending the session itself. No
session lock is held while a client is called: a client answering with its own
TerminateSession never waits for us.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Coroutine, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from tollgate.core.config import SessionSCfg
from tollgate.core.durations import MILLISECOND
from tollgate.core.errors import TollgateError
from tollgate.sessions.debits import SessionDebits
from tollgate.sessions.events import (
    META_PREPAID,
    ORIGIN_HOST,
    ORIGIN_ID,
    REQUEST_TYPE,
    UNRATED_REQUEST_TYPES,
    USAGE,
    cgrid_of,
    event_duration,
    event_string,
)
from tollgate.sessions.models import CGREventArgs
from tollgate.sessions.session import Session
from tollgate.sessions.subsystems import Subsystems

if TYPE_CHECKING:
    from tollgate.sessions.service import SessionService

__all__ = ["BiJsonClient", "SessionControl", "cdr_flags", "fib_pauses"]

logger = logging.getLogger(__name__)

DISCONNECT = "SessionSv1.DisconnectSession"
DISCONNECT_V0 = "SMGClientV1.DisconnectSession"  # client_protocol 0 (OpenSIPS 2.3)
INSUFFICIENT_CREDIT = "INSUFFICIENT_CREDIT"
FORCED_DISCONNECT = "FORCED_DISCONNECT"
_TTL_FIELDS = ("SessionTTL", "SessionTTLMaxDelay", "SessionTTLLastUsed", "SessionTTLUsage")
_TTL_LAST_USAGE = "SessionTTLLastUsage"


class BiJsonClient(Protocol):
    """A connected client SessionS can call (a BiJSON connection)."""

    conn_id: str

    async def call(self, method: str, params: Any, *, timeout: float = 2.0) -> Any: ...


def fib_pauses() -> Iterator[float]:
    """``utils.Fib``: 1, 1, 2, 3, 5... milliseconds between attempts."""
    a, b = 1, 1
    while True:
        yield a / 1000
        a, b = b, a + b


class SessionControl:
    """Timers and client calls of the sessions of one SessionService."""

    def __init__(self, service: SessionService) -> None:
        self.service = service

    @property
    def settings(self) -> SessionSCfg:
        return self.service.settings

    @property
    def general(self) -> Any:
        return self.service.general

    @property
    def debits(self) -> SessionDebits:
        return self.service.debits

    @property
    def subsystems(self) -> Subsystems:
        return self.service.subsystems

    @property
    def active(self) -> dict[str, Session]:
        return self.service.active

    def clients(self) -> Mapping[str, BiJsonClient]:
        return self.service.clients()

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        return self.service.spawn(coro)

    async def end_session(
        self, s: Session, total: int | None, last_used: int | None, answer: str | None
    ) -> None:
        await self.service.end_session(s, total, last_used, answer, one_shot=False)

    # -- debit loops -----------------------------------------------------------------------

    def start_debit_loops(self, s: Session) -> None:
        """``initSessionDebitLoops``: one loop per prepaid run when debit_interval > 0."""
        if s.debit_stop is not None or s.debit_interval <= 0:
            return
        for index, sr in enumerate(s.runs):
            if sr.request_type != META_PREPAID:
                continue
            if s.debit_stop is None:
                s.debit_stop = asyncio.Event()
            s.debit_tasks.append(
                self.spawn(self._debit_loop(s, index, s.debit_interval, s.debit_stop))
            )

    async def _debit_loop(self, s: Session, index: int, interval: int, stop: asyncio.Event) -> None:
        """``debitLoopSession``: debit an interval in advance, every interval; hang up
        when the balances cover less than an interval."""
        sr = s.runs[index]
        seconds = interval / 1e9
        if sr.next_auto_debit is not None:  # taken over from a peer: it charged until then
            ahead = (sr.next_auto_debit - time.time_ns()) / 1e9
            if ahead > 0 and await _wait(stop, ahead):
                return
        while True:
            async with s.lock:
                if stop.is_set():
                    return
                try:
                    allowed = await self.debits.debit(sr, interval, None)
                except TollgateError as exc:
                    logger.warning(
                        "<SessionS> could not complete debit operation on session <%s>: %s",
                        s.cgrid,
                        exc,
                    )
                    failure: str | None = (
                        str(exc) if str(exc) == "UNAUTHORIZED_DESTINATION" else "SERVER_ERROR"
                    )
                else:
                    failure = None
                    sr.next_auto_debit = time.time_ns() + interval
            if failure is not None:
                await self.disconnect_or_terminate(s, failure)
                return
            if not s.ended:
                await self.service.replicate(s)
            if allowed < interval:
                if await _wait(stop, allowed / 1e9):
                    return
                await self.disconnect_or_terminate(s, INSUFFICIENT_CREDIT)
                return
            if await _wait(stop, seconds):
                return

    # -- disconnects -----------------------------------------------------------------------

    def client(self, conn_id: str) -> BiJsonClient | None:
        return self.clients().get(conn_id) if conn_id else None

    async def disconnect(self, s: Session, reason: str) -> None:
        """``disconnectSession``: ask the session's client to hang up (errors raise)."""
        client = self.client(s.client_conn_id)
        if client is None:
            raise TollgateError(
                f"calling {DISCONNECT} requires bidirectional JSON connection, "
                f"connID: <{s.client_conn_id}>"
            )
        s.event_start[USAGE] = s.total_usage()
        method = DISCONNECT_V0 if self.settings.client_protocol == 0 else DISCONNECT
        await client.call(
            method,
            {"EventStart": _sorted(s.event_start), "Reason": reason},
            timeout=self.general.reply_timeout / 1e9,
        )

    async def disconnect_or_terminate(self, s: Session, reason: str) -> None:
        """Ask the client ``terminate_attempts`` times, then end the session ourselves."""
        pause = fib_pauses()
        attempts = self.settings.terminate_attempts
        for attempt in range(attempts):
            if s.ended:
                return
            if attempt:
                await asyncio.sleep(next(pause))
            try:
                await self.disconnect(s, reason)
            except TollgateError as exc:
                logger.warning("<SessionS> could not disconnect session <%s>: %s", s.cgrid, exc)
            else:
                return
        async with s.lock:
            if not s.ended:
                await self.force_terminate(s, 0, None, None)

    async def force_terminate(
        self, s: Session, extra_usage: int, total: int | None, last_used: int | None
    ) -> None:
        """``forceSTerminate`` (caller holds the lock): charge ``extra_usage`` more, end the
        session, post its CDRs, release its resource, tell the client."""
        if extra_usage:
            # v0.10 debits every run here, *none and *postpaid ones too: only the prepaid
            # runs are charged by SessionS, so only they are (see docs/sessions.md)
            for sr in s.runs:
                if sr.request_type != META_PREPAID:
                    continue
                try:
                    await self.debits.debit(sr, extra_usage, last_used)
                except TollgateError as exc:
                    logger.warning("<SessionS> failed debiting <%s>: %s", s.cgrid, exc)
        try:
            await self.end_session(s, total, last_used, None)
        except TollgateError as exc:
            logger.warning("<SessionS> failed force terminating <%s>: %s", s.cgrid, exc)
        settings = self.settings
        if settings.cdrs_conns:
            for sr in s.runs:
                try:
                    await self.subsystems.cdr(
                        CGREventArgs(Tenant=s.tenant, Event=sr.event), cdr_flags(sr.event)
                    )
                except TollgateError as exc:
                    logger.warning("<SessionS> could not post CDR of <%s>: %s", s.cgrid, exc)
        if settings.resources_conns and s.resource_id:
            event = CGREventArgs(Tenant=s.tenant, Event=s.event_start)
            try:
                await self.subsystems.resources("ReleaseResources", event, s.resource_id)
            except TollgateError as exc:
                logger.warning("<SessionS> could not release resource of <%s>: %s", s.cgrid, exc)
        client = self.client(s.client_conn_id)
        if client is not None:
            self.spawn(self._tell_forced(client, s))

    async def _tell_forced(self, client: BiJsonClient, s: Session) -> None:
        try:
            await client.call(
                DISCONNECT,
                {"EventStart": _sorted(s.event_start), "Reason": FORCED_DISCONNECT},
                timeout=self.general.reply_timeout / 1e9,
            )
        except TollgateError as exc:
            logger.warning("<SessionS> err: %s remotely disconnect session <%s>", exc, s.cgrid)

    async def force_disconnect(self, cgrids: Sequence[str]) -> bool:
        """ForceDisconnect: force-terminate each session; False when one failed."""
        ok = True
        for cgrid in dict.fromkeys(cgrids):
            s = self.active.get(cgrid)
            if s is None:
                continue
            async with s.lock:
                if s.ended:
                    continue
                try:
                    await self.force_terminate(s, 0, None, None)
                except TollgateError as exc:
                    logger.warning("<SessionS> failed force-terminating <%s>: %s", cgrid, exc)
                    ok = False
        return ok

    # -- session TTL -----------------------------------------------------------------------

    def set_terminator(self, s: Session) -> None:
        """``setSTerminator``: (re)arm the session's TTL (caller holds the lock)."""
        settings = self.settings
        values: list[int | None] = []
        try:
            for name in (*_TTL_FIELDS, _TTL_LAST_USAGE):
                values.append(event_duration(s.event_start, name))
        except TollgateError as exc:
            logger.warning("<SessionS> cannot read the TTL of session <%s>: %s", s.cgrid, exc)
            return
        ttl, max_delay, last_used, usage, last_usage = values
        if ttl is None:
            ttl = settings.session_ttl
        if not ttl:
            return
        if max_delay is None:
            max_delay = settings.session_ttl_max_delay or 0
        if max_delay >= MILLISECOND:
            ttl += random.randrange(max_delay // MILLISECOND) * MILLISECOND
        s.ttl = ttl
        s.ttl_last_used = last_used if last_used is not None else settings.session_ttl_last_used
        s.ttl_usage = usage if usage is not None else settings.session_ttl_usage
        s.ttl_last_usage = last_usage if last_usage is not None else settings.session_last_usage
        s.stop_terminator()
        loop = asyncio.get_running_loop()
        s.ttl_handle = loop.call_later(ttl / 1e9, lambda: self.spawn(self._expire(s)))

    async def _expire(self, s: Session) -> None:
        async with s.lock:
            if s.ended:
                return
            s.ttl_handle = None
            extra = s.ttl_last_usage if s.ttl_last_usage is not None else s.ttl
            logger.info("<SessionS> session <%s> timed out", s.cgrid)
            await self.force_terminate(s, extra, s.ttl_usage, s.ttl_last_used)

    # -- channel sync ----------------------------------------------------------------------

    async def sync_loop(self, interval: int) -> None:
        while True:
            await asyncio.sleep(interval / 1e9)
            try:
                await self.sync_sessions()
            except Exception:
                logger.exception("<SessionS> channel sync failed")

    async def sync_sessions(self) -> None:
        """``syncSessions``: end every active session no client reports any more."""
        timeout = self.general.reply_timeout / 1e9
        clients = list(self.clients().values())
        results = await asyncio.gather(
            *(c.call("SessionSv1.GetActiveSessionIDs", "", timeout=timeout) for c in clients),
            return_exceptions=True,
        )
        known: set[str] = set()
        for result in results:
            if isinstance(result, BaseException):
                logger.warning("<SessionS> error <%s> querying session ids", result)
                continue
            for item in result or ():
                if isinstance(item, dict):
                    known.add(
                        cgrid_of(event_string(item, ORIGIN_ID), event_string(item, ORIGIN_HOST))
                    )
        for cgrid in [c for c in self.active if c not in known]:
            s = self.active.get(cgrid)
            if s is None:
                continue
            async with s.lock:
                if not s.ended:
                    await self.force_terminate(s, 0, None, None)


def _sorted(event: Mapping[str, Any]) -> dict[str, Any]:
    """The event with its keys in order, as Go writes a map."""
    return dict(sorted(event.items()))


async def _wait(stop: asyncio.Event, seconds: float) -> bool:
    """Sleep ``seconds`` unless stopped first; True when stopped."""
    if stop.is_set():
        return True
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), max(seconds, 0))
    return stop.is_set()


def cdr_flags(event: Mapping[str, Any]) -> list[str]:
    """The CDRsV1.ProcessEvent flags for a session's run: no forking, no attributes;
    rating for the request types SessionS did not charge."""
    flags = ["*chargers:false", "*attributes:false"]
    if event_string(event, REQUEST_TYPE) in UNRATED_REQUEST_TYPES:
        flags.append("*rals:true")
    return flags
