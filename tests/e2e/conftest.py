from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tollgate.testing.engine import EngineProcess


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[EngineProcess]:
    """A started engine on free ports (default config plus test ports)."""
    proc = EngineProcess.prepare(tmp_path / "engine").start()
    try:
        yield proc
    finally:
        status = proc.stop()
        assert status == 0, proc.log()
