"""Blocking JSON-RPC clients, as a plain script or test would use the engine: one call per
connection (:func:`rpc`), or a persistent connection carrying many requests at once
(:class:`RpcConnection`, pipelined as switches and billing scripts do)."""

from __future__ import annotations

import json
import socket
from types import TracebackType
from typing import Any, NamedTuple, Self

__all__ = ["Reply", "RpcConnection", "RpcError", "rpc"]


class RpcError(Exception):
    """The engine answered with an error; ``str()`` is its error string."""


def rpc(port: int, method: str, params: Any = None, *, timeout: float = 10.0) -> Any:
    """One JSON-RPC call on 127.0.0.1:``port`` over a fresh TCP connection."""
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


class Reply(NamedTuple):
    """One answer on an :class:`RpcConnection`: the request's id, its result or error."""

    id: int
    result: Any
    error: str | None


class RpcConnection:
    """A persistent JSON-RPC connection to 127.0.0.1:``port``.

    :meth:`send` writes a request and returns its id without waiting; :meth:`receive`
    reads the next reply, which may answer any request still open (the engine answers in
    completion order). :meth:`call` is send and wait when nothing else is open. A closed
    or reset connection raises ``OSError`` (``ConnectionError``) from either.
    """

    def __init__(self, port: int, *, timeout: float = 30.0) -> None:
        self._sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self._file = self._sock.makefile("rb")
        self._next_id = 0

    def send(self, method: str, params: Any = None) -> int:
        self._next_id += 1
        request = {"method": method, "params": [{} if params is None else params],
                   "id": self._next_id}  # fmt: skip
        self._sock.sendall(json.dumps(request).encode() + b"\n")
        return self._next_id

    def receive(self) -> Reply:
        line = self._file.readline()
        if not line.endswith(b"\n"):
            raise ConnectionError("engine closed the connection")
        reply = json.loads(line)
        return Reply(int(reply["id"]), reply["result"], reply["error"])

    def call(self, method: str, params: Any = None) -> Any:
        """One request and its reply; only when no other request is open."""
        sent = self.send(method, params)
        reply = self.receive()
        if reply.id != sent:
            raise RpcError(f"reply to request {reply.id} while waiting for {sent}")
        if reply.error is not None:
            raise RpcError(reply.error)
        return reply.result

    def close(self) -> None:
        self._file.close()
        self._sock.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
