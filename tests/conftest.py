"""Fixtures shared by the integration and e2e suites: real SQL servers, started once.

Each server starts on first use and stops at the end of the session. When its binaries are
missing, the test fails saying what to install; outside CI (no ``CI`` variable) it is skipped
with that message instead, so a laptop without PostgreSQL still runs everything else.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest

from tollgate.testing.sqlservers import ServerMissing, SQLServer, start_mariadb, start_postgres


def _server(start: Callable[[], SQLServer]) -> Iterator[SQLServer]:
    try:
        server = start()
    except ServerMissing as exc:
        if os.environ.get("CI"):
            pytest.fail(f"{exc} (CI runs every backend: nothing may be skipped)")
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
