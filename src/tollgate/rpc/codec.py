"""The JSON-RPC codec Go's ``net/rpc/jsonrpc`` speaks, as CGRateS serves it.

Framing is a stream of JSON values with no delimiter: requests may be split across reads,
several may share one read, whitespace between them is allowed (PROTOCOLS.md §1.1, §3.2).
A value that is not an object, or is not JSON, is a :class:`FrameError` and the transport
closes the connection without replying.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec

from tollgate.core.errors import TollgateError
from tollgate.core.wire import decode_any, go_number

__all__ = [
    "NULL",
    "FrameError",
    "FrameSplitter",
    "Message",
    "RemoteError",
    "decode_message",
    "encode_error",
    "encode_request",
    "encode_result",
    "raw_or_none",
]

NULL = msgspec.Raw(b"null")
_MISSING = msgspec.Raw(b"")


class RemoteError(TollgateError):
    """The peer answered our request with an error string; ``str()`` is that string."""


class FrameError(Exception):
    """The peer sent something that is not a JSON object: the connection must close.

    ``messages`` holds the complete requests decoded before the bad bytes; like Go's
    server they are still answered before the connection closes.
    """

    def __init__(self, text: str, messages: list[Message] | None = None) -> None:
        super().__init__(text)
        self.messages: list[Message] = messages or []


class Message(msgspec.Struct):
    """One decoded frame: a request (``method`` set) or a response (``result``/``error``).

    ``params``, ``id`` and ``result`` stay raw: ``id`` is echoed byte for byte and ``params``
    is decoded later by the method's own typed decoder.
    """

    method: str | None = None
    params: msgspec.Raw = _MISSING
    id: msgspec.Raw = _MISSING
    result: msgspec.Raw = _MISSING
    error: msgspec.Raw = _MISSING

    @property
    def has_id(self) -> bool:
        raw = self.id
        return bool(raw) and raw != NULL


_message_decoder = msgspec.json.Decoder(Message, float_hook=go_number)

# Tokens that matter for finding where a top-level value ends: whole strings (an unrolled
# loop so long strings cost one regex step), brackets, and a lone quote = unterminated string.
_TOKENS = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[{}\[\]"]', re.DOTALL)
# the body of a string up to its closing quote, stopping before a lone trailing backslash
_STRING_BODY = re.compile(rb"[^\"\\]*(?:\\.[^\"\\]*)*", re.DOTALL)
_WS = b" \t\r\n"


class FrameSplitter:
    """Cuts a byte stream into decoded top-level JSON objects.

    Fast path: a frame that ends at a newline (Go, Python and most clients write one) is
    decoded straight away; a raw newline cannot occur inside a JSON string, so a line that
    decodes is exactly one object. Otherwise a bracket scanner finds the end; its state is
    kept across reads, so a large frame arriving in many pieces is scanned once.
    """

    __slots__ = ("_buf", "_depth", "_in_string", "_scan_pos", "_scanning")

    def __init__(self) -> None:
        self._buf = b""
        self._depth = 0
        self._in_string = False
        self._scan_pos = 0
        self._scanning = False

    @property
    def pending(self) -> int:
        """Bytes buffered for an incomplete frame."""
        return len(self._buf)

    def feed(self, data: bytes) -> list[Message]:
        buf = self._buf + data if self._buf else data
        messages: list[Message] = []
        pos = 0
        size = len(buf)
        decode = _message_decoder.decode
        while True:
            while pos < size and buf[pos] in _WS:
                pos += 1
            if pos >= size:
                self._buf = b""
                self._scanning = False
                return messages
            if buf[pos] != 0x7B:  # "{"
                raise FrameError(f"expected a JSON object, got {buf[pos : pos + 16]!r}", messages)
            if not self._scanning:
                nl = buf.find(b"\n", pos)
                if nl != -1:
                    try:
                        messages.append(decode(buf[pos:nl]))
                    except (msgspec.DecodeError, msgspec.ValidationError):
                        pass  # several objects on one line, or one spread over lines
                    else:
                        pos = nl + 1
                        continue
                self._scanning = True
                self._in_string = False
                self._depth = 0
                self._scan_pos = pos
            try:
                end = self._scan(buf)
            except FrameError as exc:
                exc.messages = messages
                raise
            if end < 0:
                self._scan_pos -= pos
                self._buf = buf[pos:]
                return messages
            self._scanning = False
            try:
                messages.append(decode_message(buf[pos:end]))
            except FrameError as exc:
                exc.messages = messages
                raise
            pos = end

    def _scan(self, buf: bytes) -> int:
        """End offset of the object being scanned, or -1 when more bytes are needed."""
        depth = self._depth
        start = self._scan_pos
        if self._in_string:
            start = self._string_end(buf, start)
            if start < 0:
                return -1
        for match in _TOKENS.finditer(buf, start):
            tok = match.group()
            first = tok[0]
            if first == 0x22:  # '"'
                if len(tok) == 1:  # a string still arriving: skip its body read so far
                    self._depth = depth
                    self._in_string = True
                    self._string_end(buf, match.end())  # it has no end yet: skip what came
                    return -1
                continue
            if first in (0x7B, 0x5B):  # { [
                depth += 1
            else:
                depth -= 1
                if depth <= 0:
                    if depth < 0:
                        raise FrameError("unbalanced brackets")
                    return match.end()
        self._depth = depth
        self._scan_pos = len(buf)
        return -1

    def _string_end(self, buf: bytes, pos: int) -> int:
        """Inside a string from ``pos``: the offset after its closing quote, or -1.

        On -1 the scan resumes where the body stopped (a lone trailing backslash is read
        again with the next bytes), so a long string arriving in many reads is scanned once.
        """
        body = _STRING_BODY.match(buf, pos)  # always matches, possibly empty
        end = body.end() if body is not None else pos
        if end < len(buf) and buf[end] == 0x22:
            self._in_string = False
            self._scan_pos = end + 1
            return end + 1
        self._scan_pos = end
        return -1


def decode_message(frame: bytes) -> Message:
    """Decode one frame; a frame that is not a JSON object raises :class:`FrameError`."""
    try:
        return _message_decoder.decode(frame)
    except msgspec.DecodeError as exc:
        raise FrameError(str(exc)) from exc
    except msgspec.ValidationError as exc:
        # e.g. "method" is not a string: Go's decoder fails the whole request too
        raise FrameError(str(exc)) from exc


def _raw_id(raw: msgspec.Raw) -> bytes:
    if not raw:
        return b"null"
    data = bytes(raw)
    # Go keeps the id as json.RawMessage and compacts insignificant whitespace
    if any(c in data for c in b" \t\r\n"):
        data = _compact(data)
    return data


def _compact(data: bytes) -> bytes:
    out = bytearray()
    last = 0
    for match in re.finditer(rb'"[^"\\]*(?:\\.[^"\\]*)*"', data):
        out += re.sub(rb"\s+", b"", data[last : match.start()])
        out += match.group()
        last = match.end()
    out += re.sub(rb"\s+", b"", data[last:])
    return bytes(out)


def encode_result(request_id: msgspec.Raw, result_json: bytes) -> bytes:
    """``{"id":..,"result":..,"error":null}\\n`` with the id echoed verbatim."""
    return b'{"id":' + _raw_id(request_id) + b',"result":' + result_json + b',"error":null}\n'


def encode_error(request_id: msgspec.Raw, text: str) -> bytes:
    """``{"id":..,"result":null,"error":"<text>"}\\n``."""
    return (
        b'{"id":'
        + _raw_id(request_id)
        + b',"result":null,"error":'
        + msgspec.json.encode(text)
        + b"}\n"
    )


def encode_request(method: str, params_json: bytes, request_id: int | None) -> bytes:
    """A request as the engine sends it (to BiJSON clients or to other engines)."""
    rid = b"null" if request_id is None else str(request_id).encode()
    return (
        b'{"method":'
        + msgspec.json.encode(method)
        + b',"params":['
        + params_json
        + b'],"id":'
        + rid
        + b"}\n"
    )


def raw_or_none(raw: msgspec.Raw) -> Any:
    """Helper for responses: the raw JSON value decoded, or None when absent/null."""
    if not raw or raw == NULL:
        return None
    return decode_any(raw)
