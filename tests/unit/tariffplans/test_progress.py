from __future__ import annotations

from pathlib import Path

from tollgate.tariffplans import read_folder

TUTORIAL = Path(__file__).resolve().parents[3] / "data" / "tariffplans" / "tutorial"


def test_progress_is_reported_once_per_file_present() -> None:
    seen: list[tuple[str, int, int]] = []
    read_folder(TUTORIAL, progress=lambda name, done, total: seen.append((name, done, total)))
    present = sorted(p.name for p in TUTORIAL.glob("*.csv"))
    assert sorted(name for name, _, _ in seen) == present
    assert [done for _, done, _ in seen] == list(range(len(present)))
    assert {total for _, _, total in seen} == {len(present)}
