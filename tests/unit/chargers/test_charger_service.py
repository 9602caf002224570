"""ChargerService: forks per matching ChargerProfile, AttributeS per fork through the
``attributes_conns`` connection (``*internal`` here), ordering, errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
import pytest

from tollgate import tariffplans as tp
from tollgate.attributes import AttributeService, AttributeSv1
from tollgate.chargers import CGREventArgs, ChargerService
from tollgate.core.config import Config, load_config
from tollgate.core.errors import MandatoryIeMissingError, NotFoundError, ServerError
from tollgate.filters import FilterService
from tollgate.rpc.pool import ConnManager
from tollgate.rpc.router import Router
from tollgate.storage.datadb import InternalDataDB

T = "cgrates.org"


def charger(
    charger_id: str,
    run_id: str,
    attribute_ids: list[str],
    *,
    filters: list[str] | None = None,
    weight: int = 0,
    activation: str = "",
) -> tp.TPChargerProfile:
    return tp.TPChargerProfile(
        Tenant=T,
        ID=charger_id,
        FilterIDs=filters or [],
        ActivationInterval=tp.TPActivationInterval(ActivationTime=activation)
        if activation
        else None,
        RunID=run_id,
        AttributeIDs=attribute_ids,
        Weight=Decimal(weight),
    )


def attribute(attr_id: str, path: str, value: str, contexts: list[str]) -> tp.TPAttributeProfile:
    return tp.TPAttributeProfile(
        Tenant=T,
        ID=attr_id,
        Contexts=contexts,
        Attributes=[tp.TPAttribute(Path=path, Type="*constant", Value=value)],
    )


class Env:
    def __init__(self, db: InternalDataDB, overrides: dict[str, Any] | None = None) -> None:
        self.db = db
        self.cfg: Config = load_config(None).merged(
            {
                "attributes": {"enabled": True},
                "chargers": {"enabled": True, "attributes_conns": ["*internal"]},
                **(overrides or {}),
            }
        )
        self.filters = FilterService(lambda: db, cfg=lambda: self.cfg)
        self.attributes = AttributeService(self.filters, cfg=lambda: self.cfg)
        router = Router()
        router.add_api(AttributeSv1(self.attributes))
        self.conns = ConnManager({}, router)
        self.chargers = ChargerService(self.filters, cfg=lambda: self.cfg, conns=lambda: self.conns)

    async def put(self, *items: Any) -> None:
        for item in items:
            kind = (
                "*charger_profiles"
                if isinstance(item, tp.TPChargerProfile)
                else "*attribute_profiles"
            )
            await self.db.set(kind, f"{item.Tenant}:{item.ID}", msgspec.msgpack.encode(item))
        await self.filters.reload()
        await self.attributes.reload(self.db)
        await self.chargers.reload(self.db)

    async def process(self, event: dict[str, Any], **args: Any) -> list[dict[str, Any]]:
        replies = await self.chargers.process_event(
            CGREventArgs(Tenant=T, ID="ev", Event=event, **args)
        )
        return [msgspec.to_builtins(r) for r in replies]


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[InternalDataDB]:
    store = InternalDataDB(tmp_path, fsync="no")
    await store.open()
    yield store
    await store.close()


@pytest.fixture
def env(db: InternalDataDB) -> Env:
    return Env(db)


async def test_the_tutorial_default_and_raw_runs(env: Env) -> None:
    await env.put(
        charger("DEFAULT", "*default", ["*none"]),
        charger("Raw", "*raw", ["*constant:*req.RequestType:*none"]),
    )
    replies = await env.process({"Account": "1001", "RequestType": "*prepaid"})
    assert replies == [
        {
            "ChargerSProfile": "DEFAULT",
            "AttributeSProfiles": None,
            "AlteredFields": ["*req.RunID"],
            "CGREvent": {
                "Tenant": T,
                "ID": "ev",
                "Time": None,
                "Event": {"Account": "1001", "RequestType": "*prepaid", "RunID": "*default"},
            },
        },
        {
            "ChargerSProfile": "Raw",
            "AttributeSProfiles": ["*constant:*req.RequestType:*none"],
            "AlteredFields": ["*req.RunID", "*req.RequestType"],
            "CGREvent": {
                "Tenant": T,
                "ID": "ev",
                "Time": None,
                "Event": {"Account": "1001", "RequestType": "*none", "RunID": "*raw"},
            },
        },
    ]


async def test_forks_come_highest_weight_first_and_only_when_matching(env: Env) -> None:
    await env.put(
        charger("LOW", "low", ["*none"], weight=10),
        charger("HIGH", "high", ["*none"], weight=30),
        charger("ONLY_1002", "x", ["*none"], weight=50, filters=["*string:~*req.Account:1002"]),
    )
    assert [r["ChargerSProfile"] for r in await env.process({"Account": "1001"})] == [
        "HIGH", "LOW",
    ]  # fmt: skip
    assert [r["ChargerSProfile"] for r in await env.process({"Account": "1002"})] == [
        "ONLY_1002", "HIGH", "LOW",
    ]  # fmt: skip


async def test_discovery_in_the_chargers_context_or_the_events(env: Env) -> None:
    await env.put(
        charger("C", "*default", []),
        attribute("IN_CHARGERS", "*req.Where", "chargers", ["*chargers"]),
        attribute("IN_CUSTOM", "*req.Where", "custom", ["custom"]),
    )
    reply = (await env.process({"Account": "1001"}))[0]
    assert reply["AttributeSProfiles"] == ["IN_CHARGERS"]
    assert reply["CGREvent"]["Event"]["Where"] == "chargers"
    reply = (await env.process({"Account": "1001", "Context": "custom"}))[0]
    assert reply["AttributeSProfiles"] == ["IN_CUSTOM"]


async def test_attributes_not_found_leaves_the_fork_as_cloned(env: Env) -> None:
    await env.put(charger("C", "*default", ["NOT_THERE"]))
    reply = (await env.process({"Account": "1001"}))[0]
    assert reply["AttributeSProfiles"] is None
    assert reply["CGREvent"]["Event"] == {"Account": "1001", "RunID": "*default"}


async def test_no_attributes_conns_means_no_attributes(db: InternalDataDB) -> None:
    env = Env(db, {"chargers": {"enabled": True, "attributes_conns": []}})
    await env.put(charger("C", "*default", ["*constant:*req.X:1"]))
    reply = (await env.process({}))[0]
    assert reply["AlteredFields"] == ["*req.RunID"]


async def test_attribute_errors_fail_the_call(env: Env) -> None:
    await env.put(charger("C", "*default", ["*constant:*req.X"]))
    with pytest.raises(ServerError, match=r"^SERVER_ERROR: SERVER_ERROR: inline parse error"):
        await env.process({})


async def test_attributes_disabled_answers_as_a_missing_service(db: InternalDataDB) -> None:
    env = Env(db, {"attributes": {"enabled": False}})
    await env.put(charger("C", "*default", []))
    with pytest.raises(
        ServerError, match=r"^SERVER_ERROR: rpc: can't find service AttributeSv1.ProcessEvent$"
    ):
        await env.process({})


async def test_not_found_activation_and_missing_event(env: Env) -> None:
    await env.put(
        charger("LATER", "*default", ["*none"], activation="2030-01-01T00:00:00Z"),
        charger("GT", "*default", ["*none"], filters=["*gt:~*req.Usage:10"]),
    )
    assert [r["ChargerSProfile"] for r in await env.process({})] == ["LATER"]
    with pytest.raises(NotFoundError):
        await env.process({}, Time="2020-01-01T00:00:00Z")
    assert [r["ChargerSProfile"] for r in await env.process({"Usage": 11})] == ["GT", "LATER"]
    with pytest.raises(MandatoryIeMissingError, match=r"\[Event\]"):
        await env.chargers.process_event(CGREventArgs(Tenant=T))
    profiles = await env.chargers.chargers_for_event(CGREventArgs(Tenant=T, Event={"Usage": 11}))
    assert [(p.ID, p.RunID, p.AttributeIDs) for p in profiles] == [
        ("GT", "*default", ["*none"]),
        ("LATER", "*default", ["*none"]),
    ]


async def test_filters_checked_in_place_answer_as_filters_does(env: Env) -> None:
    await env.put(
        charger("STR", "str", ["*none"], weight=50, filters=["*string:~*req.Account:1001"]),
        charger("NOT", "not", ["*none"], weight=40, filters=["*notprefix:~*req.Account:100"]),
        charger("TWO", "two", ["*none"], weight=30,
                filters=["*prefix:~*req.Account:10", "*string:~*req.Subject:x"]),
        charger("DYN", "dyn", ["*none"], weight=20,
                filters=["*string:~*req.Account:~*req.Subject"]),
    )  # fmt: skip
    events = [{"Account": "1001", "Subject": "x"}, {"Account": "1002", "Subject": "1002"},
              {"Account": "2001"}, {"Subject": "x"}]  # fmt: skip

    async def runs() -> list[list[str] | str]:
        out: list[list[str] | str] = []
        for event in events:
            try:
                out.append([r["ChargerSProfile"] for r in await env.process(dict(event))])
            except NotFoundError as exc:
                out.append(str(exc))
        return out

    in_place = await runs()
    assert in_place == [["STR", "TWO"], ["DYN"], ["NOT"], ["NOT"]]
    profiles = [env.chargers.store.get(T, pid) for pid in ("STR", "NOT", "TWO", "DYN")]
    assert [p is not None and p.simple is not None for p in profiles] == [True] * 3 + [False]
    for item in profiles:
        assert item is not None
        item.simple = None  # through FilterService.pass_filters
    assert await runs() == in_place
