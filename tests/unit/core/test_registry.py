from __future__ import annotations

import pytest

from tollgate.core.registry import Registry, Service, ServiceStartError


class Recorder(Service):
    def __init__(self, log: list[str], *, fail: bool = False, enabled: bool = True) -> None:
        self.log = log
        self.fail = fail
        self._enabled = enabled

    @property
    def enabled(self) -> bool:
        return self._enabled

    async def start(self) -> None:
        if self.fail:
            raise RuntimeError("port in use")
        self.log.append(f"start {self.name}")

    async def stop(self) -> None:
        self.log.append(f"stop {self.name}")


def service(name: str, log: list[str], requires: tuple[str, ...] = (), **kw: bool) -> Recorder:
    """A Recorder subclass per name: services declare name and requires on the class."""
    cls = type(f"S_{name}", (Recorder,), {"name": name, "requires": requires})
    return cls(log, **kw)  # type: ignore[no-any-return]


async def test_starts_in_dependency_order_and_stops_in_reverse() -> None:
    log: list[str] = []
    reg = Registry(
        [
            service("http", log, ("datadb", "stordb")),
            service("stordb", log),
            service("datadb", log),
            service("off", log, enabled=False),
        ]
    )
    await reg.start()
    assert log == ["start datadb", "start stordb", "start http"]
    await reg.stop()
    assert log[3:] == ["stop http", "stop stordb", "stop datadb"]


async def test_a_failing_service_stops_the_started_ones_and_names_itself() -> None:
    log: list[str] = []
    reg = Registry([service("datadb", log), service("http", log, ("datadb",), fail=True)])
    with pytest.raises(ServiceStartError, match="service http failed to start: port in use"):
        await reg.start()
    assert log == ["start datadb", "stop datadb"]
    assert reg.running == ()


async def test_requirements_must_exist_be_enabled_and_not_loop() -> None:
    log: list[str] = []
    with pytest.raises(ServiceStartError, match="requires nope, which does not exist"):
        await Registry([service("a", log, ("nope",))]).start()
    with pytest.raises(ServiceStartError, match="requires b, which is disabled"):
        await Registry([service("a", log, ("b",)), service("b", log, enabled=False)]).start()
    with pytest.raises(ServiceStartError, match="circular"):
        await Registry([service("a", log, ("b",)), service("b", log, ("a",))]).start()


def test_names_are_unique() -> None:
    log: list[str] = []
    reg = Registry([service("a", log)])
    with pytest.raises(ValueError, match="twice"):
        reg.add(service("a", log))
