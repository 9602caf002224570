from __future__ import annotations

from typing import ClassVar

import pytest

from tollgate.core.registry import Registry, Service, ServiceStartError


class Recorder(Service):
    def __init__(
        self, name: str, log: list[str], requires: tuple[str, ...] = (), *, fail: bool = False,
        enabled: bool = True,
    ) -> None:
        self._name = name
        self.log = log
        self._requires = requires
        self.fail = fail
        self._enabled = enabled

    name: ClassVar[str] = ""  # type: ignore[misc]

    @property  # type: ignore[misc]
    def name(self) -> str:  # type: ignore[override]
        return self._name

    @property  # type: ignore[misc]
    def requires(self) -> tuple[str, ...]:  # type: ignore[override]
        return self._requires

    @property
    def enabled(self) -> bool:
        return self._enabled

    async def start(self) -> None:
        if self.fail:
            raise RuntimeError("port in use")
        self.log.append(f"start {self._name}")

    async def stop(self) -> None:
        self.log.append(f"stop {self._name}")


async def test_starts_in_dependency_order_and_stops_in_reverse() -> None:
    log: list[str] = []
    reg = Registry(
        [
            Recorder("http", log, ("datadb", "stordb")),
            Recorder("stordb", log),
            Recorder("datadb", log),
            Recorder("off", log, enabled=False),
        ]
    )
    await reg.start()
    assert log == ["start datadb", "start stordb", "start http"]
    await reg.stop()
    assert log[3:] == ["stop http", "stop stordb", "stop datadb"]


async def test_a_failing_service_stops_the_started_ones_and_names_itself() -> None:
    log: list[str] = []
    reg = Registry([Recorder("datadb", log), Recorder("http", log, ("datadb",), fail=True)])
    with pytest.raises(ServiceStartError, match="service http failed to start: port in use"):
        await reg.start()
    assert log == ["start datadb", "stop datadb"]
    assert reg.running == ()


async def test_requirements_must_exist_be_enabled_and_not_loop() -> None:
    log: list[str] = []
    with pytest.raises(ServiceStartError, match="requires nope, which does not exist"):
        await Registry([Recorder("a", log, ("nope",))]).start()
    with pytest.raises(ServiceStartError, match="requires b, which is disabled"):
        await Registry([Recorder("a", log, ("b",)), Recorder("b", log, enabled=False)]).start()
    with pytest.raises(ServiceStartError, match="circular"):
        await Registry([Recorder("a", log, ("b",)), Recorder("b", log, ("a",))]).start()


def test_names_are_unique() -> None:
    log: list[str] = []
    reg = Registry([Recorder("a", log)])
    with pytest.raises(ValueError, match="twice"):
        reg.add(Recorder("a", log))
