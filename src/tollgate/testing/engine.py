"""Run ``tollgate engine`` as a subprocess on free ports: for e2e tests and benchmarks."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["EngineProcess", "free_port", "merge_sections", "running_engine", "wait_for_port"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(
    port: int, *, timeout: float = 20.0, proc: subprocess.Popen[bytes] | None = None
) -> None:
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"engine exited with status {proc.returncode} before listening")
        if time.monotonic() > deadline:
            raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")
        time.sleep(0.05)


def merge_sections(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: dict(v) if isinstance(v, dict) else v for k, v in base.items()}
    for section, values in extra.items():
        if isinstance(values, dict) and isinstance(out.get(section), dict):
            out[section].update(values)
        else:
            out[section] = values
    return out


@dataclass
class EngineProcess:
    """One engine subprocess with its own config file, data folder and ports."""

    workdir: Path
    config: dict[str, Any] = field(default_factory=dict)
    proc: subprocess.Popen[bytes] | None = None
    ports: dict[str, int] = field(default_factory=dict)

    @classmethod
    def prepare(cls, workdir: Path, extra: Mapping[str, Any] | None = None) -> EngineProcess:
        ports = {"rpc_json": free_port(), "http": free_port(), "bijson": free_port()}
        config: dict[str, Any] = {
            "general": {"log_level": 7},
            "listen": {
                "rpc_json": f"127.0.0.1:{ports['rpc_json']}",
                "rpc_gob": "",
                "http": f"127.0.0.1:{ports['http']}",
                "rpc_json_tls": "",
                "rpc_gob_tls": "",
                "http_tls": "",
            },
            "sessions": {"listen_bijson": f"127.0.0.1:{ports['bijson']}"},
            # *localhost is the engine itself (127.0.0.1:2012 in CGRateS, its default
            # rpc_json): here that is the free port the engine listens on
            "rpc_conns": {
                "*localhost": {
                    "conns": [{"address": f"127.0.0.1:{ports['rpc_json']}", "transport": "*json"}]
                }
            },
        }
        engine = cls(workdir=workdir, config=merge_sections(config, extra or {}), ports=ports)
        engine.write_config()
        return engine

    @property
    def config_path(self) -> Path:
        return self.workdir / "tollgate.json"

    @property
    def data_dir(self) -> Path:
        return self.workdir / "data"

    @property
    def log_path(self) -> Path:
        return self.workdir / "engine.log"

    def write_config(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(json.dumps(self.config, indent=1))

    def command(self, *extra: str) -> list[str]:
        return [
            sys.executable,
            "-m",
            "tollgate",
            "engine",
            "-config_path",
            str(self.config_path),
            "-data_dir",
            str(self.data_dir),
            "-logger",
            "*stdout",
            *extra,
        ]

    def start(self, *extra: str, wait: bool = True) -> EngineProcess:
        env = dict(os.environ)
        src = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            self.command(*extra), stdout=log, stderr=subprocess.STDOUT, env=env
        )
        log.close()
        if wait:
            wait_for_port(self.ports["rpc_json"], proc=self.proc)
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def signal(self, sig: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    def stop(self, timeout: float = 15.0) -> int:
        """SIGTERM and wait; the exit status."""
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self) -> EngineProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.kill()


@contextlib.contextmanager
def running_engine(
    workdir: Path, extra: Mapping[str, Any] | None = None
) -> Iterator[EngineProcess]:
    engine = EngineProcess.prepare(workdir, extra).start()
    try:
        yield engine
    finally:
        engine.kill()
