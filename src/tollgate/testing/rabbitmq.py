"""A throw-away RabbitMQ broker on loopback, for tests of the AMQP exporters.

The broker (Debian's ``rabbitmq-server``) gets its own node name, ports, database and logs
in a temporary folder, so it never meets a system broker; :meth:`RabbitMQ.stop` stops it
and removes the folder. The ``guest``/``guest`` account works over loopback, as in a fresh
install. A missing binary raises :class:`ServerMissing` saying which package to install.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tollgate.testing.engine import free_port
from tollgate.testing.sqlservers import ServerMissing

__all__ = ["RabbitMQ", "start_rabbitmq"]

_SERVER = "/usr/lib/rabbitmq/bin/rabbitmq-server"
_START_TIMEOUT = 90.0
# protocol header of AMQP 0-9-1; a ready broker answers with a Connection.Start method frame
_AMQP_HEADER = b"AMQP\x00\x00\x09\x01"


@dataclass
class RabbitMQ:
    """A running broker."""

    port: int
    folder: Path
    proc: subprocess.Popen[bytes]
    env: dict[str, str]

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/"

    def ctl(self, *args: str) -> str:
        """Run ``rabbitmqctl`` against this broker (``add_vhost x``, ``list_queues``...)."""
        done = subprocess.run(
            ["/usr/lib/rabbitmq/bin/rabbitmqctl", "-n", self.env["RABBITMQ_NODENAME"], *args],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            cwd=self.folder,
            env=self.env,
        )
        if done.returncode != 0:
            raise RuntimeError(f"rabbitmqctl {args}: {done.stdout}{done.stderr}")
        return done.stdout

    def log(self) -> str:
        path = self.folder / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        shutil.rmtree(self.folder, ignore_errors=True)


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(_AMQP_HEADER)
            return sock.recv(1)[:1] == b"\x01"
    except OSError:
        return False


def start_rabbitmq() -> RabbitMQ:
    """Start a broker in a temporary folder; returns once it speaks AMQP."""
    if not os.path.exists(_SERVER):
        raise ServerMissing(
            "rabbitmq-server not found: install it with `apt-get install -y rabbitmq-server` "
            "(Debian/Ubuntu); .ci/run does this in CI"
        )
    folder = Path(tempfile.mkdtemp(prefix="tollgate-rabbitmq-"))
    port, dist_port = free_port(), free_port()
    (folder / "enabled_plugins").write_text("[].\n")
    (folder / "rabbitmq.conf").write_text("loopback_users.guest = true\n")
    env = {
        **os.environ,
        "HOME": str(folder),
        "RABBITMQ_BASE": str(folder),
        "RABBITMQ_MNESIA_BASE": str(folder / "mnesia"),
        "RABBITMQ_LOG_BASE": str(folder / "log"),
        "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
        "RABBITMQ_NODE_PORT": str(port),
        "RABBITMQ_DIST_PORT": str(dist_port),
        "RABBITMQ_NODENAME": f"tollgate{port}@localhost",
        "RABBITMQ_CONFIG_FILE": str(folder / "rabbitmq"),
        "RABBITMQ_ENABLED_PLUGINS_FILE": str(folder / "enabled_plugins"),
        "RABBITMQ_PID_FILE": str(folder / "rabbitmq.pid"),
    }
    with (folder / "server.log").open("wb") as log:
        proc = subprocess.Popen(
            [_SERVER],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=folder,
            env=env,
            start_new_session=True,
        )
    broker = RabbitMQ(port, folder, proc, env)
    deadline = time.monotonic() + _START_TIMEOUT
    while not _answers(port):
        if proc.poll() is not None or time.monotonic() > deadline:
            log_text = broker.log()
            broker.stop()
            raise RuntimeError(f"RabbitMQ did not start:\n{log_text}")
        time.sleep(0.2)
    return broker
