"""The wire: JSON-RPC codec, method table, listeners, clients and connection pools."""

from __future__ import annotations

from tollgate.rpc.client import RpcClient
from tollgate.rpc.codec import FrameError, FrameSplitter, RemoteError
from tollgate.rpc.dispatch import Dispatcher, Limiter
from tollgate.rpc.pool import ConnManager, InternalConn, RpcPool, UnknownConnError
from tollgate.rpc.router import ArgsError, MethodNotFoundError, Router

__all__ = [
    "ArgsError",
    "ConnManager",
    "Dispatcher",
    "FrameError",
    "FrameSplitter",
    "InternalConn",
    "Limiter",
    "MethodNotFoundError",
    "RemoteError",
    "Router",
    "RpcClient",
    "RpcPool",
    "UnknownConnError",
]
