"""Filter indexes built from the DataDB partitions: keys as v0.10 lists them, candidates,
updates on writes, compute/remove, and a lookup among 100,000 profiles."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import msgspec
import pytest

from tollgate import tariffplans as tp
from tollgate.filters import DataProvider, FilterService
from tollgate.filters.dataprovider import Path as FieldPath
from tollgate.storage.datadb import InternalDataDB

TENANT = "cgrates.org"


@dataclass
class Selects:
    indexed_selects: bool = True
    string_indexed_fields: list[str] | None = None
    prefix_indexed_fields: list[str] | None = field(default_factory=list)
    nested_fields: bool = False


def _enc(item: msgspec.Struct) -> bytes:
    return msgspec.msgpack.encode(item)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[InternalDataDB]:
    store = InternalDataDB(tmp_path, fsync="no")
    await store.open()
    yield store
    await store.close()


@pytest.fixture
def service(db: InternalDataDB) -> FilterService:
    return FilterService(lambda: db)


async def _threshold(db: InternalDataDB, item_id: str, filter_ids: Sequence[str]) -> None:
    profile = tp.TPThresholdProfile(Tenant=TENANT, ID=item_id, FilterIDs=list(filter_ids))
    await db.set("*threshold_profiles", f"{TENANT}:{item_id}", _enc(profile))


async def _filter(db: InternalDataDB, filter_id: str, *rules: tuple[str, str, list[str]]) -> None:
    item = tp.TPFilterProfile(
        Tenant=TENANT,
        ID=filter_id,
        Filters=[tp.TPFilter(Type=t, Element=e, Values=v) for t, e, v in rules],
    )
    await db.set("*filters", f"{TENANT}:{filter_id}", _enc(item))


async def test_keys_as_v010_lists_them(db: InternalDataDB, service: FilterService) -> None:
    await _filter(db, "FLTR_1", ("*string", "~*req.Account", ["1001", "1002"]))
    await _filter(db, "FLTR_2", ("*prefix", "~*req.Destination", ["+49"]))
    await _threshold(db, "TH_1", ["FLTR_1", "FLTR_2"])
    await _threshold(db, "TH_2", ["*string:~*req.Account:1002", "*gte:~*req.Usage:10"])
    await _threshold(db, "TH_3", [])  # no filters
    await _threshold(db, "TH_4", ["*gte:~*req.Usage:10"])  # nothing indexable
    await _threshold(db, "TH_5", ["*string:~*req.Account:~*req.Subject"])  # value from event
    await service.reload()
    assert service.index_listing("*threshold_profiles", TENANT) == [
        "*none:*any:*any:TH_3",
        "*none:*any:*any:TH_4",
        "*none:*any:*any:TH_5",
        "*prefix:~*req.Destination:+49:TH_1",
        "*string:~*req.Account:1001:TH_1",
        "*string:~*req.Account:1002:TH_1",
        "*string:~*req.Account:1002:TH_2",
    ]


async def test_candidates(db: InternalDataDB, service: FilterService) -> None:
    await _threshold(db, "ACC_1001", ["*string:~*req.Account:1001"])
    await _threshold(db, "ACC_1002", ["*string:~*req.Account:1002"])
    await _threshold(db, "ANY", [])
    await _threshold(db, "DE", ["*prefix:~*req.Destination:+49"])
    await _threshold(db, "DE_MOBILE", ["*prefix:~*req.Destination:+4915"])
    await _threshold(db, "NESTED", ["*string:~*req.Cost.Unit:EUR"])
    await service.reload()
    kind = "*threshold_profiles"
    dp = DataProvider({"Account": "1001", "Destination": "+491511"})

    def match(settings: Selects, event: DataProvider = dp) -> set[str]:
        return service.matching_profiles(kind, TENANT, event, settings)

    # prefix fields not queried (v0.10's default []): their profiles stay candidates,
    # a nested field with nested_fields off too
    assert match(Selects()) == {"ACC_1001", "ANY", "DE", "DE_MOBILE", "NESTED"}
    # prefix lookups on Destination: every prefix of the value
    queried = Selects(prefix_indexed_fields=["*req.Destination"], nested_fields=True)
    assert match(queried) == {"ACC_1001", "ANY", "DE", "DE_MOBILE"}
    other = DataProvider({"Account": "1002", "Destination": "+33", "Cost": {"Unit": "EUR"}})
    assert match(queried, other) == {"ACC_1002", "ANY", "NESTED"}
    # string_indexed_fields limits the string lookups; unqueried fields' profiles remain
    only_dest = Selects(string_indexed_fields=["Destination"], prefix_indexed_fields=None)
    assert match(only_dest) == {"ACC_1001", "ACC_1002", "ANY", "DE", "DE_MOBILE", "NESTED"}
    # indexed_selects off: every profile of the tenant
    assert len(match(Selects(indexed_selects=False))) == 6
    assert service.matching_profiles(kind, "other.org", dp, Selects()) == set()


async def test_writes_update_the_indexes(db: InternalDataDB, service: FilterService) -> None:
    await _filter(db, "FLTR_ACC", ("*string", "~*req.Account", ["1001"]))
    await _threshold(db, "TH", ["FLTR_ACC"])
    await service.reload()
    dp = DataProvider({"Account": "1002"})
    kind = "*threshold_profiles"
    assert service.matching_profiles(kind, TENANT, dp, Selects()) == set()
    # changing the FilterProfile re-indexes the profiles that use it
    await _filter(db, "FLTR_ACC", ("*string", "~*req.Account", ["1002"]))
    await service.reload()
    assert service.matching_profiles(kind, TENANT, dp, Selects()) == {"TH"}
    assert await service.pass_filters(TENANT, ["FLTR_ACC"], dp)
    # changing the profile's FilterIDs
    await _threshold(db, "TH", ["*string:~*req.Account:1003"])
    await service.reload()
    assert service.index_listing(kind, TENANT) == ["*string:~*req.Account:1003:TH"]
    # removing it
    await db.remove("*threshold_profiles", f"{TENANT}:TH")
    await service.reload()
    assert service.index_listing(kind, TENANT) == []
    assert service.profile_ids(kind, TENANT) == set()
    # the filter it used is gone: a profile naming it still is a candidate, and fails
    await db.remove("*filters", f"{TENANT}:FLTR_ACC")
    await _threshold(db, "TH2", ["FLTR_ACC"])
    await service.reload()
    assert service.matching_profiles(kind, TENANT, dp, Selects()) == {"TH2"}
    with pytest.raises(Exception, match="NOT_FOUND:FLTR_ACC"):
        await service.pass_filters(TENANT, ["FLTR_ACC"], dp)


async def test_profiles_sharing_a_value_come_and_go_one_at_a_time(
    db: InternalDataDB, service: FilterService
) -> None:
    kind = "*threshold_profiles"

    async def found(account: str, destination: str = "+33") -> set[str]:
        await service.reload()
        dp = DataProvider({"Account": account, "Destination": destination})
        return service.matching_profiles(kind, TENANT, dp, Selects(prefix_indexed_fields=None))

    await _threshold(db, "A", ["*string:~*req.Account:1001"])
    assert await found("1001") == {"A"}
    await _threshold(db, "B", ["*string:~*req.Account:1001;1002", "*prefix:~*req.Destination:+4"])
    await _threshold(db, "C", ["*string:~*req.Account:1001", "*prefix:~*req.Destination:+49"])
    assert await found("1001") == {"A", "B", "C"}
    assert await found("1002") == {"B"}
    assert await found("1003", "+4915") == {"B", "C"}
    await db.remove(kind, f"{TENANT}:A")
    assert await found("1001") == {"B", "C"}
    await _threshold(db, "B", ["*string:~*req.Account:1002"])
    assert await found("1001") == {"C"}
    assert await found("1003", "+4915") == {"C"}
    await db.remove(kind, f"{TENANT}:C")
    assert await found("1001") == set()
    await _threshold(db, "A", ["*string:~*req.Account:1001"])
    assert await found("1001") == {"A"}
    assert await found("1002") == {"B"}
    assert service.index_listing(kind, TENANT) == [
        "*string:~*req.Account:1001:A", "*string:~*req.Account:1002:B",
    ]  # fmt: skip


async def test_contexts_scope_attribute_indexes(db: InternalDataDB, service: FilterService) -> None:
    contexts_of = {"ATTR_S": ["*sessions"], "ATTR_ANY": ["*any"], "ATTR_2": ["*sessions", "*cdrs"]}
    for item_id, contexts in contexts_of.items():
        profile = tp.TPAttributeProfile(
            Tenant=TENANT, ID=item_id, Contexts=contexts, FilterIDs=["*string:~*req.Account:1001"]
        )
        await db.set("*attribute_profiles", f"{TENANT}:{item_id}", _enc(profile))
    await service.reload()
    dp = DataProvider({"Account": "1001"})
    kind = "*attribute_profiles"

    def match(context: str) -> set[str]:
        return service.matching_profiles(kind, TENANT, dp, Selects(), context=context)

    assert match("*sessions") == {"ATTR_S", "ATTR_2"}
    assert match("*cdrs") == {"ATTR_2"}
    assert match("*any") == {"ATTR_ANY"}
    assert match("simpleauth") == set()
    # compute with *any puts every attribute profile of the tenant in the *any scope
    service.compute_indexes(kind, TENANT, "*any", None)
    assert match("*any") == {"ATTR_S", "ATTR_ANY", "ATTR_2"}
    service.remove_indexes(kind, f"{TENANT}:*sessions")
    assert match("*sessions") == set()
    service.compute_indexes(kind, TENANT, "*sessions", ["ATTR_2"])
    assert match("*sessions") == {"ATTR_2"}


async def test_remove_and_compute(db: InternalDataDB, service: FilterService) -> None:
    await _threshold(db, "TH_1", ["*string:~*req.Account:1001"])
    await _threshold(db, "TH_2", ["*string:~*req.Account:1002"])
    await service.reload()
    kind = "*threshold_profiles"
    service.remove_indexes(kind, TENANT)
    assert service.index_listing(kind, TENANT) == []
    # an unrelated reload keeps them removed: only changes are indexed again
    await _threshold(db, "TH_3", ["*string:~*req.Account:1003"])
    await service.reload()
    assert service.index_listing(kind, TENANT) == ["*string:~*req.Account:1003:TH_3"]
    service.compute_indexes(kind, TENANT, None, ["TH_2"])
    assert service.index_listing(kind, TENANT) == [
        "*string:~*req.Account:1002:TH_2",
        "*string:~*req.Account:1003:TH_3",
    ]
    service.compute_indexes(kind, TENANT, None, None)
    assert len(service.index_listing(kind, TENANT)) == 3
    with pytest.raises(Exception, match="NOT_FOUND"):
        service.compute_indexes(kind, TENANT, None, ["NOPE"])


class CountingProvider(DataProvider):
    """A DataProvider that counts the fields read."""

    __slots__ = ("reads",)

    def __init__(self, req: dict[str, str]) -> None:
        super().__init__(req)
        self.reads = 0

    def field(self, path: FieldPath) -> object:
        self.reads += 1
        return super().field(path)


async def test_lookup_among_100000_profiles_touches_only_candidates(
    db: InternalDataDB, service: FilterService
) -> None:
    items = {
        f"{TENANT}:TH_{n}": _enc(
            tp.TPThresholdProfile(
                Tenant=TENANT, ID=f"TH_{n}", FilterIDs=[f"*string:~*req.Account:{n}"]
            )
        )
        for n in range(100_000)
    }
    await db.set_many("*threshold_profiles", items)
    await service.reload()
    kind = "*threshold_profiles"
    dp = CountingProvider({"Account": "4242", "Destination": "+49"})
    assert service.matching_profiles(kind, TENANT, dp, Selects()) == {"TH_4242"}
    assert dp.reads == 1  # one indexed field read, whatever the number of profiles

    # the same lookup timed among 100,000 and among 10 profiles
    ten = FilterService()
    await ten.reload(db=_FakeDB({kind: dict(list(items.items())[:10])}))  # type: ignore[arg-type]
    assert len(ten.profile_ids(kind, TENANT)) == 10
    big_time = _time_lookups(service, kind)
    small_time = _time_lookups(ten, kind)
    assert big_time < small_time * 5 + 0.05  # generous: a shared, busy machine


def _time_lookups(service: FilterService, kind: str) -> float:
    dp = DataProvider({"Account": "7", "Destination": "+49"})
    start = time.perf_counter()
    for _ in range(2000):
        service.matching_profiles(kind, TENANT, dp, Selects())
    return time.perf_counter() - start


class _FakeDB:
    """Just enough of a DataDB for a reload from dicts."""

    def __init__(self, data: dict[str, dict[str, bytes]]) -> None:
        self.data = data

    async def keys(self, kind: str, prefix: str = "") -> list[str]:
        return sorted(k for k in self.data.get(kind, {}) if k.startswith(prefix))

    async def get_many(self, kind: str, keys: Sequence[str]) -> list[bytes | None]:
        part = self.data.get(kind, {})
        return [part.get(k) for k in keys]
