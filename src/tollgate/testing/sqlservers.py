"""Throw-away PostgreSQL and MariaDB servers on loopback, for tests and benchmarks.

Each server lives in its own temporary folder, listens on a free port of 127.0.0.1 (and a
Unix socket in that folder), runs with durability off (tests do not survive a crash) and is
removed by :meth:`SQLServer.stop`. Run as root, the server runs as its Debian package's user
(``postgres``, ``mysql``), since neither starts as root. A missing binary raises
:class:`ServerMissing` saying which package to install.
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tollgate.testing.engine import free_port

__all__ = ["SQLServer", "ServerMissing", "start_mariadb", "start_postgres"]

USER = "cgrates"
PASSWORD = "CGRateS.org"
DATABASE = "cgrates"
_START_TIMEOUT = 60.0


class ServerMissing(RuntimeError):
    """A server's binaries are not installed here."""


@dataclass
class SQLServer:
    """A running server: ``db_type`` as the StorDB names it, where it listens, who may log in."""

    db_type: str
    port: int
    folder: Path
    proc: subprocess.Popen[bytes]
    client: list[str]  # the command-line client, logged in as the superuser
    run_as: dict[str, Any] = field(default_factory=dict)
    host: str = "127.0.0.1"
    user: str = USER
    password: str = PASSWORD
    database: str = DATABASE

    def sql(self, statement: str, database: str = "") -> str:
        """Run ``statement`` as the superuser in ``database`` (the server's own when empty);
        its output, unaligned and without headers."""
        where: list[str] = []
        if database:
            where = ["-d", database] if self.db_type == "*postgres" else ["-D", database]
        done = subprocess.run(
            [*self.client, *where, "-c" if self.db_type == "*postgres" else "-e", statement],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
            cwd=self.folder,
            **self.run_as,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{self.db_type} {statement!r}: {done.stderr.strip()}")
        return str(done.stdout)

    def create_database(self, name: str) -> None:
        """A new empty database ``name`` that :attr:`user` owns (dropped first if there)."""
        if self.db_type == "*postgres":
            self.sql(f'DROP DATABASE IF EXISTS "{name}"')
            self.sql(f'CREATE DATABASE "{name}" OWNER "{self.user}"')
        else:
            self.sql(f"DROP DATABASE IF EXISTS `{name}`")
            self.sql(f"CREATE DATABASE `{name}`")

    def stor_db(self, name: str | None = None) -> dict[str, Any]:
        """The ``stor_db`` config section that reaches database ``name``."""
        return {
            "db_type": self.db_type,
            "db_host": self.host,
            "db_port": self.port,
            "db_name": name or self.database,
            "db_user": self.user,
            "db_password": self.password,
        }

    def log(self) -> str:
        path = self.folder / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        """Stop the server (fast shutdown) and delete its folder."""
        if self.proc.poll() is None:
            # PostgreSQL: SIGINT is the fast shutdown; MariaDB shuts down on SIGTERM
            self.proc.send_signal(signal.SIGINT if self.db_type == "*postgres" else signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        shutil.rmtree(self.folder, ignore_errors=True)


def _find(names: list[str], package: str) -> str:
    for name in names:
        found = sorted(glob.glob(name)) if "*" in name else [shutil.which(name) or ""]
        if found and found[-1]:
            return found[-1]
    raise ServerMissing(
        f"{Path(names[0]).name} not found: install the server with "
        f"`apt-get install -y {package}` (Debian/Ubuntu); .ci/run does this in CI"
    )


def _run_as(account: str) -> tuple[dict[str, Any], int, int]:
    """subprocess keywords that drop root to ``account`` (nothing when not root)."""
    if os.geteuid() != 0:
        return {}, -1, -1
    try:
        pw = pwd.getpwnam(account)
    except KeyError as exc:
        raise ServerMissing(f"no system user {account!r} to run the server as") from exc
    kw = {"user": pw.pw_uid, "group": pw.pw_gid, "extra_groups": []}
    return kw, pw.pw_uid, pw.pw_gid


def _folder(prefix: str, uid: int, gid: int) -> Path:
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    if uid >= 0:
        os.chown(folder, uid, gid)
    return folder


def _wait_ready(server: SQLServer) -> None:
    deadline = time.monotonic() + _START_TIMEOUT
    while True:
        if server.proc.poll() is not None:
            log = server.log()
            server.stop()
            raise RuntimeError(f"{server.db_type} server exited while starting:\n{log}")
        try:
            server.sql("SELECT 1")
            return
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            if time.monotonic() > deadline:
                log = server.log()
                server.stop()
                raise TimeoutError(
                    f"{server.db_type} not ready after {_START_TIMEOUT}s:\n{log}"
                ) from exc
            time.sleep(0.1)


def _setup(
    folder: Path, command: list[str], run_as: dict[str, Any], what: str
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=folder,
        **run_as,
    )
    if done.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        raise RuntimeError(f"{what} failed ({done.returncode}): {done.stdout}\n{done.stderr}")
    return done


def start_postgres() -> SQLServer:
    """initdb a cluster in a temporary folder and start ``postgres`` on it, with role and
    database ``cgrates`` (password ``CGRateS.org``) ready."""
    bindir = Path(_find(["/usr/lib/postgresql/*/bin/initdb", "initdb"], "postgresql")).parent
    run_as, uid, gid = _run_as("postgres")
    folder = _folder("tollgate-pg-", uid, gid)
    data = folder / "data"
    # the superuser comes in through the socket; TCP logins (the StorDB's) need a password
    pwfile = folder / "superuser.pw"
    pwfile.write_text(secrets.token_hex(16))
    if uid >= 0:
        os.chown(pwfile, uid, gid)
    _setup(
        folder,
        [str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth-local=trust",
         "--auth-host=scram-sha-256", f"--pwfile={pwfile}", "-E", "UTF8", "--locale=C",
         "--no-sync"],
        run_as,
        "initdb",
    )  # fmt: skip
    port = free_port()
    with (folder / "server.log").open("wb") as log:
        proc = subprocess.Popen(
            [str(bindir / "postgres"), "-D", str(data), "-h", "127.0.0.1", "-p", str(port),
             "-k", str(folder), "-c", "fsync=off", "-c", "synchronous_commit=off",
             "-c", "full_page_writes=off", "-c", "max_connections=200"],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=folder,
            **run_as,
        )  # fmt: skip
    psql = [str(bindir / "psql"), "-X", "-q", "-A", "-t", "-h", str(folder), "-p", str(port),
            "-U", "postgres", "-d", "postgres", "-v", "ON_ERROR_STOP=1"]  # fmt: skip
    server = SQLServer("*postgres", port, folder, proc, psql, run_as)
    _wait_ready(server)
    server.sql(f"CREATE ROLE \"{USER}\" LOGIN CREATEDB PASSWORD '{PASSWORD}'")
    server.create_database(DATABASE)
    return server


def start_mariadb() -> SQLServer:
    """mariadb-install-db a data folder and start ``mariadbd`` on it, with user and database
    ``cgrates`` (password ``CGRateS.org``, every privilege) ready."""
    mariadbd = _find(["mariadbd", "/usr/sbin/mariadbd", "mysqld"], "mariadb-server")
    install_db = _find(["mariadb-install-db", "mysql_install_db"], "mariadb-server")
    client = _find(["mariadb", "mysql"], "mariadb-client")
    run_as, uid, gid = _run_as("mysql")
    folder = _folder("tollgate-mariadb-", uid, gid)
    data = folder / "data"
    sock = folder / "mysqld.sock"
    _setup(
        folder,
        [install_db, "--no-defaults", f"--datadir={data}",
         "--auth-root-authentication-method=normal", "--skip-test-db", "--skip-name-resolve"],
        run_as,
        "mariadb-install-db",
    )  # fmt: skip
    port = free_port()
    with (folder / "server.log").open("wb") as log:
        proc = subprocess.Popen(
            [mariadbd, "--no-defaults", f"--datadir={data}", f"--socket={sock}",
             f"--port={port}", "--bind-address=127.0.0.1", "--skip-name-resolve",
             f"--pid-file={folder / 'mysqld.pid'}", "--skip-log-bin",
             "--innodb-flush-log-at-trx-commit=0", "--innodb-doublewrite=0",
             "--innodb-buffer-pool-size=64M", "--max-connections=200"],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=folder,
            **run_as,
        )  # fmt: skip
    mariadb = [client, "--no-defaults", f"--socket={sock}", "-u", "root", "-N", "-B"]
    server = SQLServer("*mysql", port, folder, proc, mariadb, run_as)
    _wait_ready(server)
    server.sql(
        f"CREATE USER '{USER}'@'%' IDENTIFIED BY '{PASSWORD}'; "
        f"GRANT ALL PRIVILEGES ON *.* TO '{USER}'@'%'"
    )
    server.create_database(DATABASE)
    return server
