"""CacheS against a real engine: the tutorial loaded into bounded profile caches, the CacheSv1
methods and their APIerSv1/2 aliases, the Cache option of the Set APIs, precache at restart."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tollgate.testing.client import RpcError, rpc
from tollgate.testing.engine import EngineProcess

T = "cgrates.org"
TUTORIAL = (
    Path(__file__).parents[3] / "shared" / "spec" / "cgrates-v0.10" / "tariffplans" / "tutorial"
)
CONFIG = {
    "attributes": {"enabled": True},
    "chargers": {"enabled": True, "attributes_conns": ["*internal"]},
    "caches": {
        "*attribute_profiles": {"limit": 3},
        "*charger_profiles": {"precache": True},
    },
}
ATTRS = "*attribute_profiles"


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[EngineProcess]:
    proc = EngineProcess.prepare(tmp_path / "engine", CONFIG).start()
    try:
        yield proc
    finally:
        assert proc.stop() == 0, proc.log()


def _call(proc: EngineProcess, method: str, params: Any) -> Any:
    return rpc(proc.ports["rpc_json"], method, params)


def _items(proc: EngineProcess, name: str, method: str = "CacheSv1.GetCacheStats") -> int:
    stats = _call(proc, method, {"CacheIDs": [name]})
    assert list(stats) == [name]
    return int(stats[name]["Items"])


def _event(proc: EngineProcess, account: str) -> dict[str, Any]:
    reply = _call(proc, "AttributeSv1.ProcessEvent",
                  {"Tenant": T, "ID": "e1", "Context": "simpleauth",
                   "Event": {"Account": account}})  # fmt: skip
    assert isinstance(reply, dict)
    return reply


def test_cache_methods_over_the_wire(engine: EngineProcess) -> None:
    assert _call(engine, "CacheSv1.Ping", {}) == "Pong"
    assert _call(engine, "APIerSv1.LoadTariffPlanFromFolder", {"FolderPath": str(TUTORIAL)}) == "OK"
    # a load recompiles what it loaded into the caches: 10 attribute profiles, limit 3
    assert _items(engine, ATTRS) == 3
    assert _items(engine, ATTRS, "APIerSv1.GetCacheStats") == 3
    assert _items(engine, ATTRS, "APIerSv2.GetCacheStats") == 3
    assert _items(engine, "*charger_profiles") == 2
    assert _items(engine, "*filters") == 7
    everything = _call(engine, "CacheSv1.GetCacheStats", {})
    assert everything["*destinations"]["Items"] > 0
    assert "*rating_plans" in everything
    # evicted profiles still match: they compile again and push others out
    for account in ("1001", "1002", "1003"):
        assert _event(engine, account)["MatchedProfiles"] == [f"ATTR_{account}_SIMPLEAUTH"]
    ids = _call(engine, "CacheSv1.GetItemIDs", {"CacheID": ATTRS, "ItemIDPrefix": f"{T}:"})
    assert ids == [f"{T}:ATTR_{a}_SIMPLEAUTH" for a in ("1001", "1002", "1003")]
    item = {"CacheID": ATTRS, "ItemID": f"{T}:ATTR_1002_SIMPLEAUTH"}
    assert _call(engine, "CacheSv1.HasItem", item) is True
    assert _call(engine, "CacheSv1.GetItemExpiryTime", item) == "0001-01-01T00:00:00Z"
    assert _call(engine, "CacheSv1.RemoveItem", item) == "OK"
    assert _call(engine, "CacheSv1.HasItem", item) is False
    with pytest.raises(RpcError, match="NOT_FOUND"):
        _call(engine, "CacheSv1.GetItemExpiryTime", item)
    assert _call(engine, "CacheSv1.ReloadCache",
                 {"AttributeProfileIDs": [f"{T}:ATTR_1002_SIMPLEAUTH"]}) == "OK"  # fmt: skip
    assert _call(engine, "CacheSv1.HasItem", item) is True
    assert _call(engine, "CacheSv1.Clear", {"CacheIDs": [ATTRS]}) == "OK"
    assert _items(engine, ATTRS) == 0
    with pytest.raises(RpcError, match="NOT_FOUND"):
        _call(engine, "CacheSv1.GetItemIDs", {"CacheID": ATTRS})
    assert _call(engine, "CacheSv1.LoadCache",
                 {"AttributeProfileIDs": [f"{T}:ATTR_1001_SIMPLEAUTH"]}) == "OK"  # fmt: skip
    assert _items(engine, ATTRS) == 1
    assert _call(engine, "APIerSv1.ReloadCache",
                 {"FlushAll": True, "ChargerProfileIDs": [f"{T}:DEFAULT"]}) == "OK"  # fmt: skip
    assert _items(engine, ATTRS) == 0
    assert _items(engine, "*charger_profiles") == 1
    assert _call(engine, "CacheSv1.FlushCache", {"FlushAll": True}) == "OK"
    assert _items(engine, "*charger_profiles") == 0
    assert _call(engine, "CacheSv1.PrecacheStatus", {"CacheIDs": [ATTRS]}) == {ATTRS: "*ready"}
    with pytest.raises(RpcError, match="unknown cacheID: \\*nope"):
        _call(engine, "CacheSv1.PrecacheStatus", {"CacheIDs": ["*nope"]})
    with pytest.raises(RpcError, match="MANDATORY_IE_MISSING: \\[CacheID\\]"):
        _call(engine, "CacheSv1.HasItem", {"ItemID": "x"})
    assert _call(engine, "CacheSv1.HasGroup", {"CacheID": ATTRS, "GroupID": "g"}) is False
    # the profiles of the DataDB still serve after every flush
    assert _event(engine, "1003")["MatchedProfiles"] == ["ATTR_1003_SIMPLEAUTH"]


def _set(engine: EngineProcess, value: str, cache: str | None) -> None:
    profile = {"Tenant": T, "ID": "CACHED", "Contexts": ["*any"],
               "FilterIDs": ["*string:~*req.Account:9001"],
               "Attributes": [{"Path": "*req.Tag", "Type": "*constant",
                               "Value": [{"Rules": value, "AllFiltersMatch": True}]}],
               "Weight": 10, "Cache": cache}  # fmt: skip
    assert _call(engine, "APIerSv1.SetAttributeProfile", profile) == "OK"


def test_cache_option_of_the_set_apis(engine: EngineProcess) -> None:
    item = {"CacheID": ATTRS, "ItemID": f"{T}:CACHED"}
    _set(engine, "one", None)  # *reload by default: compiled and cached
    assert _call(engine, "CacheSv1.HasItem", item) is True
    _set(engine, "two", "*remove")
    assert _call(engine, "CacheSv1.HasItem", item) is False
    assert _event(engine, "9001")["CGREvent"]["Event"]["Tag"] == "two"  # compiled on use
    _set(engine, "three", "*none")  # the cache keeps serving what it had
    assert _event(engine, "9001")["CGREvent"]["Event"]["Tag"] == "two"
    assert _call(engine, "CacheSv1.ReloadCache", {"AttributeProfileIDs": [f"{T}:CACHED"]}) == "OK"
    assert _event(engine, "9001")["CGREvent"]["Event"]["Tag"] == "three"
    _set(engine, "four", "*clear")
    assert _items(engine, ATTRS) == 0
    assert _event(engine, "9001")["CGREvent"]["Event"]["Tag"] == "four"
    assert _call(engine, "APIerSv1.RemoveAttributeProfile",
                 {"Tenant": T, "ID": "CACHED", "Cache": "*remove"}) == "OK"  # fmt: skip
    assert _call(engine, "CacheSv1.HasItem", item) is False
    with pytest.raises(RpcError, match="NOT_FOUND"):
        _event(engine, "9001")


def test_precache_at_start(engine: EngineProcess) -> None:
    assert _call(engine, "APIerSv1.LoadTariffPlanFromFolder", {"FolderPath": str(TUTORIAL)}) == "OK"
    assert engine.stop() == 0
    engine.start()
    assert _items(engine, "*charger_profiles") == 2  # precache
    assert _items(engine, ATTRS) == 0  # compiled on first use
    assert _event(engine, "1001")["MatchedProfiles"] == ["ATTR_1001_SIMPLEAUTH"]
    assert _items(engine, ATTRS) == 1
