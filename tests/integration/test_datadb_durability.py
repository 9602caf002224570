"""``*internal`` DataDB with ``fsync="always"``: nothing acknowledged is lost to ``kill -9``.

A child process writes keys concurrently (group commit, snapshots every 300 records) and
prints each key only after its ``await set(...)`` returned. The parent kills it with
SIGKILL mid-stream, reopens the folder, and finds every printed key with its value.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

from tollgate.storage.datadb import InternalDataDB

SRC = Path(__file__).resolve().parents[2] / "src"
ACKED_BEFORE_KILL = 1500
CHILD = """
import asyncio, os, sys
from tollgate.storage.datadb import InternalDataDB

async def main(data_dir):
    db = InternalDataDB(data_dir, fsync="always", snapshot_records=300)
    await db.open()

    async def one(i):
        key = f"k{i:07d}"
        await db.set("*accounts", key, b"value-%d" % i)
        os.write(1, f"{key}\\n".encode())  # one short write to a pipe is atomic

    i = 0
    while True:
        await asyncio.gather(*(one(i + j) for j in range(25)))
        i += 25

asyncio.run(main(sys.argv[1]))
"""


def test_acknowledged_writes_survive_sigkill(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
    }
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    watchdog = threading.Timer(10.0, child.kill)  # never hang the suite
    watchdog.start()
    try:
        assert child.stdout is not None
        acked: list[str] = []
        while len(acked) < ACKED_BEFORE_KILL:
            line = child.stdout.readline()
            if not line:
                break
            acked.append(line.decode().strip())
        assert len(acked) >= ACKED_BEFORE_KILL, child.stderr.read().decode()  # type: ignore[union-attr]
        os.kill(child.pid, signal.SIGKILL)
        rest, _ = child.communicate(timeout=5)
    finally:
        watchdog.cancel()
    assert child.returncode == -signal.SIGKILL
    acked += [line for line in rest.decode().split("\n") if line]  # also printed after an ack

    async def check() -> None:
        db = InternalDataDB(tmp_path)
        await db.open()
        try:
            values = await db.get_many("*accounts", acked)
            missing = [key for key, value in zip(acked, values, strict=True) if value is None]
            assert missing == [], f"{len(missing)} acknowledged keys lost"
            for key, value in zip(acked, values, strict=True):
                assert value == b"value-%d" % int(key[1:])
        finally:
            await db.close()

    asyncio.run(check())
