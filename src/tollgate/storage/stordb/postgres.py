"""``*postgres`` StorDB: PostgreSQL through asyncpg."""

from __future__ import annotations

import logging

from sqlalchemy.engine import URL

from tollgate.storage.stordb.sql import PoolSettings, SQLStorDB

__all__ = ["SSL_MODES", "PostgresStorDB"]

logger = logging.getLogger(__name__)

DEFAULT_PORT = 5432
# libpq's sslmode values, which asyncpg takes as its ``ssl`` argument
SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")


class PostgresStorDB(SQLStorDB):
    """A StorDB in the PostgreSQL database ``db_name`` at ``host:port``."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = DEFAULT_PORT,
        db_name: str = "cgrates",
        user: str = "cgrates",
        password: str = "",
        sslmode: str = "disable",
        pool: PoolSettings | None = None,
    ) -> None:
        if sslmode not in SSL_MODES:
            raise ValueError(f"stor_db sslmode {sslmode!r} is not one of {', '.join(SSL_MODES)}")
        pool = pool or PoolSettings()
        url = URL.create(
            "postgresql+asyncpg",
            username=user or None,
            password=password or None,
            host=host or "127.0.0.1",
            port=port or DEFAULT_PORT,
            database=db_name,
        )
        connect_args: dict[str, object] = {"ssl": sslmode}
        if pool.query_timeout > 0:
            # enforced by the server: the statement fails, the connection stays usable
            ms = max(1, round(pool.query_timeout * 1000))
            connect_args["server_settings"] = {"statement_timeout": str(ms)}
        super().__init__(url, connect_args=connect_args, **pool.engine_options())
