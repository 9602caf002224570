"""AttributeService: selection (indexes, contexts, weights, activation, AttributeIDs),
process runs and their stop rules, errors as v0.10 answers them, reloads."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from attribute_support import AttributesEnv, T, attr, profile

from tollgate import tariffplans as tp
from tollgate.attributes import AttrArgsProcessEvent
from tollgate.core.errors import (
    MandatoryIeMissingError,
    NotFoundError,
    ServerError,
)
from tollgate.storage.datadb import InternalDataDB


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[InternalDataDB]:
    store = InternalDataDB(tmp_path, fsync="no")
    await store.open()
    yield store
    await store.close()


@pytest.fixture
def env(db: InternalDataDB) -> AttributesEnv:
    return AttributesEnv(db)


CHAIN = (
    profile("ATTR_1", attr("*req.Field2", "Value2"), filters=["*string:~*req.Field1:Value1"],
            weight=10),
    profile("ATTR_2", attr("*req.Field3", "Value3"), filters=["*string:~*req.Field2:Value2"],
            weight=20),
    profile("ATTR_3", attr("*req.Field4", "Value4"), filters=["*string:~*req.Field3:Value3"],
            weight=30),
)  # fmt: skip


async def test_one_run_by_default_applies_the_best_match(env: AttributesEnv) -> None:
    await env.put(*CHAIN)
    reply = await env.process({"Field1": "Value1"})
    assert reply.MatchedProfiles == ["ATTR_1"]
    assert reply.AlteredFields == ["*req.Field2"]
    assert reply.CGREvent.Event == {"Field1": "Value1", "Field2": "Value2"}
    assert (reply.CGREvent.Tenant, reply.CGREvent.ID, reply.CGREvent.Time) == (T, "ev1", None)


async def test_process_runs_chain_profiles_until_one_comes_back(env: AttributesEnv) -> None:
    await env.put(*CHAIN)
    reply = await env.process({"Field1": "Value1"}, ProcessRuns=5)
    # run 4 selects ATTR_3 again (highest weight still matching): the chain stops there
    assert reply.MatchedProfiles == ["ATTR_1", "ATTR_2", "ATTR_3"]
    assert reply.AlteredFields == ["*req.Field2", "*req.Field3", "*req.Field4"]
    assert reply.CGREvent.Event == {
        "Field1": "Value1", "Field2": "Value2", "Field3": "Value3", "Field4": "Value4",
    }  # fmt: skip


async def test_config_process_runs_is_the_default(db: InternalDataDB) -> None:
    env = AttributesEnv(db, {"attributes": {"enabled": True, "process_runs": 2}})
    await env.put(*CHAIN)
    reply = await env.process({"Field1": "Value1"})
    assert reply.MatchedProfiles == ["ATTR_1", "ATTR_2"]
    reply = await env.process({"Field1": "Value1"}, ProcessRuns=3)
    assert reply.MatchedProfiles == ["ATTR_1", "ATTR_2", "ATTR_3"]


async def test_a_blocker_stops_the_runs(env: AttributesEnv) -> None:
    blocking = profile("ATTR_2", attr("*req.Field3", "Value3"), weight=20, blocker=True,
                       filters=["*string:~*req.Field2:Value2"])  # fmt: skip
    await env.put(CHAIN[0], blocking, CHAIN[2])
    reply = await env.process({"Field1": "Value1"}, ProcessRuns=5)
    assert reply.MatchedProfiles == ["ATTR_1", "ATTR_2"]
    assert "Field4" not in reply.CGREvent.Event


async def test_later_runs_see_earlier_changes_in_filters_and_values(env: AttributesEnv) -> None:
    await env.put(
        profile("ALIAS", attr("*req.Account", "1001"), filters=["*string:~*req.Account:alias"],
                weight=20),
        profile("AUTH", attr("*req.Password", "~*req.Account", "*variable"),
                filters=["*string:~*req.Account:1001"], weight=10),
    )  # fmt: skip
    reply = await env.process({"Account": "alias"}, ProcessRuns=2)
    assert reply.MatchedProfiles == ["ALIAS", "AUTH"]
    assert reply.CGREvent.Event == {"Account": "1001", "Password": "1001"}


async def test_attributes_of_one_profile_see_each_other(env: AttributesEnv) -> None:
    await env.put(
        profile("P", attr("*req.A", "x"), attr("*req.B", "~*req.A", "*variable"),
                attr("*req.C", "1", filters=["*string:~*req.B:x"]),
                attr("*req.D", "1", filters=["*string:~*req.B:nope"])),
    )  # fmt: skip
    reply = await env.process({})
    assert reply.CGREvent.Event == {"A": "x", "B": "x", "C": "1"}
    assert reply.AlteredFields == ["*req.A", "*req.B", "*req.C"]


async def test_weight_decides_between_matches(env: AttributesEnv) -> None:
    await env.put(
        profile("LOW", attr("*req.Who", "low"), weight=10),
        profile("HIGH", attr("*req.Who", "high"), weight=20),
    )
    reply = await env.process({"Account": "1"})
    assert (reply.MatchedProfiles, reply.CGREvent.Event["Who"]) == (["HIGH"], "high")


async def test_contexts_and_the_any_fallback(env: AttributesEnv) -> None:
    await env.put(
        profile("SESS", attr("*req.Ctx", "sessions"), contexts=["*sessions", "*cdrs"],
                filters=["*string:~*req.Account:1001"]),
        profile("ANY", attr("*req.Ctx", "any"), contexts=["*any"], weight=50),
        profile("LONG", attr("*req.Ctx", "long"), contexts=["*sessions"],
                filters=["*gte:~*req.Usage:10"]),  # no index key: a candidate for every event
    )  # fmt: skip
    sessions = await env.process({"Account": "1001"}, Context="*sessions")
    assert sessions.MatchedProfiles == ["SESS"]  # *any is not looked at: *sessions had one
    cdrs = await env.process({"Account": "1001"}, Context="*cdrs")
    assert cdrs.MatchedProfiles == ["SESS"]
    other = await env.process({"Account": "1001"}, Context="simpleauth")
    assert other.MatchedProfiles == ["ANY"]
    default = await env.process({"Account": "1001"})  # Context *default
    assert default.MatchedProfiles == ["ANY"]
    # the context scope has candidates, none passes: v0.10 does not fall back to *any
    with pytest.raises(NotFoundError):
        await env.process({"Account": "1002", "Usage": 1}, Context="*sessions")


async def test_contexts_without_indexes(db: InternalDataDB) -> None:
    env = AttributesEnv(db, {"attributes": {"enabled": True, "indexed_selects": False}})
    await env.put(
        profile("SESS", attr("*req.Ctx", "sessions"), contexts=["*sessions"],
                filters=["*string:~*req.Account:1001"]),
        profile("ANY", attr("*req.Ctx", "any"), contexts=["*any"]),
    )  # fmt: skip
    assert (await env.process({"Account": "1001"}, Context="*sessions")).MatchedProfiles == ["SESS"]
    assert (await env.process({"Account": "1001"}, Context="*cdrs")).MatchedProfiles == ["ANY"]


async def test_attribute_ids_skip_discovery_and_contexts(env: AttributesEnv) -> None:
    await env.put(
        profile("AUTH", attr("*req.Password", "secret"), contexts=["simpleauth"],
                filters=["*string:~*req.Account:1001"], weight=10),
        profile("OTHER", attr("*req.Password", "other"), weight=90),
    )  # fmt: skip
    reply = await env.process({"Account": "1001"}, AttributeIDs=["AUTH", "MISSING"])
    assert reply.MatchedProfiles == ["AUTH"]
    with pytest.raises(NotFoundError):  # named profiles still pass their filters
        await env.process({"Account": "1002"}, AttributeIDs=["AUTH"])


async def test_inline_attribute_ids(env: AttributesEnv) -> None:
    reply = await env.process(
        {"RequestType": "*prepaid"}, AttributeIDs=["*constant:*req.RequestType:*none"]
    )
    assert reply.MatchedProfiles == ["*constant:*req.RequestType:*none"]
    assert reply.CGREvent.Event == {"RequestType": "*none"}
    with pytest.raises(ServerError, match=r"^SERVER_ERROR: inline parse error for string: <\*x>$"):
        await env.process({}, AttributeIDs=["*x"])


async def test_activation_interval_counts_only_with_an_event_time(env: AttributesEnv) -> None:
    await env.put(
        profile("LATER", attr("*req.A", "1"),
                activation=("2030-01-01T00:00:00Z", "2031-01-01T00:00:00Z")),
    )  # fmt: skip
    assert (await env.process({})).MatchedProfiles == ["LATER"]
    with pytest.raises(NotFoundError):
        await env.process({}, Time="2020-05-05T10:00:00Z")
    reply = await env.process({}, Time="2030-05-05T12:00:00+02:00")
    assert reply.MatchedProfiles == ["LATER"]
    assert reply.CGREvent.Time == "2030-05-05T12:00:00+02:00"
    with pytest.raises(NotFoundError):
        await env.process({}, Time="2031-01-01T00:00:00Z")  # expiry is exclusive


async def test_tenant_path_moves_the_event_and_the_next_run(env: AttributesEnv) -> None:
    await env.put(
        profile("TNT", attr("*tenant", "cgrates.org"), attr("*req.Moved", "yes"),
                tenant="cgrates.com"),
        profile("IN_ORG", attr("*req.Org", "seen"), filters=["*string:~*req.Moved:yes"]),
    )  # fmt: skip
    reply = await env.process({}, Tenant="cgrates.com", ProcessRuns=3)
    assert reply.MatchedProfiles == ["TNT", "IN_ORG"]
    assert reply.CGREvent.Tenant == "cgrates.org"
    assert reply.AlteredFields == ["*tenant", "*req.Moved", "*req.Org"]


async def test_not_found_and_unpopulated_fields(env: AttributesEnv) -> None:
    await env.put(CHAIN[0])
    with pytest.raises(NotFoundError):
        await env.process({"Field1": "other"})
    with pytest.raises(MandatoryIeMissingError, match=r"^MANDATORY_IE_MISSING: \[Category\]$"):
        await env.process({"Field1": "other", "Category": "*attributes"})
    with pytest.raises(MandatoryIeMissingError, match=r"\[Category\]"):  # matched, not filled
        await env.process({"Field1": "Value1", "Category": "*attributes"})
    await env.put(profile("FILL", attr("*req.Category", "call"), filters=["*exists:~*req.X:"]))
    reply = await env.process({"X": "1", "Category": "*attributes"})
    assert reply.CGREvent.Event["Category"] == "call"


async def test_a_failing_substitution_fails_the_first_run_only(env: AttributesEnv) -> None:
    await env.put(
        CHAIN[0],
        profile("COPY", attr("*req.Copy", "~*req.Missing", "*variable"), weight=20,
                filters=["*string:~*req.Field2:Value2"]),
    )  # fmt: skip
    with pytest.raises(NotFoundError):  # v0.10: a field a *variable reads is missing
        await env.process({"Field2": "Value2"})
    reply = await env.process({"Field1": "Value1"}, ProcessRuns=2)  # run 2 fails: ignored
    assert reply.MatchedProfiles == ["ATTR_1"]
    assert "Copy" not in reply.CGREvent.Event


async def test_server_errors(env: AttributesEnv) -> None:
    await env.put(
        profile("BAD", attr("*req.D", "~*req.A", "*usage_difference"), filters=["FLTR_GONE"]),
    )  # written without the API: the filter was never there
    with pytest.raises(ServerError, match=r"^SERVER_ERROR: NOT_FOUND:FLTR_GONE$"):
        await env.process({})
    await env.put(profile("BAD", attr("*req.D", "~*req.A", "*usage_difference")))
    with pytest.raises(ServerError, match=r"^SERVER_ERROR: invalid arguments"):
        await env.process({"A": "1"})
    with pytest.raises(MandatoryIeMissingError, match=r"\[Event\]"):
        await env.attributes.process_event(AttrArgsProcessEvent(Tenant=T))


async def test_the_callers_event_is_left_as_it_was(env: AttributesEnv) -> None:
    await env.put(profile("P", attr("*req.A", "new"), attr("*req.Gone", "*remove")))
    event = {"A": "old", "Gone": 1}
    reply = await env.process(event)
    assert reply.CGREvent.Event == {"A": "new"}
    assert event == {"A": "old", "Gone": 1}


async def test_reloads_follow_writes_and_removals(env: AttributesEnv) -> None:
    await env.put(profile("P", attr("*req.A", "1"), filters=["*string:~*req.K:1"]))
    assert (await env.process({"K": "1"})).CGREvent.Event["A"] == "1"
    await env.put(profile("P", attr("*req.A", "2"), filters=["*string:~*req.K:2"]))
    with pytest.raises(NotFoundError):
        await env.process({"K": "1"})
    assert (await env.process({"K": "2"})).CGREvent.Event["A"] == "2"
    await env.remove(f"{T}:P")
    with pytest.raises(NotFoundError):
        await env.process({"K": "2"})


async def test_filter_profiles_are_followed_too(env: AttributesEnv) -> None:
    fltr = tp.TPFilterProfile(
        Tenant=T, ID="FLTR_ACC", Filters=[tp.TPFilter(Type="*string", Element="~*req.Account",
                                                      Values=["1001"])]
    )  # fmt: skip
    await env.put(fltr, kind="*filters")
    await env.put(profile("P", attr("*req.A", "1"), filters=["FLTR_ACC"]))
    assert (await env.process({"Account": "1001"})).MatchedProfiles == ["P"]
    fltr.Filters[0].Values = ["1002"]
    await env.put(fltr, kind="*filters")
    with pytest.raises(NotFoundError):
        await env.process({"Account": "1001"})
    assert (await env.process({"Account": "1002"})).MatchedProfiles == ["P"]


async def test_get_attribute_for_event_replies_the_profile(env: AttributesEnv) -> None:
    await env.put(
        profile("P", attr("*req.A", "x;~*req.B", "*variable"), contexts=["*sessions"],
                filters=["*string:~*req.K:1"], weight=20,
                activation=("2014-01-14T00:00:00Z", "")),
    )  # fmt: skip
    args = AttrArgsProcessEvent(Tenant=T, Context="*sessions", Event={"K": "1"})
    got = await env.attributes.attribute_for_event(args)
    assert (got.ID, got.Contexts, got.FilterIDs, got.Weight) == (
        "P", ["*sessions"], ["*string:~*req.K:1"], 20,
    )  # fmt: skip
    assert got.ActivationInterval is not None
    assert got.ActivationInterval.ActivationTime == "2014-01-14T00:00:00Z"
    assert got.ActivationInterval.ExpiryTime == "0001-01-01T00:00:00Z"
    assert got.Attributes is not None
    assert [(v.Rules, v.AllFiltersMatch) for v in got.Attributes[0].Value or ()] == [
        ("x", True), ("~*req.B", True),
    ]  # fmt: skip
    with pytest.raises(NotFoundError):
        await env.attributes.attribute_for_event(
            AttrArgsProcessEvent(Tenant=T, Context="*sessions", Event={"K": "2"})
        )


async def test_a_match_that_alters_nothing_replies_null_altered_fields(env: AttributesEnv) -> None:
    await env.put(profile("P", attr("*req.A", "1", filters=["*string:~*req.B:never"])))
    reply = await env.process({"B": "x"})
    assert (reply.MatchedProfiles, reply.AlteredFields) == (["P"], None)
    assert reply.CGREvent.Event == {"B": "x"}


# profiles whose FilterIDs are checked in place (simple inline rules) or through FilterS
IN_PLACE = (
    profile("S_STR", attr("*req.A", "1"), filters=["*string:~*req.Account:1001;1002"]),
    profile("S_PFX", attr("*req.A", "2"), filters=["*prefix:~*req.Destination:+49"]),
    profile("S_NOT", attr("*req.A", "3"), filters=["*notstring:~*req.Account:1001"]),
    profile("S_NI", attr("*req.A", "4"), filters=["*niprefix:~*req.Destination:+3"]),
    profile("S_TWO", attr("*req.A", "5"), filters=["*string:~*req.Account:1001",
                                                    "*notprefix:~*req.Destination:+33"]),
    profile("S_WIN", attr("*req.A", "6"), filters=["*string:~*req.Account:1002"],
            activation=("2030-01-01T00:00:00Z", "")),
    profile("S_NESTED", attr("*req.A", "7"), filters=["*string:~*req.Data.Plan:gold"]),
)  # fmt: skip
THROUGH_FILTERS = (
    profile("F_DYN", attr("*req.A", "8"), filters=["*string:~*req.Account:~*req.Subject"]),
    profile("F_MIX", attr("*req.A", "9"), filters=["*string:~*req.Account:1001",
                                                    "*gte:~*req.Weight:10"]),
    profile("F_PROFILE", attr("*req.A", "10"), filters=["FLTR_WINDOW"]),
    profile("F_BOTH", attr("*req.A", "11"), filters=["*string:~*req.Account:1002",
                                                      "FLTR_WINDOW"]),
)  # fmt: skip
EVENTS = [
    {"Account": "1001", "Destination": "+4986", "Weight": 20},
    {"Account": "1002", "Destination": "+3386", "Subject": "1002"},
    {"Account": 1002, "Destination": "+49", "Weight": 5},  # a number, as its text
    {"Account": "1003", "Subject": "1003", "Data": {"Plan": "gold"}},
    {"Destination": "+3", "Weight": 10},
    {},
]


async def _answers(env: AttributesEnv, ids: list[str]) -> list[object]:
    out: list[object] = []
    for event in EVENTS:
        for time in (None, "2031-01-01T00:00:00Z"):
            for attribute_ids in [[pid] for pid in ids] + [None]:
                try:
                    reply = await env.process(dict(event), AttributeIDs=attribute_ids, Time=time)
                    out.append((reply.MatchedProfiles, reply.CGREvent.Event))
                except NotFoundError as exc:
                    out.append(str(exc))
    return out


async def test_filters_checked_in_place_answer_as_filters_does(env: AttributesEnv) -> None:
    fltr = tp.TPFilterProfile(
        Tenant=T, ID="FLTR_WINDOW",
        Filters=[tp.TPFilter(Type="*prefix", Element="~*req.Destination", Values=["+49"])],
        ActivationInterval=tp.TPActivationInterval(ActivationTime="2000-01-01T00:00:00Z"),
    )  # fmt: skip
    await env.put(fltr, kind="*filters")
    await env.put(*IN_PLACE, *THROUGH_FILTERS)
    ids = [p.ID for p in (*IN_PLACE, *THROUGH_FILTERS)]
    in_place = await _answers(env, ids)
    compiled = {pid: env.attributes.store.get(T, pid) for pid in ids}
    assert [pid for pid, p in compiled.items() if p is not None and p.simple is not None] == [
        p.ID for p in IN_PLACE
    ]
    for item in compiled.values():
        assert item is not None
        item.simple = None  # every profile through FilterService.pass_filters
    assert await _answers(env, ids) == in_place
    assert in_place.count("NOT_FOUND") not in (0, len(in_place))


async def test_a_cached_profile_keeps_its_own_filters(env: AttributesEnv) -> None:
    old = profile("P", attr("*req.A", "old"), filters=["*string:~*req.Account:1001"])
    await env.put(old)
    assert (await env.process({"Account": "1001"})).CGREvent.Event["A"] == "old"
    cached = env.attributes.store.cache.peek(f"{T}:P")
    # the DataDB (and the indexes) move on; the cache keeps serving the old profile, as
    # a Set with Cache *none leaves it: its own filter still decides
    await env.put(profile("P", attr("*req.A", "new"), filters=["*string:~*req.Account:1002"]))
    env.attributes.store.cache.set(f"{T}:P", cached)
    with pytest.raises(NotFoundError):
        await env.process({"Account": "1002"})
