"""Whole tariff plans through the StorDB: every spec plan round-trips to the same structs,
a plan is written all or nothing, and an older database gains the newer tables."""

from __future__ import annotations

from pathlib import Path

import pytest

from tollgate.storage.stordb import SQLStorDB
from tollgate.storage.stordb import tariffplans as store_module
from tollgate.storage.stordb.schema import TP_TABLES
from tollgate.storage.stordb.tpkind import TPKind
from tollgate.tariffplans import FILE_NAMES, TPAction, TPActions, TPDestination, read_folder

ROOT = Path(__file__).resolve().parents[3]
SPEC_PLANS = ROOT.parent / "shared" / "spec" / "cgrates-v0.10" / "tariffplans"
TUTORIAL = ROOT / "data" / "tariffplans" / "tutorial"
RATING_TABLES = (
    "tp_timings", "tp_destinations", "tp_rates", "tp_destination_rates", "tp_rating_plans",
    "tp_rating_profiles",
)  # fmt: skip


def _spec_plans() -> list[Path]:
    return sorted(p for p in SPEC_PLANS.iterdir() if p.is_dir())


def test_there_is_one_table_per_file() -> None:
    assert len(TP_TABLES) == len(FILE_NAMES) == 20


@pytest.mark.parametrize("folder", _spec_plans(), ids=lambda p: p.name)
async def test_every_spec_plan_round_trips_to_the_same_structs(db: SQLStorDB, folder: Path) -> None:
    plan = read_folder(folder, tpid="SPEC")
    await db.set_tariff_plan(plan)
    back = await db.get_tariff_plan("SPEC")
    for attr in FILE_NAMES:
        assert getattr(back, attr) == getattr(plan, attr), attr
    # the files read are the files found again
    assert {name for name, n in back.rows.items() if n} == {
        name for name, n in plan.rows.items() if n
    }


async def test_plans_of_other_tpids_stay_apart_and_flush_empties_one(db: SQLStorDB) -> None:
    engine_csv = read_folder(SPEC_PLANS / "engine_csv", tpid="A")
    tutorial = read_folder(TUTORIAL, tpid="B")
    written = await db.set_tariff_plan(engine_csv)
    assert written["Filters.csv"] > 0
    assert written["ActionTriggers.csv"] > 0
    await db.set_tariff_plan(tutorial)
    # an import without flush replaces the items it names and keeps the others
    extra = TPActions(TPid="B", ID="ONLY_IN_STORDB", Actions=[TPAction(Identifier="*log")])
    await db.set_tp("tp_actions", [extra])
    await db.set_tariff_plan(tutorial)
    assert "ONLY_IN_STORDB" in [a.ID for a in await db.get_tp("tp_actions", "B")]
    # with flush the TPid holds exactly the plan
    await db.set_tariff_plan(tutorial, flush=True)
    again = await db.get_tariff_plan("B")
    assert [a.ID for a in again.actions] == [a.ID for a in tutorial.actions]
    assert (await db.get_tariff_plan("A")).filters == engine_csv.filters
    # Flush of the whole TPid, every table
    assert await db.remove_tp_data("", "A") > 0
    emptied = await db.get_tariff_plan("A")
    assert not any(getattr(emptied, attr) for attr in FILE_NAMES)
    assert emptied.rows == {}


async def test_a_plan_is_written_all_or_nothing(
    db: SQLStorDB, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = read_folder(TUTORIAL, tpid="TUT")
    await db.set_tp("tp_destinations", [TPDestination(TPid="TUT", ID="OLD", Prefixes=["1"])])
    good = store_module.KINDS["attributes"]

    def explode(item: object) -> list[dict[str, object]]:
        raise RuntimeError("disk on fire")

    broken = TPKind(good.table, good.model, good.key, explode, good.add)
    monkeypatch.setitem(store_module.KINDS, "attributes", broken)
    with pytest.raises(RuntimeError, match="disk on fire"):
        await db.set_tariff_plan(plan, flush=True)
    after = await db.get_tariff_plan("TUT")
    # neither the flush nor the files before Attributes.csv were kept
    assert [d.ID for d in after.destinations] == ["OLD"]
    assert after.actions == []
