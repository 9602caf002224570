"""Prometheus metrics for the RPC layer, served as text at ``/metrics``.

The hot path only bumps plain Python counters (no locks, no label lookups); the
Prometheus families are built from them when ``/metrics`` is scraped.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, ProcessCollector, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector

__all__ = ["CONTENT_TYPE", "RpcMetrics", "render"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# seconds; RPC latencies of an OCS sit between tens of microseconds and a few seconds
_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0)
_BUCKETS_NS = tuple(int(b * 1e9) for b in _BUCKETS)


class _MethodStats:
    __slots__ = ("buckets", "count", "errors", "sum_ns")

    def __init__(self) -> None:
        self.count = 0
        self.errors = 0
        self.sum_ns = 0
        self.buckets = [0] * (len(_BUCKETS_NS) + 1)


class RpcMetrics(Collector):
    """Requests, errors and latency per method; open connections per listener."""

    def __init__(self) -> None:
        self._methods: dict[str, _MethodStats] = {}
        self.unknown_requests = 0
        self.connections: dict[str, int] = {}
        self.gauges: dict[str, tuple[str, Callable[[], float]]] = {}

    def record(self, method: str, elapsed_ns: int, *, error: bool) -> None:
        stats = self._methods.get(method)
        if stats is None:
            stats = self._methods[method] = _MethodStats()
        stats.count += 1
        stats.sum_ns += elapsed_ns
        stats.buckets[bisect.bisect_left(_BUCKETS_NS, elapsed_ns)] += 1
        if error:
            stats.errors += 1

    def unknown(self) -> None:
        self.unknown_requests += 1

    def connection_opened(self, listener: str) -> None:
        self.connections[listener] = self.connections.get(listener, 0) + 1

    def connection_closed(self, listener: str) -> None:
        self.connections[listener] = self.connections.get(listener, 0) - 1

    def add_gauge(self, name: str, doc: str, read: Callable[[], float]) -> None:
        """A gauge read at scrape time (e.g. active sessions from SessionS)."""
        self.gauges[name] = (doc, read)

    def requests(self, method: str) -> int:
        stats = self._methods.get(method)
        return stats.count if stats else 0

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily | HistogramMetricFamily]:
        requests = CounterMetricFamily(
            "tollgate_rpc_requests", "RPC requests answered, per method", labels=["method"]
        )
        errors = CounterMetricFamily(
            "tollgate_rpc_errors", "RPC requests answered with an error", labels=["method"]
        )
        latency = HistogramMetricFamily(
            "tollgate_rpc_latency_seconds", "RPC handling time, per method", labels=["method"]
        )
        for name in sorted(self._methods):
            stats = self._methods[name]
            requests.add_metric([name], stats.count)
            errors.add_metric([name], stats.errors)
            cumulative = 0
            buckets: list[tuple[str, float]] = []
            for bound, count in zip((*_BUCKETS, float("inf")), stats.buckets, strict=True):
                cumulative += count
                buckets.append((repr(bound) if bound != float("inf") else "+Inf", cumulative))
            latency.add_metric([name], buckets, stats.sum_ns / 1e9)
        yield requests
        yield errors
        yield latency
        yield CounterMetricFamily(
            "tollgate_rpc_unknown_methods",
            "requests for methods the engine does not serve",
            value=self.unknown_requests,
        )
        conns = GaugeMetricFamily(
            "tollgate_open_connections", "open client connections", labels=["listener"]
        )
        for listener in sorted(self.connections):
            conns.add_metric([listener], self.connections[listener])
        yield conns
        for name in sorted(self.gauges):
            doc, read = self.gauges[name]
            yield GaugeMetricFamily(name, doc, value=read())


def render(metrics: RpcMetrics) -> bytes:
    """The Prometheus text exposition of the RPC metrics plus process memory and CPU."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(metrics)
    ProcessCollector(registry=registry)
    return generate_latest(registry)
