"""StorDB ``versions`` on every backend."""

from __future__ import annotations

from tollgate.storage.stordb import SQLStorDB


async def test_versions_round_trip(db: SQLStorDB) -> None:
    await db.ping()
    assert await db.get_versions() == {}
    await db.set_versions({"Accounts": 3, "Actions": 2, "CDRs": 2}, overwrite=False)
    assert await db.get_versions() == {"Accounts": 3, "Actions": 2, "CDRs": 2}
    await db.set_versions({"Accounts": 4, "Filters": 1}, overwrite=False)  # merge
    assert await db.get_versions() == {"Accounts": 4, "Actions": 2, "CDRs": 2, "Filters": 1}
    await db.set_versions({"CDRs": 3}, overwrite=True)  # replace everything
    assert await db.get_versions() == {"CDRs": 3}


async def test_remove_versions(db: SQLStorDB) -> None:
    await db.set_versions({"Accounts": 3, "Actions": 2, "CDRs": 2}, overwrite=True)
    await db.remove_versions(["Actions", "NotThere"])
    assert await db.get_versions() == {"Accounts": 3, "CDRs": 2}
    await db.remove_versions([])
    assert await db.get_versions() == {"Accounts": 3, "CDRs": 2}
    await db.remove_versions(None)
    assert await db.get_versions() == {}
