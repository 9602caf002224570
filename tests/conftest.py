"""Fixtures shared by the integration and e2e suites: real SQL servers and a RabbitMQ
broker, each started once.

Each server starts on first use and stops at the end of the session. When its binaries are
missing, the test fails saying what to install; outside CI (no ``CI`` variable) it is skipped
with that message instead, so a laptop without PostgreSQL still runs everything else.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import TypeVar

import pytest

from tollgate.testing.rabbitmq import RabbitMQ, start_rabbitmq
from tollgate.testing.sqlservers import ServerMissing, SQLServer, start_mariadb, start_postgres

S = TypeVar("S", SQLServer, RabbitMQ)


def _server(start: Callable[[], S]) -> Iterator[S]:
    try:
        server = start()
    except ServerMissing as exc:
        if os.environ.get("CI"):
            pytest.fail(f"{exc} (CI runs every server: nothing may be skipped)")
        pytest.skip(str(exc))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[SQLServer]:
    """A PostgreSQL server on loopback with role and database ``cgrates``."""
    yield from _server(start_postgres)


@pytest.fixture(scope="session")
def mariadb_server() -> Iterator[SQLServer]:
    """A MariaDB server on loopback with user and database ``cgrates``."""
    yield from _server(start_mariadb)


@pytest.fixture(scope="session")
def rabbitmq_server() -> Iterator[RabbitMQ]:
    """A RabbitMQ broker on loopback (``guest``/``guest``)."""
    yield from _server(start_rabbitmq)
