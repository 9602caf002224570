"""A BiJSON peer for tests: talks to the engine's 2014 port as OpenSIPS' ``cgrates`` module
does (PROTOCOLS.md §3): json-c's spaced output with ``\\/`` escapes, no delimiter between
messages, one outstanding request per connection whose reply is the first reply-looking
object (ids are not checked), and answers to the engine's requests in OpenSIPS' key order
(``error, result, id``)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from typing import Any

__all__ = ["BiJsonPeer", "json_c"]

TIMEOUT = 10.0
Handler = Callable[[Any], Any]


def json_c(value: Any) -> str:
    """``json_object_to_json_string`` of json-c (spaced style, forward slashes escaped)."""
    if isinstance(value, dict):
        if not value:
            return "{ }"
        return "{ " + ", ".join(f"{json_c(str(k))}: {json_c(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list | tuple):
        if not value:
            return "[ ]"
        return "[ " + ", ".join(json_c(v) for v in value) + " ]"
    if isinstance(value, str):
        return json.dumps(value).replace("/", "\\/")
    return json.dumps(value)


class BiJsonPeer:
    """One connection to the BiJSON port."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        handlers: dict[str, Handler] | None = None,
    ) -> None:
        self.reader = reader
        self.writer = writer
        self.handlers = handlers or {}
        self.requests: list[dict[str, Any]] = []  # what the engine asked, in order
        self.raw: list[bytes] = []  # every object received, as sent
        self.replies: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.request_seen = asyncio.Event()
        self._next_id = 1638400123
        self._task = asyncio.get_running_loop().create_task(self._read())

    @classmethod
    async def connect(cls, port: int, handlers: dict[str, Handler] | None = None) -> BiJsonPeer:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer, handlers)

    async def send_raw(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def call(self, method: str, params: Any, timeout: float = TIMEOUT) -> dict[str, Any]:
        """Send a request as OpenSIPS builds it and wait for the next reply object."""
        rid = self._next_id
        self._next_id += 65536
        await self.send_raw(json_c({"method": method, "id": rid, "params": [params]}).encode())
        return await self.reply(timeout)

    async def reply(self, timeout: float = TIMEOUT) -> dict[str, Any]:
        return await asyncio.wait_for(self.replies.get(), timeout)

    async def wait_request(self, method: str, timeout: float = TIMEOUT) -> dict[str, Any]:
        """The first request of the engine named ``method`` (waiting for it to arrive)."""

        async def find() -> dict[str, Any]:
            while True:
                for request in self.requests:
                    if request.get("method") == method:
                        return request
                self.request_seen.clear()
                await self.request_seen.wait()

        return await asyncio.wait_for(find(), timeout)

    async def _read(self) -> None:
        decoder = json.JSONDecoder()
        buffer = ""
        while True:
            chunk = await self.reader.read(4096)
            if not chunk:
                return
            buffer += chunk.decode()
            while True:
                stripped = buffer.lstrip()
                if not stripped:
                    buffer = ""
                    break
                try:
                    obj, end = decoder.raw_decode(stripped)
                except json.JSONDecodeError:
                    buffer = stripped
                    break
                self.raw.append(stripped[:end].encode())
                buffer = stripped[end:]
                await self._dispatch(obj)

    async def _dispatch(self, obj: dict[str, Any]) -> None:
        if obj.get("method"):
            self.requests.append(obj)
            self.request_seen.set()
            handler = self.handlers.get(obj["method"])
            if handler is None:
                answer: dict[str, Any] = {"error": "Unknown Method", "result": None}
            else:
                try:
                    result = handler((obj.get("params") or [None])[0])
                    if asyncio.iscoroutine(result):
                        result = await result
                    answer = {"error": None, "result": result}
                except Exception as exc:  # a failing handler answers with its text
                    answer = {"error": str(exc), "result": None}
            if "id" in obj:
                answer["id"] = obj["id"]
            await self.send_raw(json_c(answer).encode())
            return
        if obj.get("result") is not None or obj.get("error") is not None:
            await self.replies.put(obj)

    async def close(self) -> None:
        self._task.cancel()
        self.writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await self.writer.wait_closed()
