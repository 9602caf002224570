"""AMQP 0.9.1 posting for the ``*amqp_json_cdr`` / ``*amqp_json_map`` exports and the
``*amqp_json_map`` action.

The export path (or the action's ExtraParameters) is a broker URL with CGRateS's extra
query parameters::

    amqp://guest:guest@localhost:5672/?queue_id=cgrates_cdrs&exchange=exchangename&exchange_type=fanout&routing_key=cgr_cdrs

``queue_id`` (default ``cgrates_cdrs``) is declared durable. With an ``exchange`` it is
declared durable too (``exchange_type``, default ``direct``), the queue is bound to it with
``routing_key`` and messages go to the exchange with that key; without one they go through
the default exchange straight to the queue. Messages are persistent with the content type of
the export (``application/json``). One connection and channel per distinct path stay open
between exports; a broken one is dropped and opened again on the next attempt.
"""

from __future__ import annotations

import asyncio
import logging
import urllib.parse
from dataclasses import dataclass
from typing import Final

import aio_pika
import aiormq.exceptions
from aio_pika.abc import AbstractChannel, AbstractConnection, AbstractExchange

from tollgate.core.errors import TollgateError

__all__ = ["AMQP_FORMATS", "AMQPPoster", "AMQPTarget"]

logger = logging.getLogger(__name__)

AMQP_FORMATS: Final = frozenset({"*amqp_json_cdr", "*amqp_json_map"})
DEFAULT_QUEUE: Final = "cgrates_cdrs"
DEFAULT_EXCHANGE_TYPE: Final = "direct"
_OWN_PARAMS: Final = frozenset({"queue_id", "exchange", "exchange_type", "routing_key"})
_CONNECT_TIMEOUT: Final = 10.0


@dataclass(frozen=True, slots=True)
class AMQPTarget:
    """Where one export path posts: the broker URL without CGRateS's parameters."""

    url: str
    queue_id: str = DEFAULT_QUEUE
    exchange: str = ""
    exchange_type: str = DEFAULT_EXCHANGE_TYPE
    routing_key: str = ""

    @classmethod
    def parse(cls, path: str) -> AMQPTarget:
        parts = urllib.parse.urlsplit(path)
        if parts.scheme not in ("amqp", "amqps") or not parts.hostname:
            raise TollgateError(f"invalid AMQP URL: <{path}>")
        query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
        own = {k: v for k, v in query if k in _OWN_PARAMS}
        rest = urllib.parse.urlencode([(k, v) for k, v in query if k not in _OWN_PARAMS])
        return cls(
            url=urllib.parse.urlunsplit(parts._replace(query=rest, fragment="")),
            queue_id=own.get("queue_id") or DEFAULT_QUEUE,
            exchange=own.get("exchange", ""),
            exchange_type=own.get("exchange_type") or DEFAULT_EXCHANGE_TYPE,
            routing_key=own.get("routing_key", ""),
        )


@dataclass(slots=True)
class _Link:
    connection: AbstractConnection
    channel: AbstractChannel
    exchange: AbstractExchange
    routing_key: str


class AMQPPoster:
    """Publishes export bodies; keeps one link per target until :meth:`close`."""

    def __init__(self) -> None:
        self._links: dict[AMQPTarget, _Link] = {}
        self._targets: dict[str, AMQPTarget] = {}  # path -> parsed, once per path
        self._lock = asyncio.Lock()

    async def publish(self, path: str, body: bytes, *, content_type: str) -> None:
        """One message to the target ``path`` names; TollgateError when it cannot."""
        target = self._targets.get(path)
        if target is None:
            target = self._targets[path] = AMQPTarget.parse(path)
        try:
            link = await self._link(target)
            await link.exchange.publish(
                aio_pika.Message(
                    body,
                    content_type=content_type,
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                ),
                routing_key=link.routing_key,
            )
        except (aiormq.exceptions.AMQPError, OSError, TimeoutError) as exc:
            await self._drop(target)
            raise TollgateError(str(exc) or type(exc).__name__) from exc

    async def _link(self, target: AMQPTarget) -> _Link:
        link = self._links.get(target)
        if link is not None and not link.channel.is_closed:
            return link
        async with self._lock:
            link = self._links.get(target)
            if link is not None and not link.channel.is_closed:
                return link
            connection = await aio_pika.connect(target.url, timeout=_CONNECT_TIMEOUT)
            try:
                channel = await connection.channel()
                queue = await channel.declare_queue(target.queue_id, durable=True)
                if target.exchange:
                    exchange = await channel.declare_exchange(
                        target.exchange, target.exchange_type, durable=True
                    )
                    await queue.bind(exchange, routing_key=target.routing_key)
                    routing_key = target.routing_key
                else:
                    exchange = channel.default_exchange
                    routing_key = target.queue_id
            except BaseException:
                await connection.close()
                raise
            link = _Link(connection, channel, exchange, routing_key)
            self._links[target] = link
            return link

    async def _drop(self, target: AMQPTarget) -> None:
        link = self._links.pop(target, None)
        if link is not None:
            try:
                await link.connection.close()
            except (aiormq.exceptions.AMQPError, OSError) as exc:
                logger.debug("closing the AMQP link to %s: %s", target.url, exc)

    async def close(self) -> None:
        """Close every link (engine shutdown)."""
        for target in list(self._links):
            await self._drop(target)
