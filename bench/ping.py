"""Load generator: N TCP connections of pipelined JSON-RPC calls against an engine.

    python bench/ping.py --spawn                # start a throw-away engine and measure it
    python bench/ping.py --address 127.0.0.1:2012 --conns 8 --pipeline 64 --duration 10

Prints requests/s and p50/p99 latency (time from write to reply, per request). With
``--spawn`` it starts ``tollgate engine`` on free ports with a temporary data folder, so
the figure is the engine's alone (the generator runs in this process, on the other core).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import cast

try:
    import uvloop
except ImportError:  # pragma: no cover
    uvloop = None


class _Conn(asyncio.Protocol):
    """One pipelined connection: keeps ``window`` requests in flight until told to stop."""

    def __init__(self, payloads: list[bytes], window: int, stats: Stats) -> None:
        # each payload is a request with "@ID@" where its id goes; sent round robin
        self.parts = [p.split(b"@ID@") for p in payloads]
        self.window = window
        self.stats = stats
        self.sent: dict[int, int] = {}
        self.next_id = 0
        self.buf = b""
        self.transport: asyncio.Transport | None = None
        self.done = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses: cast, don't check
        self.transport = cast(asyncio.Transport, transport)
        self._send(self.window)

    def _send(self, count: int) -> None:
        if self.stats.stopping or self.transport is None:
            return
        now = time.perf_counter_ns()
        parts = []
        templates = self.parts
        for _ in range(count):
            self.next_id += 1
            self.sent[self.next_id] = now
            head, tail = templates[self.next_id % len(templates)]
            parts.append(head + str(self.next_id).encode() + tail)
        self.transport.write(b"".join(parts))

    def data_received(self, data: bytes) -> None:
        buf = self.buf + data
        lines = buf.split(b"\n")
        self.buf = lines.pop()
        now = time.perf_counter_ns()
        stats = self.stats
        for line in lines:
            # {"id":123,"result":"Pong","error":null}
            comma = line.index(b",", 6)
            started = self.sent.pop(int(line[6:comma]))
            if stats.measuring:
                stats.latencies.append(now - started)
                stats.count += 1
                if not line.endswith(b'"error":null}'):
                    stats.errors += 1
        if stats.stopping and not self.sent and not self.done.done():
            self.done.set_result(None)
        self._send(len(lines))

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            self.done.set_result(None)


class Stats:
    def __init__(self) -> None:
        self.count = 0
        self.errors = 0
        self.latencies: list[int] = []
        self.measuring = False
        self.stopping = False


def _percentile(values: list[int], pct: float) -> float:
    if not values:
        return float("nan")
    values.sort()
    return values[min(len(values) - 1, int(len(values) * pct))] / 1e6


def payload(method: str, params: str) -> bytes:
    """A request template for :func:`run_load`: ``params`` is the JSON of params[0]."""
    return ('{"method":' + json.dumps(method) + ',"params":[' + params + '],"id":@ID@}\n').encode()


async def run_load(
    address: str,
    *,
    payloads: list[bytes],
    conns: int,
    pipeline: int,
    duration: float,
    warmup: float = 1.0,
) -> dict[str, float]:
    """Drive the load and return the figures (requests/s, p50/p99 ms, errors)."""
    host, port = address.rsplit(":", 1)
    stats = Stats()
    loop = asyncio.get_running_loop()
    protocols = []
    for _ in range(conns):
        _, proto = await loop.create_connection(
            lambda: _Conn(payloads, pipeline, stats), host, int(port)
        )
        protocols.append(proto)
    await asyncio.sleep(warmup)
    stats.measuring = True
    started = time.perf_counter()
    await asyncio.sleep(duration)
    stats.measuring = False
    elapsed = time.perf_counter() - started
    stats.stopping = True
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.gather(*(p.done for p in protocols)), 5)
    for proto in protocols:
        if proto.transport is not None:
            proto.transport.close()
    return {
        "requests": stats.count,
        "errors": stats.errors,
        "rps": stats.count / elapsed,
        "p50_ms": _percentile(stats.latencies, 0.50),
        "p99_ms": _percentile(stats.latencies, 0.99),
    }


@contextlib.contextmanager
def spawn_engine(
    extra_config: dict[str, object] | None = None, *engine_args: str
) -> Iterator[tuple[str, int]]:
    """Start ``tollgate engine`` on free ports with a temporary data folder."""
    from tollgate.testing.engine import EngineProcess

    with tempfile.TemporaryDirectory(prefix="tollgate-bench-") as tmp:
        extra = {"general": {"log_level": 3}, **(extra_config or {})}
        engine = EngineProcess.prepare(Path(tmp), extra).start(*engine_args)
        try:
            assert engine.proc is not None
            yield f"127.0.0.1:{engine.ports['rpc_json']}", engine.proc.pid
        finally:
            engine.stop()


def _report(name: str, figures: dict[str, float]) -> str:
    return (
        f"{name:<24} {figures['rps']:>10,.0f} req/s   p50 {figures['p50_ms']:7.3f} ms   "
        f"p99 {figures['p99_ms']:7.3f} ms   errors {int(figures['errors'])}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--address", default="127.0.0.1:2012")
    parser.add_argument("--spawn", action="store_true", help="start a throw-away engine")
    parser.add_argument("--method", default="CoreSv1.Ping")
    parser.add_argument("--params", default="{}", help="JSON of params[0]")
    parser.add_argument("--conns", type=int, default=8)
    parser.add_argument("--pipeline", type=int, default=64, help="requests in flight per conn")
    parser.add_argument("--duration", type=float, default=10.0)
    args = parser.parse_args()

    async def go(address: str) -> dict[str, float]:
        return await run_load(
            address,
            payloads=[payload(args.method, args.params)],
            conns=args.conns,
            pipeline=args.pipeline,
            duration=args.duration,
        )

    runner = asyncio.Runner(loop_factory=uvloop.new_event_loop if uvloop else None)
    with runner:
        if args.spawn:
            with spawn_engine() as (address, _pid):
                figures = runner.run(go(address))
        else:
            figures = runner.run(go(args.address))
    print(
        f"cpus={os.cpu_count()} conns={args.conns} pipeline={args.pipeline} "
        f"duration={args.duration}s"
    )
    print(_report(args.method, figures))
    return 0 if figures["errors"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
