"""A session and its runs (CGRateS v0.10 ``sessions/session.go``).

A :class:`Session` is one call (one CGRID); ChargerS forks it into :class:`SRun` s, one per
charger run, each with the call descriptor its debits continue (:class:`RunDescriptor`) and
what it was charged (:class:`~tollgate.sessions.charges.Charges`). ``extra_duration`` is what
a debit took beyond what was asked (the increments round up), ``last_usage`` the usage last
asked for and ``total_usage`` their sum, corrected by ``LastUsed``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tollgate.core.times import ZERO_NS, format_rfc3339
from tollgate.rating import CallDescriptorArgs
from tollgate.sessions.charges import Charges
from tollgate.sessions.events import (
    ACCOUNT,
    ANSWER_TIME,
    CATEGORY,
    DESTINATION,
    RUN_ID,
    SETUP_TIME,
    SUBJECT,
    TOR,
    USAGE,
    event_duration_or_none,
    event_string,
    event_time,
)

__all__ = ["RunDescriptor", "SRun", "Session"]

_ZERO = Decimal(0)


@dataclass(slots=True)
class RunDescriptor:
    """``engine.CallDescriptor`` of a run, updated by every debit."""

    cgrid: str
    run_id: str
    tor: str
    tenant: str
    category: str
    subject: str
    account: str
    destination: str
    time_start: int
    time_end: int
    tz: dt.tzinfo
    extra_fields: dict[str, str] = field(default_factory=dict)
    force_duration: bool = False
    loop_index: int = 0
    duration_index: int = 0
    max_cost_so_far: Decimal = _ZERO

    @classmethod
    def of_event(
        cls, cgrid: str, tenant: str, event: dict[str, Any], category: str, timezone: str
    ) -> RunDescriptor:
        """The descriptor of an event as it is (ProcessEvent ``*cost``): from AnswerTime
        (else SetupTime) lasting Usage; Category defaults to ``category``, Subject to
        Account."""
        start = event_time(event, ANSWER_TIME, timezone) or event_time(event, SETUP_TIME, timezone)
        start_ns = start.ns if start is not None else ZERO_NS
        return cls(
            cgrid=cgrid,
            run_id=event_string(event, RUN_ID),
            tor=event_string(event, TOR),
            tenant=tenant,
            category=event_string(event, CATEGORY) or category,
            subject=event_string(event, SUBJECT) or event_string(event, ACCOUNT),
            account=event_string(event, ACCOUNT),
            destination=event_string(event, DESTINATION),
            time_start=start_ns,
            time_end=start_ns + (event_duration_or_none(event, USAGE) or 0),
            tz=start.tz if start is not None else dt.UTC,
        )

    def args(self, **extra: Any) -> CallDescriptorArgs:
        """The descriptor as the Responder methods take it."""
        return CallDescriptorArgs(
            Category=self.category,
            Tenant=self.tenant,
            Subject=self.subject,
            Account=self.account,
            Destination=self.destination,
            TimeStart=format_rfc3339(self.time_start, self.tz),
            TimeEnd=format_rfc3339(self.time_end, self.tz),
            LoopIndex=Decimal(self.loop_index),
            DurationIndex=self.duration_index,
            ToR=self.tor,
            ExtraFields=self.extra_fields or None,
            MaxCostSoFar=self.max_cost_so_far,
            CgrID=self.cgrid,
            RunID=self.run_id,
            ForceDuration=self.force_duration,
            **extra,
        )


@dataclass(slots=True)
class SRun:
    """One billing run of a session."""

    event: dict[str, Any]
    cd: RunDescriptor
    charges: Charges | None = None
    extra_duration: int = 0
    last_usage: int = 0
    total_usage: int = 0
    next_auto_debit: int | None = None  # ns since the epoch

    @property
    def request_type(self) -> str:
        value = self.event.get("RequestType")
        return value if isinstance(value, str) else ""

    def debit_reserve(self, dur: int, last_used: int | None) -> int:
        """Take ``dur`` out of what was debited beyond the asked usage; returns what is
        still to be debited. ``last_used`` corrects the previous usage first."""
        if last_used is not None and self.last_usage != last_used:
            self.extra_duration += self.last_usage - last_used
            self.total_usage += last_used - self.last_usage
            self.last_usage = last_used
        if self.extra_duration >= dur:
            self.extra_duration -= dur
            self.last_usage = dur
            self.total_usage += dur
            return 0
        rest = dur - self.extra_duration
        self.extra_duration = 0
        return rest


@dataclass(slots=True, eq=False)
class Session:
    """One call: its start event, runs, client connection and timers."""

    cgrid: str
    tenant: str
    event_start: dict[str, Any]
    client_conn_id: str = ""
    resource_id: str = ""
    debit_interval: int = 0
    runs: list[SRun] = field(default_factory=list)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    debit_tasks: list[asyncio.Task[None]] = field(default_factory=list)
    debit_stop: asyncio.Event | None = None  # set: the debit loops end (Go's debitStop)
    ttl_handle: asyncio.TimerHandle | None = None
    ttl: int = 0
    ttl_last_used: int | None = None
    ttl_usage: int | None = None
    ttl_last_usage: int | None = None
    ended: bool = False

    def total_usage(self) -> int:
        """The first run's total usage (what a disconnect reports)."""
        return self.runs[0].total_usage if self.runs else 0

    @property
    def debit_loops(self) -> bool:
        """True while automatic debits run (they end at the next wake-up once stopped)."""
        return self.debit_stop is not None

    def stop_debit_loops(self) -> None:
        """End the automatic debits: a loop never stops inside a debit, only between."""
        if self.debit_stop is not None:
            self.debit_stop.set()
            self.debit_stop = None
        self.debit_tasks.clear()

    def stop_terminator(self) -> None:
        if self.ttl_handle is not None:
            self.ttl_handle.cancel()
            self.ttl_handle = None
