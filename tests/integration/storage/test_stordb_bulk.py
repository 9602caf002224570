"""Bulk CDR inserts (``add_cdrs``) on every backend."""

from __future__ import annotations

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
