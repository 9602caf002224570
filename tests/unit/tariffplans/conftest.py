"""Helpers for tariff-plan tests: write a folder of CSV files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

WritePlan = Callable[[dict[str, str]], Path]


@pytest.fixture
def write_plan(tmp_path: Path) -> WritePlan:
    """Write ``{file name: text}`` into a fresh folder and return it."""
    counter = iter(range(1_000_000))

    def write(files: dict[str, str]) -> Path:
        folder = tmp_path / f"tp{next(counter)}"
        folder.mkdir()
        for name, text in files.items():
            (folder / name).write_text(text, encoding="utf-8")
        return folder

    return write
