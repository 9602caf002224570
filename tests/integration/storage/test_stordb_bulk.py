"""Bulk CDR inserts (``add_cdrs``) on every backend."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from tollgate.core.errors import ExistsError
from tollgate.storage.stordb import CDRRecord, CDRsFilter, SQLStorDB


def _rec(i: int) -> CDRRecord:
    return CDRRecord(
        cgrid=f"cg{i}",
        run_id="*default",
        origin_id=f"o{i}",
        tenant="cgrates.org",
        account=f"acc{i % 3}",
        answer_time=1_700_000_000_000_000_000 + i * 1_000_000_000,
        usage=60_000_000_000,
        cost=Decimal("0.01") * i,
    )


async def test_many_cdrs_in_one_go(db: SQLStorDB) -> None:
    await db.add_cdrs([_rec(i) for i in range(1, 501)])
    await db.add_cdrs([])
    assert await db.count_cdrs(CDRsFilter()) == 500
    got = await db.get_cdrs(CDRsFilter(accounts=["acc1"], order_by="OrderID"))
    assert [r.origin_id for r in got[:3]] == ["o1", "o4", "o7"]
    assert got[1].cost == Decimal("0.04")
    assert [r.order_id for r in got[:2]] == [1, 4]


async def test_a_duplicate_fails_the_whole_batch(db: SQLStorDB) -> None:
    await db.add_cdrs([_rec(1)])
    with pytest.raises(ExistsError):
        await db.add_cdrs([_rec(2), _rec(1), _rec(3)])
    assert await db.count_cdrs(CDRsFilter()) == 1


async def test_concurrent_inserts_are_grouped_and_a_duplicate_fails_alone(db: SQLStorDB) -> None:
    await db.set_cdr(_rec(7))
    recs = [_rec(i) for i in range(1, 41)] + [_rec(3)]  # 7 is stored, 3 comes twice
    results = await asyncio.gather(*(db.set_cdr(r) for r in recs), return_exceptions=True)
    failed = sorted(i for i, r in enumerate(results) if isinstance(r, ExistsError))
    assert [recs[i].origin_id for i in failed] in (["o3", "o7"], ["o7", "o3"])
    assert all(r is None for i, r in enumerate(results) if i not in failed)
    assert await db.count_cdrs(CDRsFilter()) == 40
    # allow_update overwrites in place
    changed = _rec(5)
    changed.cost = Decimal("9.99")
    await db.set_cdr(changed, allow_update=True)
    [got] = await db.get_cdrs(CDRsFilter(origin_ids=["o5"]))
    assert got.cost == Decimal("9.99")
