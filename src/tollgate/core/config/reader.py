"""The CGRateS JSON dialect: comments, trailing commas and ``*env:NAME`` values.

CGRateS reads its configuration through a filtering reader (``config/rjreader.go``) that
drops ``//`` and ``/* */`` comments outside strings, drops a comma that only precedes ``}`` or
``]``, and replaces ``*env:NAME`` anywhere in the text (inside a string or bare, so
``"db_port": *env:PORT`` gives a number) with the variable's value. :func:`clean_json` does
the same in one pass; the text keeps its line breaks so decode errors point at the right line.
Inside a string the value is JSON-escaped, so a quote or backslash in it cannot break the file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import msgspec

from tollgate.core.config.errors import ConfigError

__all__ = ["clean_json", "decode_json", "line_col"]

_ENV_META = "*env:"
_ENV_NAME = re.compile(r"[A-Za-z0-9_]*")
_BYTE_POS = re.compile(r"\(byte (\d+)\)")


def line_col(text: str, index: int) -> tuple[int, int]:
    """1-based line and column of character ``index`` in ``text``."""
    line = text.count("\n", 0, index) + 1
    col = index - (text.rfind("\n", 0, index) + 1) + 1
    return line, col


def _env_value(text: str, pos: int, env: Mapping[str, str], source: str) -> tuple[str, int]:
    """Read the variable named at ``pos`` (just after ``*env:``); return its value and end."""
    match = _ENV_NAME.match(text, pos)
    end = match.end() if match else pos
    name = text[pos:end]
    if not name:
        line, col = line_col(text, pos)
        raise ConfigError(f"{source}:{line}:{col}: *env: without a variable name")
    if name not in env:
        line, col = line_col(text, pos)
        raise ConfigError(
            f"{source}:{line}:{col}: environment variable {name} is not set (*env:{name})"
        )
    return env[name], end


def clean_json(text: str, *, env: Mapping[str, str], source: str = "<config>") -> str:
    """Strip comments and trailing commas and substitute ``*env:`` values; plain JSON out.

    Comments become spaces (their line breaks kept), so positions in the result match the
    input line by line. An unterminated block comment is an error naming its start.
    """
    out: list[str] = []
    last_sig = -1  # index in ``out`` of the last significant (non-blank) character
    i, n = 0, len(text)
    in_string = False
    while i < n:
        ch = text[i]
        if in_string:
            if ch == "\\" and i + 1 < n:
                out.append(text[i : i + 2])
                i += 2
                continue
            if ch == "*" and text.startswith(_ENV_META, i):
                value, i = _env_value(text, i + len(_ENV_META), env, source)
                out.append(json.dumps(value)[1:-1])
                continue
            if ch == '"':
                in_string = False
            out.append(ch)
            i += 1
            continue
        if ch == "/" and i + 1 < n and text[i + 1] == "/":
            end = text.find("\n", i)
            end = n if end < 0 else end
            out.append(" " * (end - i))
            i = end
            continue
        if ch == "/" and i + 1 < n and text[i + 1] == "*":
            end = text.find("*/", i + 2)
            if end < 0:
                line, col = line_col(text, i)
                raise ConfigError(f"{source}:{line}:{col}: unterminated /* comment")
            out.extend(c if c == "\n" else " " for c in text[i : end + 2])
            i = end + 2
            continue
        if ch == "*" and text.startswith(_ENV_META, i):
            value, i = _env_value(text, i + len(_ENV_META), env, source)
            out.append(value)
            last_sig = len(out) - 1
            continue
        if ch in "}]" and last_sig >= 0 and out[last_sig] == ",":
            out[last_sig] = " "
        if ch == '"':
            in_string = True
        out.append(ch)
        if not ch.isspace():
            last_sig = len(out) - 1
        i += 1
    return "".join(out)


def decode_json(text: str, *, env: Mapping[str, str], source: str = "<config>") -> dict[str, Any]:
    """Decode one CGRateS JSON document; the top level must be an object.

    A syntax error names the source, line and column.
    """
    clean = clean_json(text, env=env, source=source)
    if not clean.strip():
        return {}
    raw = clean.encode()
    try:
        data = msgspec.json.decode(raw)
    except msgspec.DecodeError as exc:
        msg = str(exc)
        match = _BYTE_POS.search(msg)
        where = ""
        if match:
            index = len(raw[: int(match.group(1))].decode(errors="replace"))
            line, col = line_col(clean, index)
            where = f"{line}:{col}:"
        reason = _BYTE_POS.sub("", msg).removeprefix("JSON is malformed:").strip()
        raise ConfigError(f"{source}:{where} invalid JSON: {reason}") from exc
    if not isinstance(data, dict):
        raise ConfigError(
            f"{source}: expected a JSON object at the top level, found {type(data).__name__}"
        )
    return data
