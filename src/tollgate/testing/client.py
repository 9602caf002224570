"""A blocking one-call JSON-RPC client, as a plain script or test would use the engine."""

from __future__ import annotations

import json
import socket
from typing import Any

__all__ = ["RpcError", "rpc"]


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
