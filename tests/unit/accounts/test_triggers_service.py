"""TriggerService: attaching trigger groups and firing them on balance changes.

A real internal DataDB and AccountService; the actions a trigger runs go through a small
fake ActionService that records what it ran.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import msgspec
import pytest

from tollgate.accounts import AccountService, BalanceChange, balance_filter
from tollgate.accounts.balances import BalanceFilter, topup_or_debit
from tollgate.accounts.models import Account, Balance, StoredAccount
from tollgate.accounts.service import REMOVE_ACCOUNT
from tollgate.accounts.triggers import ACTION_TRIGGERS, TriggerService
from tollgate.core.errors import NotFoundError
from tollgate.core.times import format_rfc3339
from tollgate.core.wire import encode
from tollgate.storage.datadb import InternalDataDB
from tollgate.tariffplans.models_accounts import TPActionTrigger, TPActionTriggers

ACC = "cgrates.org:1001"
NOW = 1_700_000_000 * 10**9  # 2023-11-14T22:13:20Z
SECOND = 10**9


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> int:
        return self.now


class FakeActions:
    """``apply_to_account`` for a few ActionsIDs: TOPUP10 (*topup 10 *default), DISABLE,
    REMOVE (*remove_account), LOG (nothing); any other id is NOT_FOUND, as a missing action
    set is."""

    def __init__(self) -> None:
        self.ran: list[str] = []

    async def apply_to_account(self, stored: StoredAccount, actions_id: str) -> list[BalanceChange]:
        acc = stored.account
        if actions_id == "DISABLE":
            acc.Disabled = True
        elif actions_id == "REMOVE":
            self.ran.append(actions_id)
            return [BalanceChange(REMOVE_ACCOUNT, Decimal(0))]
        elif actions_id == "TOPUP10":
            topup_or_debit(
                acc,
                "*monetary",
                BalanceFilter(ID="*default"),
                Decimal(-10),
                reset=False,
                decimals=5,
                now_ns=NOW,
            )
        elif actions_id != "LOG":
            raise NotFoundError()
        self.ran.append(actions_id)
        return []


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[InternalDataDB]:
    store = InternalDataDB(tmp_path)
    await store.open()
    yield store
    await store.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def accounts(db: InternalDataDB, clock: Clock) -> AccountService:
    return AccountService(lambda: db, clock=clock)


@pytest.fixture
def actions() -> FakeActions:
    return FakeActions()


@pytest.fixture
def triggers(
    db: InternalDataDB, accounts: AccountService, actions: FakeActions, clock: Clock
) -> TriggerService:
    service = TriggerService(
        lambda: db,
        accounts,
        lambda: actions,
        destination_ids=lambda number: ["DST_49"] if number.startswith("49") else [],
        clock=clock,
    )
    accounts.change_hooks.append(service.on_change)
    return service


async def store_group(db: InternalDataDB, group_id: str, *rows: TPActionTrigger) -> None:
    group = TPActionTriggers(TPid="TP", ID=group_id, ActionTriggers=list(rows))
    await db.set(ACTION_TRIGGERS, group_id, msgspec.msgpack.encode(group))


def row(threshold: str, value: int | str, actions: str, **fields: object) -> TPActionTrigger:
    return TPActionTrigger(
        ThresholdType=threshold,
        ThresholdValue=Decimal(value),
        ActionsId=actions,
        BalanceType=str(fields.pop("BalanceType", "*monetary")),
        Weight=Decimal(str(fields.pop("Weight", 10))),
        **fields,  # type: ignore[arg-type]
    )


async def attach(
    accounts: AccountService, triggers: TriggerService, *ids: str, overwrite: bool = False
) -> Account:
    await accounts.set_account(ACC)
    await triggers.set_account_triggers(ACC, ids, overwrite=overwrite)
    return await accounts.get(ACC)


def bf_of(fields: dict[str, object], value: int | str) -> BalanceFilter:
    bf = balance_filter(fields)
    bf.Value = Decimal(value)
    return bf


async def set_default(accounts: AccountService, value: int | str) -> Account:
    return await accounts.set_balance(ACC, "*monetary", bf_of({"ID": "*default"}, value))


# -- attaching ---------------------------------------------------------------------------------


async def test_attach_gives_the_v0_10_wire_shape(
    db: InternalDataDB, accounts: AccountService, triggers: TriggerService
) -> None:
    await store_group(
        db,
        "STANDARD_TRIGGERS",
        row("*max_balance", 100, "DISABLE", UniqueID="u1", MinSleep="1m", Recurrent=True),
    )
    acc = await attach(accounts, triggers, "STANDARD_TRIGGERS")
    [at] = msgspec.json.decode(encode(acc))["ActionTriggers"]
    assert at == {
        "ID": "STANDARD_TRIGGERS",
        "UniqueID": "u1",
        "ThresholdType": "*max_balance",
        "ThresholdValue": 100,
        "Recurrent": True,
        "MinSleep": 60 * SECOND,
        "ExpirationDate": "0001-01-01T00:00:00Z",
        "ActivationDate": "0001-01-01T00:00:00Z",
        "Balance": {
            "Uuid": None,
            "ID": None,
            "Type": "*monetary",
            "Value": None,
            "ExpirationDate": None,
            "Weight": None,
            "DestinationIDs": None,
            "RatingSubject": None,
            "Categories": None,
            "SharedGroups": None,
            "TimingIDs": None,
            "Timings": None,
            "Disabled": None,
            "Factor": None,
            "Blocker": None,
        },
        "Weight": 10,
        "ActionsID": "DISABLE",
        "MinQueuedItems": 0,
        "Executed": False,
        "LastExecutionTime": "0001-01-01T00:00:00Z",
    }
    assert acc.UnitCounters is None  # no counter trigger, no counters


async def test_attach_keeps_generated_unique_ids_stable_and_does_not_duplicate(
    db: InternalDataDB, accounts: AccountService, triggers: TriggerService
) -> None:
    await store_group(db, "T", row("*min_balance", 2, "LOG"), row("*max_balance", 20, "LOG"))
    first = await attach(accounts, triggers, "T")
    again = await attach(accounts, triggers, "T")  # same ID+UniqueID: not added twice
    assert [at.UniqueID for at in again.ActionTriggers or ()] == [
        at.UniqueID for at in first.ActionTriggers or ()
    ]
    assert len({at.UniqueID for at in first.ActionTriggers or ()}) == 2
    got = await triggers.get_triggers("T")
    assert [at.UniqueID for at in got] == [at.UniqueID for at in first.ActionTriggers or ()]


async def test_attach_overwrite_and_unknown_ids(
    db: InternalDataDB, accounts: AccountService, triggers: TriggerService
) -> None:
    await store_group(db, "A", row("*min_balance", 2, "LOG", UniqueID="a"))
    await store_group(db, "B", row("*max_balance", 9, "LOG", UniqueID="b"))
    await attach(accounts, triggers, "A")
    acc = await attach(accounts, triggers, "B")
    assert [at.UniqueID for at in acc.ActionTriggers or ()] == ["a", "b"]
    acc = await attach(accounts, triggers, "B", overwrite=True)
    assert [at.UniqueID for at in acc.ActionTriggers or ()] == ["b"]
    with pytest.raises(NotFoundError):
        await triggers.set_account_triggers(ACC, ["B", "MISSING"], overwrite=True)
    assert [at.UniqueID for at in (await accounts.get(ACC)).ActionTriggers or ()] == ["b"]


async def test_tp_row_fields_become_the_balance_filter(
    db: InternalDataDB, accounts: AccountService, triggers: TriggerService
) -> None:
    await store_group(
        db,
        "F",
        row(
            "*min_balance",
            "0.5",
            "LOG",
            UniqueID="f",
            BalanceId="*any",
            BalanceDestinationIds="DST1;!DST2",
            BalanceWeight="20",
            BalanceCategories="call",
            BalanceBlocker="true",
            BalanceExpirationDate="2030-01-01T00:00:00Z",
            ExpirationDate="2031-01-01T00:00:00Z",
            ActivationDate="2020-01-01T00:00:00Z",
        ),
    )
    [at] = (await attach(accounts, triggers, "F")).ActionTriggers or []
    bf = at.Balance
    assert bf is not None
    assert bf.ID is None  # *any means "not set"
    assert bf.DestinationIDs == {"DST1": True, "DST2": False}
    assert (bf.Weight, bf.Categories, bf.Blocker) == (20, {"call": True}, True)
    assert bf.ExpirationDate == "2030-01-01T00:00:00Z"
    assert (at.ThresholdValue, at.ExpirationDate) == (Decimal("0.5"), "2031-01-01T00:00:00Z")


# -- balance thresholds ------------------------------------------------------------------------


async def test_max_balance_fires_once_when_crossed(
    db: InternalDataDB, accounts: AccountService, triggers: TriggerService, actions: FakeActions
) -> None:
    await store_group(db, "T", row("*max_balance", 100, "DISABLE"))
    await attach(accounts, triggers, "T")
    acc = await set_default(accounts, 1)
    assert not acc.Disabled
    assert actions.ran == []
    acc = await set_default(accounts, 101)
    assert acc.Disabled
    assert actions.ran == ["DISABLE"]
    [at] = acc.ActionTriggers or []
    assert at.Executed
    assert at.LastExecutionTime == format_rfc3339(NOW)
    await accounts.set_account(ACC, disabled=False)
    await set_default(accounts, 150)
    assert actions.ran == ["DISABLE"]  # executed: not again until reset
    assert not (await accounts.get(ACC)).Disabled


async def test_min_balance_tops_up_and_the_top_up_is_not_evaluated_again(
    db: InternalDataDB, accounts: AccountService, triggers: TriggerService, actions: FakeActions
) -> None:
    await store_group(
        db,
        "T",
        row("*min_balance", 2, "TOPUP10", Weight=20),
        row("*max_balance", 5, "DISABLE", Weight=10),
    )
    await attach(accounts, triggers, "T")
    await set_default(accounts, 5)  # not above 5? 5 >= 5: the max trigger fires
    assert actions.ran == ["DISABLE"]
    await accounts.set_account(ACC, disabled=False)
    acc = await accounts.debit(
        ACC, "*monetary", balance_filter({"ID": "*default"}), Decimal(4), reset=False
    )
    # 1 <= 2: topped up to 11; the max trigger (already executed) does not run again
    assert acc.BalanceMap["*monetary"][0].Value == 11  # type: ignore[index]
    assert actions.ran == ["DISABLE", "TOPUP10"]


async def test_a_later_trigger_sees_what_an_earlier_ones_actions_changed(
    db: InternalDataDB, accounts: AccountService, triggers: TriggerService, actions: FakeActions
) -> None:
    await store_group(
        db,
        "T",
        row("*max_balance", 10, "DISABLE", Weight=10),
        row("*min_balance", 2, "TOPUP10", Weight=20),
    )
    await attach(accounts, triggers, "T")
    acc = await set_default(accounts, 1)
    # weight 20 first: 1 <= 2 tops up to 11; then weight 10 sees 11 >= 10 in the same round
    assert actions.ran == ["TOPUP10", "DISABLE"]
    assert [at.Weight for at in acc.ActionTriggers or ()] == [20, 10]  # sorted, as stored


async def test_recurrent_and_min_sleep(
    db: InternalDataDB,
    accounts: AccountService,
    triggers: TriggerService,
    actions: FakeActions,
    clock: Clock,
) -> None:
    await store_group(db, "T", row("*min_balance", 2, "LOG", Recurrent=True, MinSleep="10s"))
    await attach(accounts, triggers, "T")
    await set_default(accounts, 1)
    await set_default(accounts, 0)  # within MinSleep
    assert actions.ran == ["LOG"]
    clock.now += 11 * SECOND
    acc = await set_default(accounts, "0.5")
    assert actions.ran == ["LOG", "LOG"]
    [at] = acc.ActionTriggers or []
    assert not at.Executed  # recurrent triggers stay ready


async def test_recurrent_without_min_sleep_fires_on_every_change(
    db: InternalDataDB, accounts: AccountService, triggers: TriggerService, actions: FakeActions
) -> None:
    await store_group(db, "T", row("*min_balance", 2, "LOG", Recurrent=True))
    await attach(accounts, triggers, "T")
    for value in (1, 0, 2):
        await set_default(accounts, value)
    await set_default(accounts, 3)
    assert actions.ran == ["LOG"] * 3


async def test_activation_and_expiration_dates(
    db: InternalDataDB,
    accounts: AccountService,
    triggers: TriggerService,
    actions: FakeActions,
    clock: Clock,
) -> None:
    later = format_rfc3339(NOW + 60 * SECOND)
    await store_group(
        db,
        "T",
        row("*min_balance", 2, "LOG", UniqueID="later", ActivationDate=later, Recurrent=True),
        row("*min_balance", 2, "LOG", UniqueID="ending", ExpirationDate=later, Recurrent=True),
    )
    await attach(accounts, triggers, "T")
    await set_default(accounts, 1)
    assert actions.ran == ["LOG"]  # only "ending" is active
    clock.now += 120 * SECOND
    acc = await set_default(accounts, 0)
    assert actions.ran == ["LOG", "LOG"]  # now only "later"
    # an expired trigger leaves the account
    assert [at.UniqueID for at in acc.ActionTriggers or ()] == ["later"]


async def test_balance_filter_selects_the_balance(
    db: InternalDataDB, accounts: AccountService, triggers: TriggerService, actions: FakeActions
) -> None:
    await store_group(db, "T", row("*min_balance", 2, "LOG", BalanceId="SAVINGS"))
    await attach(accounts, triggers, "T")
    await set_default(accounts, 1)
    assert actions.ran == []
    await accounts.set_balance(ACC, "*monetary", bf_of({"ID": "SAVINGS"}, 1))
    assert actions.ran == ["LOG"]


async def test_balance_filter_string_maps_must_be_equal(
    db: InternalDataDB, accounts: AccountService, triggers: TriggerService, actions: FakeActions
) -> None:
    await store_group(db, "T", row("*min_balance", 2, "LOG", BalanceDestinationIds="DE"))
    await attach(accounts, triggers, "T")
    await accounts.set_balance(ACC, "*monetary", bf_of({"ID": "B", "DestinationIDs": "DE;FR"}, 1))
    assert actions.ran == []  # HardMatchFilter: {DE, FR} is not {DE}
    await accounts.set_balance(ACC, "*monetary", bf_of({"ID": "C", "DestinationIDs": "DE"}, 1))
    assert actions.ran == ["LOG"]


async def test_only_changed_balances_are_checked(
    db: InternalDataDB, accounts: AccountService, triggers: TriggerService, actions: FakeActions
) -> None:
    await accounts.set_balance(ACC, "*monetary", bf_of({"ID": "LOW"}, 0))
    await store_group(db, "T", row("*min_balance", 2, "LOG"))
    await attach(accounts, triggers, "T")
    await set_default(accounts, 50)  # LOW (0) is below 2 but was not touched
    assert actions.ran == []


async def test_balance_expired(
    db: InternalDataDB, accounts: AccountService, triggers: TriggerService, actions: FakeActions
) -> None:
    await store_group(db, "T", row("*balance_expired", 0, "LOG"))
    await attach(accounts, triggers, "T")
    past = format_rfc3339(NOW - SECOND)
    await accounts.set_balance(ACC, "*monetary", bf_of({"ID": "OLD", "ExpiryTime": past}, 5))
    acc = await set_default(accounts, 1)
    assert actions.ran == ["LOG"]
    # rals.remove_expired (the default) drops the expired balance afterwards
    assert [b.ID for b in acc.BalanceMap["*monetary"]] == ["*default"]  # type: ignore[index]


async def test_disabled_account_does_not_fire(
    db: InternalDataDB, accounts: AccountService, triggers: TriggerService, actions: FakeActions
) -> None:
    await store_group(db, "T", row("*min_balance", 2, "LOG"))
    await attach(accounts, triggers, "T")
    await accounts.set_account(ACC, disabled=True)
    acc = await set_default(accounts, 1)
    assert actions.ran == []
    assert not (acc.ActionTriggers or [])[0].Executed


async def test_missing_actions_leave_the_trigger_ready(
    db: InternalDataDB, accounts: AccountService, triggers: TriggerService, actions: FakeActions
) -> None:
    await store_group(db, "T", row("*min_balance", 2, "NO_SUCH_ACTIONS"))
    await attach(accounts, triggers, "T")
    acc = await set_default(accounts, 1)
    [at] = acc.ActionTriggers or []
    assert not at.Executed
    assert at.LastExecutionTime == format_rfc3339(NOW)


async def test_set_account_alone_does_not_evaluate(
    db: InternalDataDB, accounts: AccountService, triggers: TriggerService, actions: FakeActions
) -> None:
    await set_default(accounts, 1)
    await store_group(db, "T", row("*min_balance", 2, "LOG"))
    await attach(accounts, triggers, "T")
    await accounts.set_account(ACC, allow_negative=True)
    assert actions.ran == []


# -- counter thresholds ------------------------------------------------------------------------


async def debit_call(
    accounts: AccountService,
    amount: str,
    destination: str,
    balance_id: str = "*default",
    *,
    rated: bool = True,
    category: str = "call",
) -> Account:
    """A rated debit as Responder.Debit commits it: the balance named, the destination
    (``rated=False``: a change an action made, which counters do not count)."""
    async with accounts.locked(ACC):
        stored = await accounts.load(ACC)
        assert stored is not None
        balance: Balance = next(
            b for b in (stored.account.BalanceMap or {})["*monetary"] if balance_id == b.ID
        )
        balance.Value -= Decimal(amount)
        await accounts.commit(
            stored,
            [
                BalanceChange(
                    "*monetary",
                    Decimal(amount),
                    balance,
                    destination,
                    rated=rated,
                    category=category,
                )
            ],
        )
        return stored.account


async def test_max_event_counter_counts_calls_to_its_destinations(
    db: InternalDataDB, accounts: AccountService, triggers: TriggerService, actions: FakeActions
) -> None:
    await store_group(
        db, "T", row("*max_event_counter", 5, "LOG", UniqueID="ev", BalanceDestinationIds="DST_49")
    )
    acc = await attach(accounts, triggers, "T")
    [uc] = (acc.UnitCounters or {})["*monetary"]
    assert uc.CounterType == "*event"
    await set_default(accounts, 100)
    await debit_call(accounts, "3", "4915")
    await debit_call(accounts, "9", "3312")  # not a DST_49 number: not counted
    acc = await debit_call(accounts, "1.5", "4930")
    [counter] = (acc.UnitCounters or {})["*monetary"][0].Counters or []
    assert counter.Value == Decimal("4.5")
    assert actions.ran == []
    assert counter.Filter is not None
    assert counter.Filter.ID == "ev"
    await debit_call(accounts, "0.5", "4930")
    assert actions.ran == ["LOG"]


async def test_max_balance_counter_counts_debits_of_matching_balances(
    db: InternalDataDB, accounts: AccountService, triggers: TriggerService, actions: FakeActions
) -> None:
    await store_group(db, "T", row("*max_balance_counter", 2, "LOG", BalanceWeight="10"))
    await attach(accounts, triggers, "T")
    await accounts.set_balance(ACC, "*monetary", bf_of({"ID": "W10", "Weight": 10}, 9))
    await set_default(accounts, 9)
    await debit_call(accounts, "1.5", "3312", balance_id="*default")  # weight 0: not counted
    await debit_call(accounts, "1.5", "3312", balance_id="W10")
    # a *debit action's change, not a call's: CGRateS does not count those
    await debit_call(accounts, "5", "3312", balance_id="W10", rated=False)
    assert actions.ran == []
    await debit_call(accounts, "1", "3312", balance_id="W10")
    assert actions.ran == ["LOG"]


async def test_event_counters_match_the_calls_category_and_count_calls_without_destination(
    db: InternalDataDB, accounts: AccountService, triggers: TriggerService, actions: FakeActions
) -> None:
    await store_group(
        db, "T", row("*max_event_counter", 5, "LOG", UniqueID="ev", BalanceCategories="call")
    )
    await attach(accounts, triggers, "T")
    await set_default(accounts, 100)
    await debit_call(accounts, "3", "4915", category="sms")  # another category: not counted
    acc = await debit_call(accounts, "2", "")  # a rated call with no destination counts
    [counter] = (acc.UnitCounters or {})["*monetary"][0].Counters or []
    assert counter.Value == Decimal(2)


async def test_a_triggered_remove_account_removes_the_account(
    db: InternalDataDB, accounts: AccountService, triggers: TriggerService, actions: FakeActions
) -> None:
    removed: list[str] = []

    async def on_removed(account_id: str) -> None:
        removed.append(account_id)

    accounts.removed_hooks.append(on_removed)
    await store_group(db, "T", row("*max_balance", 50, "REMOVE"))
    await attach(accounts, triggers, "T")
    await set_default(accounts, 10)
    assert await accounts.load(ACC) is not None
    await set_default(accounts, 60)
    assert actions.ran == ["REMOVE"]
    assert await accounts.load(ACC) is None
    assert removed == [ACC]
    await set_default(accounts, 5)  # a later commit of a new account of that id is written
    assert await accounts.load(ACC) is not None


async def test_min_event_counter_and_top_ups_are_not_counted(
    db: InternalDataDB, accounts: AccountService, triggers: TriggerService, actions: FakeActions
) -> None:
    await store_group(db, "T", row("*min_event_counter", 0, "LOG", Recurrent=True))
    await attach(accounts, triggers, "T")
    # a top-up (APIer) is no call: the counter stays 0 <= 0 and the trigger is met
    await accounts.topup(
        ACC, "*monetary", balance_filter({"ID": "*default"}), Decimal(5), reset=False
    )
    assert actions.ran == ["LOG"]
    acc = await debit_call(accounts, "1", "3312")
    assert (acc.UnitCounters or {})["*monetary"][0].Counters[0].Value == 1  # type: ignore[index]
    assert actions.ran == ["LOG"]


async def test_counters_survive_reattaching(
    db: InternalDataDB, accounts: AccountService, triggers: TriggerService
) -> None:
    await store_group(db, "T", row("*max_event_counter", 50, "LOG", UniqueID="ev"))
    await store_group(db, "U", row("*max_balance", 500, "LOG", UniqueID="mb"))
    await attach(accounts, triggers, "T")
    await set_default(accounts, 100)
    await debit_call(accounts, "7", "3312")
    acc = await attach(accounts, triggers, "U")
    assert (acc.UnitCounters or {})["*monetary"][0].Counters[0].Value == 7  # type: ignore[index]
