"""A small SMTP server for tests: it accepts every message and keeps it.

Enough of RFC 5321 for a mail client (``EHLO``/``HELO``, ``MAIL``, ``RCPT``, ``DATA`` with
dot-unstuffing, ``RSET``, ``NOOP``, ``QUIT``) plus ``AUTH PLAIN`` when ``credentials`` are
given. It runs in a thread of its own, so synchronous tests can use it beside an engine
subprocess::

    with SmtpServer() as smtp:
        ...  # point the engine's mailer at f"127.0.0.1:{smtp.port}"
        [mail] = smtp.wait_for(1)
"""

from __future__ import annotations

import asyncio
import base64
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from types import TracebackType

__all__ = ["Mail", "SmtpServer"]


@dataclass
class Mail:
    """One accepted message: envelope, the raw data (CRLF lines), and who logged in."""

    sender: str
    recipients: list[str]
    data: bytes
    user: str = ""
    extra: dict[str, str] = field(default_factory=dict)


class SmtpServer:
    """Listens on 127.0.0.1 (a free port unless given); ``mails`` fills as messages arrive."""

    def __init__(self, port: int = 0, credentials: tuple[str, str] | None = None) -> None:
        self.port = port
        self.credentials = credentials
        self.mails: list[Mail] = []
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self._lock = threading.Lock()

    def __enter__(self) -> SmtpServer:
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(self._start(), self._loop)
        future.result(timeout=10)
        return self

    def __exit__(
        self, typ: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    def wait_for(self, count: int, timeout: float = 20.0) -> list[Mail]:
        """The first ``count`` mails, waiting up to ``timeout`` seconds for them."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.mails) >= count:
                    return list(self.mails[:count])
            time.sleep(0.05)
        raise TimeoutError(f"{count} mail(s) expected, {len(self.mails)} arrived")

    async def _start(self) -> None:
        self._server = await asyncio.start_server(self._session, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        async def reply(text: str) -> None:
            writer.write(text.encode() + b"\r\n")
            await writer.drain()

        sender, user = "", ""
        recipients: list[str] = []
        await reply("220 tollgate-test ESMTP")
        try:
            while line := await reader.readline():
                command = line.decode().rstrip("\r\n")
                verb = command[:4].upper()
                if verb == "EHLO":
                    extensions = ["250-tollgate-test", "250-8BITMIME"]
                    if self.credentials:
                        extensions.append("250-AUTH PLAIN")
                    await reply("\r\n".join([*extensions, "250 SMTPUTF8"]))
                elif verb == "HELO":
                    await reply("250 tollgate-test")
                elif verb == "AUTH":
                    user = await self._auth(command, reply)
                elif verb == "MAIL":
                    sender, recipients = _address(command), []
                    await reply("250 OK")
                elif verb == "RCPT":
                    recipients.append(_address(command))
                    await reply("250 OK")
                elif verb == "DATA":
                    await reply("354 End data with <CR><LF>.<CR><LF>")
                    data = await _read_data(reader)
                    with self._lock:
                        self.mails.append(Mail(sender, list(recipients), data, user))
                    await reply("250 OK: queued")
                elif verb == "RSET":
                    sender, recipients = "", []
                    await reply("250 OK")
                elif verb == "NOOP":
                    await reply("250 OK")
                elif verb == "QUIT":
                    await reply("221 Bye")
                    break
                else:
                    await reply("502 Command not implemented")
        finally:
            writer.close()

    async def _auth(self, command: str, reply: Callable[[str], Awaitable[None]]) -> str:
        parts = command.split()
        if not self.credentials or len(parts) < 2 or parts[1].upper() != "PLAIN":
            await reply("504 Unrecognized authentication type")
            return ""
        token = parts[2] if len(parts) > 2 else ""
        try:
            _, user, password = base64.b64decode(token).decode().split("\0")
        except ValueError:
            await reply("501 Malformed AUTH input")
            return ""
        if (user, password) != self.credentials:
            await reply("535 Authentication failed")
            return ""
        await reply("235 Authentication successful")
        return user


def _address(command: str) -> str:
    start, end = command.find("<"), command.rfind(">")
    return command[start + 1 : end] if 0 <= start < end else command.split(":", 1)[-1].strip()


async def _read_data(reader: asyncio.StreamReader) -> bytes:
    lines = []
    while True:
        line = await reader.readline()
        if not line or line in (b".\r\n", b".\n"):
            break
        lines.append(line[1:] if line.startswith(b"..") else line)
    return b"".join(lines)
