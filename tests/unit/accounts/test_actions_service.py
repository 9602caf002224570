"""ActionService over a real internal DataDB: the account actions and how a run goes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
import pytest

from tollgate.accounts import AccountService
from tollgate.accounts.actions import (
    ACTIONS,
    REMOVE_ACCOUNT,
    ActionFilterError,
    ActionService,
    ActionsFailedError,
    removes_account,
)
from tollgate.accounts.counters import init_counters
from tollgate.accounts.models import (
    Account,
    ActionTrigger,
    Balance,
    CounterFilter,
    StoredAccount,
    StoredBalanceFilter,
    UnitCounter,
)
from tollgate.accounts.service import ACCOUNTS
from tollgate.core.config import Config, load_config
from tollgate.core.errors import NotFoundError, PartiallyExecutedError
from tollgate.rpc.pool import ConnManager
from tollgate.storage.datadb import InternalDataDB
from tollgate.tariffplans import TPAction, TPActions

ACC = "cgrates.org:1001"
NOW = 1_700_000_000 * 10**9  # 2023-11-14T22:13:20Z
FUTURE = "2030-01-01T00:00:00Z"
PAST = "2020-01-01T00:00:00Z"


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[InternalDataDB]:
    store = InternalDataDB(tmp_path)
    await store.open()
    yield store
    await store.close()


@pytest.fixture
def accounts(db: InternalDataDB) -> AccountService:
    return AccountService(lambda: db, clock=lambda: NOW)


@pytest.fixture
def cfg() -> Config:
    return load_config(None).merged({"general": {"default_timezone": "UTC"}})


@pytest.fixture
async def service(
    db: InternalDataDB, accounts: AccountService, cfg: Config
) -> AsyncIterator[ActionService]:
    svc = ActionService(
        lambda: db, accounts, conns=lambda: ConnManager({}), config=lambda: cfg, clock=lambda: NOW
    )
    yield svc
    await svc.close()


def row(identifier: str, **fields: Any) -> TPAction:
    return TPAction(Identifier=identifier, Weight=Decimal(fields.pop("Weight", 10)), **fields)


async def store(db: InternalDataDB, actions_id: str, *rows: TPAction) -> None:
    group = TPActions(ID=actions_id, Actions=list(rows))
    await db.set(ACTIONS, actions_id, msgspec.msgpack.encode(group))


async def put(accounts: AccountService, acc: Account) -> None:
    async with accounts.locked(acc.ID):
        await accounts.commit(StoredAccount(account=acc))


def money(*values: str | int, ids: tuple[str, ...] = ()) -> list[Balance]:
    names = ids or tuple("" for _ in values)
    return [
        Balance(Uuid=f"u{i}", ID=name, Value=Decimal(v))
        for i, (v, name) in enumerate(zip(values, names, strict=True))
    ]


async def values(accounts: AccountService, kind: str = "*monetary") -> list[Decimal]:
    acc = await accounts.get(ACC)
    return [b.Value for b in (acc.BalanceMap or {}).get(kind) or []]


# -- loading the actions ------------------------------------------------------------------------


async def test_actions_come_by_weight_and_unknown_ids_are_not_found(
    service: ActionService, db: InternalDataDB
) -> None:
    await store(db, "A", row("*log", Weight=10), row("*topup", Weight=30), row("*debit", Weight=20))
    assert [a.action_type for a in await service.get_actions("A")] == [
        "*topup", "*debit", "*log",
    ]  # fmt: skip
    assert [a.action_type for a in await service.stored_actions("A")] == [
        "*log", "*topup", "*debit",
    ]  # fmt: skip
    for missing in ("B", ""):
        with pytest.raises(NotFoundError):
            await service.get_actions(missing)


async def test_a_load_drops_the_converted_actions(
    service: ActionService, db: InternalDataDB
) -> None:
    await store(db, "A", row("*log"))
    assert len(await service.get_actions("A")) == 1
    await store(db, "A", row("*log"), row("*log"))
    assert len(await service.get_actions("A")) == 1  # still the converted ones
    await service.on_load(db)
    assert len(await service.get_actions("A")) == 2


# -- balance actions ----------------------------------------------------------------------------


async def test_topup_creates_the_account_and_adds_to_every_match(
    service: ActionService, db: InternalDataDB, accounts: AccountService
) -> None:
    await store(db, "TOPUP", row("*topup", BalanceType="*monetary", Units="10"))
    await service.execute("TOPUP", [ACC])
    assert await values(accounts) == [10]
    await put(accounts, Account(ID=ACC, BalanceMap={"*monetary": money(100, 15)}))
    await service.execute("TOPUP", [ACC])
    assert await values(accounts) == [110, 25]  # no ID in the filter: every balance matches


async def test_topup_reset_sets_the_value_of_the_balance_named(
    service: ActionService, db: InternalDataDB, accounts: AccountService
) -> None:
    await put(accounts, Account(ID=ACC, BalanceMap={"*monetary": money(100, 15, ids=("", "B"))}))
    await store(db, "R", row("*topup_reset", BalanceType="*monetary", BalanceId="B", Units="10"))
    for _ in range(2):
        await service.execute("R", [ACC])
    assert await values(accounts) == [100, 10]


async def test_debit_and_debit_reset_take_value_off(
    service: ActionService, db: InternalDataDB, accounts: AccountService
) -> None:
    await put(accounts, Account(ID=ACC, BalanceMap={"*monetary": money(100)}))
    await store(db, "D", row("*debit", BalanceType="*monetary", Units="10.123456"))
    await service.execute("D", [ACC])
    assert await values(accounts) == [Decimal("89.87654")]  # rounded *middle, 5 decimals
    await store(db, "DR", row("*debit_reset", BalanceType="*monetary", Units="3"))
    await service.execute("DR", [ACC])
    assert await values(accounts) == [-3]


async def test_voice_units_are_durations_and_expiry_separates_balances(
    service: ActionService, db: InternalDataDB, accounts: AccountService
) -> None:
    await store(
        db,
        "V",
        row("*topup", BalanceType="*voice", Units="60s", DestinationIds="NAT", ExpiryTime=FUTURE),
    )
    await service.execute("V", [ACC])
    await service.execute("V", [ACC])
    acc = await accounts.get(ACC)
    [voice] = (acc.BalanceMap or {})["*voice"]
    assert (voice.Value, voice.ExpirationDate) == (120_000_000_000, FUTURE)
    assert voice.DestinationIDs == {"NAT": True}
    await store(db, "V2", row("*topup", BalanceType="*voice", Units="60s", ExpiryTime="+1h"))
    await service.execute("V2", [ACC])
    later = (await accounts.get(ACC)).BalanceMap["*voice"]  # type: ignore[index]
    assert [b.ExpirationDate for b in later] == [FUTURE, "2023-11-14T23:13:20Z"]


async def test_value_factor_in_extra_parameters_goes_on_a_new_balance(
    service: ActionService, db: InternalDataDB, accounts: AccountService
) -> None:
    await store(
        db,
        "F",
        row("*topup", BalanceType="*monetary", Units="10", ExtraParameters='{"*monetary":2}'),
    )
    await service.execute("F", [ACC])
    [b] = (await accounts.get(ACC)).BalanceMap["*monetary"]  # type: ignore[index]
    assert b.Factor == {"*monetary": 2}


async def test_topup_zero_negative_zeroes_only_negative_matches(
    service: ActionService, db: InternalDataDB, accounts: AccountService
) -> None:
    await put(accounts, Account(ID=ACC, BalanceMap={"*monetary": money(-10, 5)}))
    await store(db, "Z", row("*topup_zero_negative", BalanceType="*monetary"))
    await service.execute("Z", [ACC])
    assert await values(accounts) == [0, 5]


async def test_set_balance_finds_by_id_across_types_or_creates(
    service: ActionService, db: InternalDataDB, accounts: AccountService
) -> None:
    await put(accounts, Account(ID=ACC, BalanceMap={"*monetary": money(1, 6, ids=("m1", "m2"))}))
    await store(
        db, "S", row("*set_balance", BalanceType="*monetary", BalanceId="m2", Units="11",
                     BalanceWeight="10")
    )  # fmt: skip
    await service.execute("S", [ACC])
    b = (await accounts.get(ACC)).BalanceMap["*monetary"][1]  # type: ignore[index]
    assert (b.ID, b.Value, b.Weight) == ("m2", 11, 10)
    await store(db, "NEW", row("*set_balance", BalanceType="*sms", BalanceId="s1", Units="5"))
    await service.execute("NEW", [ACC])
    assert await values(accounts, "*sms") == [5]
    # a UUID that is not there fails the run
    await store(db, "U", row("*set_balance", BalanceType="*sms", BalanceUuid="nope", Units="5"))
    with pytest.raises(PartiallyExecutedError):
        await service.execute("U", [ACC])
    # no type and no such id: "missing balance type"
    await store(db, "T", row("*set_balance", BalanceId="other", Units="5"))
    with pytest.raises(PartiallyExecutedError):
        await service.execute("T", [ACC])


async def test_remove_balance_and_remove_expired(
    service: ActionService, db: InternalDataDB, accounts: AccountService
) -> None:
    balances = [
        Balance(Uuid="a", Value=Decimal(10)),
        Balance(Uuid="b", Value=Decimal(10), DestinationIDs={"NAT": True, "RET": True},
                ExpirationDate=PAST),
        Balance(Uuid="c", Value=Decimal(10), DestinationIDs={"NAT": True, "RET": True}),
    ]  # fmt: skip
    await put(accounts, Account(ID=ACC, BalanceMap={"*monetary": balances}))
    await store(db, "EXP", row("*remove_expired", BalanceType="*monetary"))
    await service.execute("EXP", [ACC])
    assert [b.Uuid for b in (await accounts.get(ACC)).BalanceMap["*monetary"]] == ["a", "c"]  # type: ignore[index]
    with pytest.raises(PartiallyExecutedError):  # nothing expired any more: NOT_FOUND
        await service.execute("EXP", [ACC])
    await store(db, "RM", row("*remove_balance", BalanceType="*monetary", DestinationIds="NAT;RET"))
    await service.execute("RM", [ACC])
    assert [b.Uuid for b in (await accounts.get(ACC)).BalanceMap["*monetary"]] == ["a"]  # type: ignore[index]


async def test_set_expiry_matches_without_comparing_expiry(
    service: ActionService, db: InternalDataDB, accounts: AccountService
) -> None:
    await put(accounts, Account(ID=ACC, BalanceMap={"*monetary": money(-10, 5, ids=("B1", "B2"))}))
    await store(db, "E", row("*set_expiry", BalanceType="*monetary", BalanceId="B1",
                             ExpiryTime=FUTURE))  # fmt: skip
    await service.execute("E", [ACC])
    b1, b2 = (await accounts.get(ACC)).BalanceMap["*monetary"]  # type: ignore[index]
    assert (b1.ExpirationDate, b2.ExpirationDate) == (FUTURE, "0001-01-01T00:00:00Z")


async def test_transfer_monetary_default(
    service: ActionService, db: InternalDataDB, accounts: AccountService
) -> None:
    await put(
        accounts,
        Account(
            ID=ACC, BalanceMap={"*monetary": money(10, 3, 6, -2, ids=("*default", "", "", ""))}
        ),
    )
    await store(db, "T", row("*transfer_monetary_default"))
    await service.execute("T", [ACC])
    assert await values(accounts) == [19, 0, 0, -2]
    # filtered by weight, and a default balance made when missing
    weighted = [Balance(Uuid="x", Value=Decimal(3), Weight=Decimal(20)),
                Balance(Uuid="y", Value=Decimal(1), Weight=Decimal(10))]  # fmt: skip
    await put(accounts, Account(ID=ACC, BalanceMap={"*monetary": weighted}))
    await store(db, "TW", row("*transfer_monetary_default", BalanceWeight="20"))
    await service.execute("TW", [ACC])
    assert await values(accounts) == [0, 1, 3]
    # an account without monetary balances: NOT_FOUND
    await put(accounts, Account(ID=ACC, BalanceMap={"*sms": money(1)}))
    with pytest.raises(PartiallyExecutedError):
        await service.execute("T", [ACC])


async def test_account_flags(
    service: ActionService, db: InternalDataDB, accounts: AccountService
) -> None:
    await store(db, "ON", row("*allow_negative"), row("*disable_account"))
    await service.execute("ON", [ACC])
    acc = await accounts.get(ACC)
    assert (acc.AllowNegative, acc.Disabled) == (True, True)
    await store(db, "OFF", row("*deny_negative"), row("*enable_account"))
    await service.execute("OFF", [ACC])
    acc = await accounts.get(ACC)
    assert (acc.AllowNegative, acc.Disabled) == (False, False)


def _trigger(uid: str, kind: str = "*monetary", ttype: str = "*min_balance") -> ActionTrigger:
    return ActionTrigger(
        ID="GROUP",
        UniqueID=uid,
        ThresholdType=ttype,
        ThresholdValue=Decimal(2),
        Balance=StoredBalanceFilter(Type=kind),
        ActionsID="NONE",
        Executed=True,
    )


async def test_reset_account_zeroes_balances_and_resets_triggers(
    service: ActionService, db: InternalDataDB, accounts: AccountService
) -> None:
    acc = Account(
        ID=ACC,
        AllowNegative=True,
        BalanceMap={"*monetary": money(100), "*voice": money(10, 20)},
        ActionTriggers=[_trigger("t1", "*sms"), _trigger("t2", "*sms")],
    )
    await put(accounts, acc)
    await store(db, "RESET", row("*reset_account"))
    await service.execute("RESET", [ACC])
    after = await accounts.get(ACC)
    assert after.AllowNegative
    assert {k: [b.Value for b in v] for k, v in (after.BalanceMap or {}).items()} == {
        "*monetary": [0], "*voice": [0],
    }  # fmt: skip
    assert [at.Executed for at in after.ActionTriggers or []] == [False, False]
    assert after.UnitCounters is None


async def test_reset_triggers_and_recurrent_follow_the_action_filter(
    service: ActionService, db: InternalDataDB, accounts: AccountService
) -> None:
    acc = Account(ID=ACC, ActionTriggers=[_trigger("m1"), _trigger("s1", "*sms")])
    await put(accounts, acc)
    await store(db, "R", row("*reset_triggers", BalanceType="*sms"))
    await service.execute("R", [ACC])
    assert [at.Executed for at in (await accounts.get(ACC)).ActionTriggers or []] == [True, False]
    await store(db, "REC", row("*set_recurrent", ExtraParameters='{"UniqueID":"m1"}'))
    await service.execute("REC", [ACC])
    assert [at.Recurrent for at in (await accounts.get(ACC)).ActionTriggers or []] == [True, False]
    await store(db, "UNREC", row("*unset_recurrent"))
    await service.execute("UNREC", [ACC])
    assert [at.Recurrent for at in (await accounts.get(ACC)).ActionTriggers or []] == [False, False]


async def test_reset_counters_zeroes_the_counters_of_the_type(
    service: ActionService, db: InternalDataDB, accounts: AccountService
) -> None:
    at = _trigger("", ttype="*max_event_counter")
    at.Balance = StoredBalanceFilter(Type="*monetary")
    acc = Account(ID=ACC, ActionTriggers=[at])
    init_counters(acc)
    assert acc.UnitCounters is not None
    acc.UnitCounters["*monetary"][0].Counters[0].Value = Decimal(5)  # type: ignore[index]
    acc.UnitCounters["*sms"] = [
        UnitCounter(CounterType="*event", Counters=[CounterFilter(Value=Decimal(1))])
    ]
    await put(accounts, acc)
    await store(db, "RC", row("*reset_counters", BalanceType="*monetary"))
    await service.execute("RC", [ACC])
    counters = (await accounts.get(ACC)).UnitCounters or {}
    assert counters["*monetary"][0].Counters[0].Value == 0  # type: ignore[index]
    assert counters["*sms"][0].Counters[0].Value == 1  # type: ignore[index]


# -- how a run goes -----------------------------------------------------------------------------


async def test_a_failing_action_stops_the_run_and_the_account_is_not_written(
    service: ActionService, db: InternalDataDB, accounts: AccountService
) -> None:
    await put(accounts, Account(ID=ACC, BalanceMap={"*monetary": money(10)}))
    await store(
        db, "T", row("*topup", BalanceType="*monetary", Units="1.1", Weight=20),
        row("VALID_FUNCTION_TYPE", Weight=10),
    )  # fmt: skip
    with pytest.raises(PartiallyExecutedError) as info:
        await service.execute("T", [ACC])
    assert str(info.value) == "PARTIALLY_EXECUTED"
    assert await values(accounts) == [10]
    # apply_to_account reports which action failed and what the ones before changed
    stored = await accounts.load(ACC)
    assert stored is not None
    with pytest.raises(ActionsFailedError) as failed:
        await service.apply_to_account(stored, "T")
    assert failed.value.action.action_type == "VALID_FUNCTION_TYPE"
    assert [c.amount for c in failed.value.changes] == [Decimal("-1.1")]


async def test_other_accounts_are_still_written_when_one_fails(
    service: ActionService, db: InternalDataDB, accounts: AccountService
) -> None:
    other = "cgrates.org:1002"
    await put(accounts, Account(ID=other, BalanceMap={"*sms": money(1)}))
    await store(db, "R", row("*remove_expired", BalanceType="*sms", Weight=10),
                row("*topup", BalanceType="*monetary", Units="5", Weight=20))  # fmt: skip
    with pytest.raises(PartiallyExecutedError):
        await service.execute("R", [other, ACC])
    assert (await accounts.get(other)).BalanceMap["*sms"][0].Value == 1  # type: ignore[index]
    with pytest.raises(NotFoundError):  # ACC had no *sms balances: not written either
        await accounts.get(ACC)


async def test_filters_pick_the_accounts_an_action_runs_on(
    service: ActionService, db: InternalDataDB, accounts: AccountService
) -> None:
    balances = [Balance(Uuid="d", ID="*default", Value=Decimal(10), Weight=Decimal(20)),
                Balance(Uuid="x", Value=Decimal(1), Weight=Decimal(10))]  # fmt: skip
    await put(accounts, Account(ID=ACC, BalanceMap={"*monetary": balances}))
    await store(db, "C", row("*topup", BalanceType="*monetary", Units="11", BalanceWeight="30",
                             Filter='{"Type":"*monetary","Value":1,"Weight":10}'))  # fmt: skip
    await service.execute("C", [ACC])
    assert await values(accounts) == [10, 1, 11]
    await store(db, "N", row("*topup", BalanceType="*monetary", Units="11",
                             Filter='{"Type":"*voice","Value":{"*gte":100}}'))  # fmt: skip
    await service.execute("N", [ACC])
    assert await values(accounts) == [10, 1, 11]
    # a filter naming a field balances do not have skips the account silently (reply OK)
    await store(db, "BAD", row("*topup", BalanceType="*monetary", Units="1",
                               Filter='{"Id":"*default"}'))  # fmt: skip
    await service.execute("BAD", [ACC])
    assert await values(accounts) == [10, 1, 11]
    stored = await accounts.load(ACC)
    assert stored is not None
    with pytest.raises(ActionFilterError, match="INVALID_ARGUMENT: Id"):
        await service.apply_to_account(stored, "BAD")


async def test_remove_account_with_and_without_an_account(
    service: ActionService, db: InternalDataDB, accounts: AccountService
) -> None:
    removed: list[str] = []

    async def hook(account_id: str) -> None:
        removed.append(account_id)

    service.accounts.removed_hooks.append(hook)
    await put(accounts, Account(ID=ACC, BalanceMap={"*monetary": money(1)}))
    await store(db, "RM", row("*remove_account"))
    stored = await accounts.load(ACC)
    assert stored is not None
    changes = await service.apply_to_account(stored, "RM")
    assert removes_account(changes)
    assert changes[-1].kind == REMOVE_ACCOUNT
    await service.execute("RM", [ACC])
    assert await db.get(ACCOUNTS, ACC) is None
    other = "cgrates.org:1002"
    await put(accounts, Account(ID=other))
    named = '{"Tenant":"cgrates.org","Account":"1002"}'
    await store(db, "RM2", row("*remove_account", ExtraParameters=named))
    await service.execute("RM2", [])
    assert await db.get(ACCOUNTS, other) is None
    assert removed == [ACC, other]


async def test_without_accounts_actions_needing_one_fail(
    service: ActionService, db: InternalDataDB
) -> None:
    await store(db, "LOG", row("*log"))
    await service.execute("LOG", [])
    await store(db, "TOP", row("*topup", BalanceType="*monetary", Units="1"))
    with pytest.raises(PartiallyExecutedError):
        await service.execute("TOP", [])
    with pytest.raises(NotFoundError):
        await service.execute("MISSING", [ACC])


async def test_changes_reach_the_commit_hooks(
    service: ActionService, db: InternalDataDB, accounts: AccountService
) -> None:
    seen: list[list[tuple[str, Decimal]]] = []

    async def hook(stored: StoredAccount, changes: Any) -> None:
        seen.append([(c.kind, c.amount) for c in changes])

    accounts.change_hooks.append(hook)
    await store(db, "TD", row("*topup", BalanceType="*monetary", Units="10", Weight=20),
                row("*debit", BalanceType="*sms", Units="2", Weight=10))  # fmt: skip
    await service.execute("TD", [ACC])
    assert seen == [[("*monetary", Decimal(-10)), ("*sms", Decimal(2))]]
