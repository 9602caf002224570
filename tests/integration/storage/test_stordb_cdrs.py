"""StorDB ``cdrs`` and ``sessions_costs``: storing, duplicates, every GetCDRs filter in SQL."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import inspect

from tollgate.core.errors import ExistsError
from tollgate.core.times import ZERO_NS, parse_rfc3339
from tollgate.storage.stordb import CDRRecord, CDRsFilter, SMCostRecord, SQLStorDB
from tollgate.storage.stordb.cdrs import datetime_ns, ns_datetime

S = 1_000_000_000


def at(text: str) -> int:
    return parse_rfc3339(text).ns


def cdr(cgrid: str, run_id: str = "*default", **kw: object) -> CDRRecord:
    rec = CDRRecord(cgrid=cgrid, run_id=run_id, origin_id=f"o-{cgrid}", tenant="cgrates.org")
    for key, value in kw.items():
        setattr(rec, key, value)
    return rec


@pytest.fixture
async def filled(db: SQLStorDB) -> SQLStorDB:
    rows = [
        cdr("c1", account="1001", subject="1001", destination="1002", tor="*voice",
            request_type="*postpaid", category="call", origin_host="10.0.0.1", source="fs",
            setup_time=at("2024-01-02T10:00:00Z"), answer_time=at("2024-01-02T10:00:05Z"),
            usage=130 * S, cost=Decimal("0.7169"), extra_fields={"PayPal": "a@b", "x.y": "1"}),
        cdr("c1", "*raw", account="1001", subject="1001", destination="1002", tor="*voice",
            request_type="*none", setup_time=at("2024-01-02T10:00:00Z"),
            answer_time=at("2024-01-02T10:00:05Z"), usage=130 * S, cost=Decimal(-1)),
        cdr("c2", account="1002", subject="premium", destination="+4986517174963",
            tor="*data", request_type="*rated", category="data", origin_host="10.0.0.2",
            setup_time=at("2024-01-03T10:00:00Z"), answer_time=at("2024-01-03T10:00:01Z"),
            usage=2048, cost=Decimal("1.5"), extra_fields={"PayPal": "c@d"}),
        cdr("c3", account="1003", subject="1003", destination="1_00%2", tor="*sms",
            request_type="*prepaid", category="sms", setup_time=at("2024-02-01T00:00:00Z"),
            usage=1, cost=Decimal(0), tenant="other.org"),
    ]  # fmt: skip
    for row in rows:
        await db.set_cdr(row)
    return db


async def ids(db: SQLStorDB, f: CDRsFilter) -> list[str]:
    """The CDRs found, as c1 (run *default) or c1r (run *raw)."""
    return [r.cgrid + ("r" if r.run_id == "*raw" else "") for r in await db.get_cdrs(f)]


def test_times_round_trip_through_datetimes() -> None:
    for ns in (ZERO_NS, 0, at("2024-01-02T10:00:05.123456Z"), at("2500-12-31T23:59:59Z")):
        assert datetime_ns(ns_datetime(ns)) == ns


async def test_tables_and_indexes_exist(db: SQLStorDB) -> None:
    engine = db._engine
    assert engine is not None
    async with engine.connect() as conn:
        tables, indexes = await conn.run_sync(
            lambda c: (
                inspect(c).get_table_names(),
                {ix["name"] for ix in inspect(c).get_indexes("cdrs")},
            )
        )
    assert {"cdrs", "sessions_costs"} <= set(tables)
    assert {"ix_cdrs_account_answer_time", "ix_cdrs_run_id", "ix_cdrs_origin_id"} <= indexes


async def test_a_cdr_round_trips_exactly(db: SQLStorDB) -> None:
    row = cdr("c1", account="1001", setup_time=at("2024-01-02T10:00:00.5Z"), usage=7,
              cost=Decimal("0.00033"), extra_fields={"a": "1"}, cost_details='{"Cost":1}',
              extra_info="err")  # fmt: skip
    await db.set_cdr(row)
    [back] = await db.get_cdrs(CDRsFilter())
    assert back.order_id == 1
    assert back.created_at is not None
    assert back.updated_at is None
    back.order_id, back.created_at = 0, None
    assert back == row


async def test_duplicate_is_exists_unless_update_allowed(db: SQLStorDB) -> None:
    await db.set_cdr(cdr("c1", cost=Decimal(1)))
    with pytest.raises(ExistsError):
        await db.set_cdr(cdr("c1", cost=Decimal(2)))
    await db.set_cdr(cdr("c1", cost=Decimal(3), extra_info="rerated"), allow_update=True)
    [back] = await db.get_cdrs(CDRsFilter())
    assert (back.cost, back.extra_info, back.order_id) == (Decimal(3), "rerated", 1)
    assert back.updated_at is not None
    await db.set_cdr(cdr("c1", "*raw"))  # another run of the same call is another CDR
    assert await db.count_cdrs(CDRsFilter()) == 2


@pytest.mark.parametrize(
    ("f", "expected"),
    [
        (CDRsFilter(), ["c1", "c1r", "c2", "c3"]),
        (CDRsFilter(cgrids=["c1"]), ["c1", "c1r"]),
        (CDRsFilter(not_cgrids=["c1"]), ["c2", "c3"]),
        (CDRsFilter(run_ids=["*raw"]), ["c1r"]),
        (CDRsFilter(not_run_ids=["*raw"]), ["c1", "c2", "c3"]),
        (CDRsFilter(origin_ids=["o-c2"]), ["c2"]),
        (CDRsFilter(not_origin_ids=["o-c1", "o-c2"]), ["c3"]),
        (CDRsFilter(origin_hosts=["10.0.0.2"]), ["c2"]),
        (CDRsFilter(not_origin_hosts=["10.0.0.1", ""]), ["c2"]),
        (CDRsFilter(sources=["fs"]), ["c1"]),
        (CDRsFilter(not_sources=[""]), ["c1"]),
        (CDRsFilter(tors=["*data", "*sms"]), ["c2", "c3"]),
        (CDRsFilter(not_tors=["*voice"]), ["c2", "c3"]),
        (CDRsFilter(request_types=["*rated"]), ["c2"]),
        (CDRsFilter(not_request_types=["*none", "*rated", "*prepaid"]), ["c1"]),
        (CDRsFilter(tenants=["other.org"]), ["c3"]),
        (CDRsFilter(not_tenants=["cgrates.org"]), ["c3"]),
        (CDRsFilter(categories=["data"]), ["c2"]),
        (CDRsFilter(not_categories=["", "data"]), ["c1", "c3"]),
        (CDRsFilter(accounts=["1002", "1003"]), ["c2", "c3"]),
        (CDRsFilter(not_accounts=["1001"]), ["c2", "c3"]),
        (CDRsFilter(subjects=["premium"]), ["c2"]),
        (CDRsFilter(not_subjects=["1001", "1003"]), ["c2"]),
        (CDRsFilter(destination_prefixes=["+49", "1_0"]), ["c2", "c3"]),
        (CDRsFilter(destination_prefixes=["1_00%"]), ["c3"]),  # LIKE escaped
        (CDRsFilter(destination_prefixes=["1%"]), []),
        (CDRsFilter(not_destination_prefixes=["10", "+4"]), ["c3"]),
        (CDRsFilter(costs=[Decimal("1.5"), Decimal(0)]), ["c2", "c3"]),
        (CDRsFilter(not_costs=[Decimal(-1), Decimal("0.7169")]), ["c2", "c3"]),
        (CDRsFilter(extra_fields={"PayPal": "c@d"}), ["c2"]),
        (CDRsFilter(extra_fields={"x.y": "*exists"}), ["c1"]),
        (CDRsFilter(extra_fields={"x.y": "1", "PayPal": "c@d"}), ["c1", "c2"]),
        (CDRsFilter(not_extra_fields={"PayPal": "a@b"}), ["c1r", "c2", "c3"]),
        (CDRsFilter(not_extra_fields={"PayPal": "*exists"}), ["c1r", "c3"]),
        (CDRsFilter(order_id_start=2, order_id_end=4), ["c1r", "c2"]),
        (CDRsFilter(setup_time_start=at("2024-01-03T00:00:00Z")), ["c2", "c3"]),
        (CDRsFilter(setup_time_end=at("2024-01-03T10:00:00Z")), ["c1", "c1r"]),
        (CDRsFilter(answer_time_start=at("2024-01-02T10:00:05Z"),
                    answer_time_end=at("2024-01-03T10:00:01Z")), ["c1", "c1r"]),
        (CDRsFilter(answer_time_start=ZERO_NS), ["c1", "c1r", "c2", "c3"]),
        (CDRsFilter(accounts=["1001"], answer_time_start=at("2024-01-02T00:00:00Z")),
         ["c1", "c1r"]),
        (CDRsFilter(min_usage=2048, max_usage=130 * S), ["c2"]),
        (CDRsFilter(min_cost=Decimal(0)), ["c1", "c2", "c3"]),
        (CDRsFilter(min_cost=Decimal("0.5"), max_cost=Decimal("1.5")), ["c1"]),
        (CDRsFilter(min_cost=Decimal(0), max_cost=Decimal(-1)), ["c1", "c2", "c3"]),
        (CDRsFilter(max_cost=Decimal(1)), ["c1", "c1r", "c3"]),
        (CDRsFilter(max_cost=Decimal(-1)), []),  # v0.10: "cost IS NULL", which no CDR has
    ],
)  # fmt: skip
async def test_filters(filled: SQLStorDB, f: CDRsFilter, expected: list[tuple[str, str]]) -> None:
    assert await ids(filled, f) == expected
    assert await filled.count_cdrs(f) == len(expected)


async def test_order_and_pages(filled: SQLStorDB) -> None:
    by_cost = await ids(filled, CDRsFilter(order_by="Cost;desc"))
    assert by_cost == ["c2", "c1", "c3", "c1r"]
    assert await ids(filled, CDRsFilter(order_by="Usage", limit=2)) == [
        "c3",
        "c2",
    ]
    assert await ids(filled, CDRsFilter(order_by="OrderID;desc", limit=1, offset=1)) == ["c2"]
    assert await ids(filled, CDRsFilter(offset=3)) == ["c3"]
    assert await filled.count_cdrs(CDRsFilter(limit=1)) == 4  # a count ignores the page
    for name in ("AnswerTime", "SetupTime", "OrderID"):
        assert len(await ids(filled, CDRsFilter(order_by=name))) == 4
    with pytest.raises(ValueError, match="Invalid value : Bogus"):
        await filled.get_cdrs(CDRsFilter(order_by="Bogus"))


async def test_remove(filled: SQLStorDB) -> None:
    assert await filled.remove_cdrs(CDRsFilter(cgrids=["c1"])) == 2
    assert await ids(filled, CDRsFilter()) == ["c2", "c3"]
    assert await filled.remove_cdrs(CDRsFilter(order_by="OrderID;desc", limit=1)) == 1
    assert await ids(filled, CDRsFilter()) == ["c2"]
    assert await filled.remove_cdrs(CDRsFilter()) == 1
    assert await filled.get_cdrs(CDRsFilter()) == []


async def test_session_costs(db: SQLStorDB) -> None:
    first = SMCostRecord("g1", "*default", "host", "abc-1", "*sessions", 60 * S, '{"Cost":1}')
    assert await db.set_sm_cost(first)
    assert not await db.set_sm_cost(SMCostRecord("g1", "*default", cost_details="{}"))  # kept
    await db.set_sm_cost(SMCostRecord("g2", "*default", "host", "abc-2", cost_details="{}"))
    await db.set_sm_cost(SMCostRecord("g3", "*raw", "other", "xyz", cost_details=None))
    assert await db.get_sm_costs("g1", "*default") == [first]
    assert [c.cgrid for c in await db.get_sm_costs(origin_id_prefix="abc")] == ["g1", "g2"]
    assert [c.cgrid for c in await db.get_sm_costs(origin_host="host")] == ["g1", "g2"]
    assert await db.get_sm_costs("g3") == []  # no cost details: nothing to use
    assert await db.get_sm_costs(origin_id_prefix="ab%") == []
    assert await db.remove_sm_costs(cgrids=["g1"]) == 1
    assert await db.remove_sm_costs() == 2


async def test_text_filters_are_case_sensitive_on_every_backend(db: SQLStorDB) -> None:
    await db.set_cdr(cdr("c1", account="Alice", destination="Abc1", subject="ü"))
    assert await ids(db, CDRsFilter(accounts=["alice"])) == []
    assert await ids(db, CDRsFilter(accounts=["Alice"])) == ["c1"]
    assert await ids(db, CDRsFilter(destination_prefixes=["abc"])) == []
    assert await ids(db, CDRsFilter(subjects=["u"])) == []  # no accent folding either
    assert await ids(db, CDRsFilter(not_accounts=["alice"])) == ["c1"]


async def test_long_cost_details_and_microseconds_are_kept(db: SQLStorDB) -> None:
    details = '{"Charges":[' + ",".join(['{"RatingID":"abcdef"}'] * 20_000) + "]}"
    assert len(details) > 400_000  # past MySQL's 64 KiB TEXT
    row = cdr("c1", setup_time=at("2024-01-02T10:00:00.123456Z"),
              answer_time=at("2024-01-02T10:00:00.000001Z"), cost_details=details)  # fmt: skip
    await db.set_cdr(row)
    [back] = await db.get_cdrs(CDRsFilter())
    assert back.cost_details == details
    assert (back.setup_time, back.answer_time) == (row.setup_time, row.answer_time)
    assert await ids(db, CDRsFilter(answer_time_end=at("2024-01-02T10:00:00.000002Z"))) == ["c1"]
    assert await ids(db, CDRsFilter(answer_time_end=at("2024-01-02T10:00:00.000001Z"))) == []
