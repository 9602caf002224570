"""Reading one tariff-plan CSV file into checked rows.

Every problem is reported as ``<File>.csv:<line>:<column>: <what is wrong>`` (1-based) and
collected in a :class:`Problems`; reading goes on so that one pass shows them all.
Rules (CGRateS v0.10 cgr-loader): rows whose first cell starts with ``#`` and blank rows
are skipped, missing trailing cells read as empty, ``;`` separates list items, empty
numbers are 0, empty booleans false, durations are Go durations or nanoseconds.
"""

from __future__ import annotations

import csv
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from tollgate.core.durations import parse_duration

__all__ = ["Problems", "Row", "is_decimal", "is_time", "read_rows", "split_items"]

logger = logging.getLogger(__name__)

_DECIMAL = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_INTEGER = re.compile(r"[+-]?\d+")
# Go strconv.ParseBool
_TRUE = frozenset({"1", "t", "T", "true", "TRUE", "True"})
_FALSE = frozenset({"0", "f", "F", "false", "FALSE", "False"})
# What utils.ParseTimeDetectLayout accepts, loosely: RFC 3339 (zone optional, 'T' or
# space), a date, unix seconds, a relative "+<duration>", or a *meta (*asap, *now, ...).
_TIME = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?"
    r"(?:Z|[+-]\d{2}:?\d{2}| ?[A-Z]{3,5})?)?"
)
_UNIX = re.compile(r"\d{9,}")


def split_items(text: str) -> list[str]:
    """A ``;``-separated cell as a list; empty cell → ``[]``; blank items dropped."""
    return [item.strip() for item in text.split(";") if item.strip()]


def is_decimal(text: str) -> bool:
    """True for a number Go's ParseFloat reads (no NaN/Inf spellings)."""
    return _DECIMAL.fullmatch(text) is not None


def is_time(text: str) -> bool:
    """True for a time cell CGRateS can parse (see ``_TIME``); empty is the zero time."""
    if not text or text.startswith("*") or _TIME.fullmatch(text) or _UNIX.fullmatch(text):
        return True
    if text.startswith("+"):
        try:
            parse_duration(text[1:])
        except ValueError:
            return False
        return True
    return False


@dataclass(slots=True)
class Problems:
    """Errors refuse the whole folder; warnings are reported and tolerated."""

    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class Row:
    """One data row of a file with typed, checked accessors by column name."""

    __slots__ = ("_cells", "_columns", "_problems", "file", "line")

    def __init__(
        self,
        file: str,
        line: int,
        cells: list[str],
        columns: dict[str, int],
        problems: Problems,
    ) -> None:
        self.file = file
        self.line = line
        self._cells = cells
        self._columns = columns
        self._problems = problems

    def where(self, column: str | None = None) -> str:
        """``File.csv:line:col`` of a column (``File.csv:line`` without one)."""
        if column is None:
            return f"{self.file}:{self.line}"
        return f"{self.file}:{self.line}:{self._columns[column] + 1}"

    def error(self, column: str, message: str) -> None:
        self._problems.errors.append(f"{self.where(column)}: {message}")

    def warning(self, column: str, message: str) -> None:
        self._problems.warnings.append(f"{self.where(column)}: {message}")

    def text(self, column: str) -> str:
        return self._cells[self._columns[column]]

    def required(self, column: str) -> str:
        value = self.text(column)
        if not value:
            self.error(column, f"missing {column}")
        return value

    def items(self, column: str) -> list[str]:
        return split_items(self.text(column))

    def decimal(self, column: str) -> Decimal:
        value = self.text(column)
        if not value:
            return Decimal(0)
        if _DECIMAL.fullmatch(value):
            try:
                return Decimal(value)
            except InvalidOperation:  # pragma: no cover - the pattern rules it out
                pass
        self.error(column, f'{column}: expected a number, found "{value}"')
        return Decimal(0)

    def integer(self, column: str) -> int:
        value = self.text(column)
        if not value:
            return 0
        if _INTEGER.fullmatch(value):
            return int(value)
        self.error(column, f'{column}: expected an integer, found "{value}"')
        return 0

    def boolean(self, column: str) -> bool:
        value = self.text(column)
        if not value or value in _FALSE:
            return False
        if value in _TRUE:
            return True
        self.error(column, f'{column}: expected true or false, found "{value}"')
        return False

    def bool_text(self, column: str) -> str:
        """A boolean CGRateS keeps as a string (empty = not set); checked, kept as written."""
        value = self.text(column)
        if value and value != "*any" and value not in _TRUE | _FALSE:
            self.error(column, f'{column}: expected true or false, found "{value}"')
        return value

    def decimal_text(self, column: str) -> str:
        """A number CGRateS keeps as a string (empty = not set); checked, kept as written."""
        value = self.text(column)
        if value and value != "*any" and not _DECIMAL.fullmatch(value):
            self.error(column, f'{column}: expected a number, found "{value}"')
        return value

    def duration(self, column: str, *, positive: bool = False) -> str:
        """A Go duration or nanoseconds, validated and kept as written."""
        value = self.text(column)
        try:
            ns = parse_duration(value)
        except ValueError:
            self.error(column, f'bad duration "{value}" for {column}')
            return value
        if positive and ns <= 0:
            self.error(column, f'{column}: must be greater than zero, found "{value}"')
        return value

    def time(self, column: str, value: str | None = None) -> str:
        """An RFC 3339 time, ``*asap``-style meta or empty, validated and kept as written."""
        text = self.text(column) if value is None else value
        if not is_time(text):
            self.error(column, f'bad time "{text}" for {column}')
        return text


def read_rows(
    path: Path,
    columns: tuple[str, ...],
    problems: Problems,
    *,
    field_separator: str = ",",
) -> Iterator[Row]:
    """Yield the data rows of one file, padded to ``len(columns)`` cells, stripped.

    A row with more non-empty cells than the file has columns is an error and skipped.
    """
    name = path.name
    index = {col: i for i, col in enumerate(columns)}
    width = len(columns)
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle, delimiter=field_separator, strict=True)
        while True:
            line = reader.line_num + 1
            try:
                raw = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                problems.errors.append(f"{name}:{line}:1: bad CSV: {exc}")
                return
            cells = [cell.strip() for cell in raw]
            if not any(cells) or cells[0].startswith("#"):
                continue
            if len(cells) > width:
                extra = cells[width:]
                if any(extra):
                    problems.errors.append(
                        f"{name}:{line}:{width + 1}: wrong column count: "
                        f"expected {width}, found {len(cells)}"
                    )
                    continue
                cells = cells[:width]
            elif len(cells) < width:
                cells.extend([""] * (width - len(cells)))
            yield Row(name, line, cells, index, problems)
