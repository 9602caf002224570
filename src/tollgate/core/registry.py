"""Services started in dependency order and stopped in reverse.

A service names the services it calls in-process (``requires``); the registry refuses
unknown or circular requirements, starts every enabled service after what it requires,
and if one fails to start stops those already running and raises
:class:`ServiceStartError` naming it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Iterator
from typing import ClassVar

__all__ = ["Registry", "Service", "ServiceStartError"]

logger = logging.getLogger(__name__)


class ServiceStartError(Exception):
    """A service could not start; the message says which and why."""


class Service:
    """Base of every long-lived part of the engine (stores, listeners, subsystems)."""

    name: ClassVar[str] = ""
    requires: ClassVar[tuple[str, ...]] = ()

    @property
    def enabled(self) -> bool:
        return True

    async def start(self) -> None:
        """Open resources; return when the service is ready to be used."""

    async def stop(self) -> None:
        """Release resources; the last thing a stopped engine does for this service."""

    async def reload(self) -> None:
        """Apply a changed configuration; the default does nothing."""


class Registry:
    """The set of services of one engine; tests build their own."""

    def __init__(self, services: Iterable[Service] = ()) -> None:
        self._services: dict[str, Service] = {}
        self._running: list[Service] = []
        for service in services:
            self.add(service)

    def add(self, service: Service) -> None:
        if not service.name:
            raise ValueError(f"{type(service).__name__} has no name")
        if service.name in self._services:
            raise ValueError(f"service {service.name} registered twice")
        self._services[service.name] = service

    def get(self, name: str) -> Service:
        return self._services[name]

    def __contains__(self, name: object) -> bool:
        return name in self._services

    def __iter__(self) -> Iterator[Service]:
        return iter(self._services.values())

    @property
    def running(self) -> tuple[Service, ...]:
        return tuple(self._running)

    def order(self) -> list[Service]:
        """Enabled services, each after everything it requires."""
        enabled = {n: s for n, s in self._services.items() if s.enabled}
        ordered: list[Service] = []
        state: dict[str, int] = {}  # 1 visiting, 2 done

        def visit(name: str, chain: tuple[str, ...]) -> None:
            if state.get(name) == 2:
                return
            if state.get(name) == 1:
                raise ServiceStartError(f"circular service requirement: {' -> '.join(chain)}")
            service = self._services.get(name)
            if service is None:
                raise ServiceStartError(
                    f"service {chain[-2]} requires {name}, which does not exist"
                )
            if name not in enabled:
                raise ServiceStartError(
                    f"service {chain[-2]} requires {name}, which is disabled in the config"
                )
            state[name] = 1
            for dep in service.requires:
                visit(dep, (*chain, dep))
            state[name] = 2
            ordered.append(service)

        for name in enabled:
            visit(name, (name,))
        return ordered

    async def start(self) -> None:
        """Start every enabled service; on a failure stop the started ones and raise."""
        for service in self.order():
            logger.debug("starting service %s", service.name)
            try:
                await service.start()
            except Exception as exc:
                logger.error("service %s failed to start: %s", service.name, exc)
                await self.stop()
                raise ServiceStartError(f"service {service.name} failed to start: {exc}") from exc
            self._running.append(service)

    async def stop(self) -> None:
        """Stop running services in reverse start order; errors are logged, not raised."""
        while self._running:
            service = self._running.pop()
            logger.debug("stopping service %s", service.name)
            try:
                await service.stop()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("service %s failed to stop cleanly", service.name)
