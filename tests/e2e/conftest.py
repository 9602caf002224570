from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tollgate.testing.engine import EngineProcess


class RpcError(Exception):
    pass


def rpc(port: int, method: str, params: Any = None, *, timeout: float = 10.0) -> Any:
    """One JSON-RPC call over a fresh TCP connection, as a plain client would make it."""
    request = {"method": method, "params": [{} if params is None else params], "id": 1}
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(json.dumps(request).encode() + b"\n")
        data = b""
        while not data.endswith(b"\n"):
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError("engine closed the connection")
            data += chunk
    reply = json.loads(data)
    if reply["error"] is not None:
        raise RpcError(reply["error"])
    return reply["result"]


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[EngineProcess]:
    """A started engine on free ports (default config plus test ports)."""
    proc = EngineProcess.prepare(tmp_path / "engine").start()
    try:
        yield proc
    finally:
        status = proc.stop()
        assert status == 0, proc.log()
