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


@pytest.fixture(scope="module")
def failed_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A module's ``general.failed_posts_dir`` (the exporter tests)."""
    return tmp_path_factory.mktemp("failed_posts")
