"""A small tariff plan and builders for the debit tests (imported by test_debit*.py).

Destinations: NAT = 0723, 0724, 0256; RET = 0723; MOB = 0745; PREM = 0900.
Subjects (tenant cgrates.org, category call):

- ``*any``: NAT and MOB at 0.6/min in 1 s steps (0.01 a second), MOB with a 0.5 connect
  fee, PREM at 1/s with MaxCost 3 ``*disconnect``;
- ``free_after``: NAT at 1/s with MaxCost 5 ``*free``;
- ``bundle``: NAT and MOB with a 0.1 connect fee and nothing per second, in 20 s steps
  (the rating subject of units balances);
- ``priced``: NAT and MOB at 0.06/20 s in 20 s steps (units balances paying a price);
- ``rounded``: NAT with a 0.15 connect fee and 0.05/min in 1 s steps, ``*up`` to 2 decimals.
"""

from __future__ import annotations

import random
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

from tollgate.accounts.debit_models import DebitContext, plain_cost
from tollgate.accounts.models import Account, Balance
from tollgate.accounts.shared_groups import SharedGroup, SharingParameters
from tollgate.core.times import parse_rfc3339
from tollgate.rating import CallDescriptor, RatingData, RatingService
from tollgate.rating.convert import convert_tariff_plan
from tollgate.rating.service import RatingSettings
from tollgate.tariffplans import read_folder

T = "cgrates.org"
START = "2024-01-15T10:00:00Z"  # a Monday

FILES = {
    "Destinations.csv": """#Id,Prefix
NAT,0723
NAT,0724
NAT,0256
RET,0723
MOB,0745
PREM,0900
""",
    "Timings.csv": "#Tag,Years,Months,MonthDays,WeekDays,Time\n",
    "Rates.csv": """#Id,ConnectFee,Rate,RateUnit,RateIncrement,GroupIntervalStart
RT_SEC,0,0.6,60s,1s,0s
RT_MOB,0.5,0.6,60s,1s,0s
RT_PREM,0,1,1s,1s,0s
RT_BUNDLE,0.1,0,20s,20s,0s
RT_PRICED,0,0.06,20s,20s,0s
RT_DY,0.15,0.05,60s,1s,0s
""",
    "DestinationRates.csv": """# Id,DestinationId,RatesTag,Rounding,Decimals,MaxCost,Strategy
DR_NAT,NAT,RT_SEC,*middle,4,0,
DR_MOB,MOB,RT_MOB,*middle,4,0,
DR_PREM,PREM,RT_PREM,*middle,4,3,*disconnect
DR_FREE_AFTER,NAT,RT_PREM,*middle,4,5,*free
DR_BUNDLE,NAT,RT_BUNDLE,*middle,4,0,
DR_PRICED,NAT,RT_PRICED,*middle,4,0,
DR_BUNDLE_MOB,MOB,RT_BUNDLE,*middle,4,0,
DR_PRICED_MOB,MOB,RT_PRICED,*middle,4,0,
DR_ROUNDED,NAT,RT_DY,*up,2,0,
""",
    "RatingPlans.csv": """#Id,DestinationRatesId,TimingTag,Weight
RP_STD,DR_NAT,*any,10
RP_STD,DR_MOB,*any,10
RP_STD,DR_PREM,*any,10
RP_FREE_AFTER,DR_FREE_AFTER,*any,10
RP_BUNDLE,DR_BUNDLE,*any,10
RP_PRICED,DR_PRICED,*any,10
RP_BUNDLE,DR_BUNDLE_MOB,*any,10
RP_PRICED,DR_PRICED_MOB,*any,10
RP_ROUNDED,DR_ROUNDED,*any,10
""",
    "RatingProfiles.csv": """# Tenant,Category,Subject,ActivationTime,RatingPlanId,Fallback
cgrates.org,call,*any,2014-01-01T00:00:00Z,RP_STD,
cgrates.org,call,free_after,2014-01-01T00:00:00Z,RP_FREE_AFTER,
cgrates.org,call,bundle,2014-01-01T00:00:00Z,RP_BUNDLE,
cgrates.org,call,priced,2014-01-01T00:00:00Z,RP_PRICED,
cgrates.org,call,rounded,2014-01-01T00:00:00Z,RP_ROUNDED,
""",
}

_SERVICES: dict[int, RatingService] = {}


def write_plan(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in FILES.items():
        (folder / name).write_text(text)
    return folder


def rating(decimals: int = 5) -> RatingService:
    """The test plan's RatingService (built once per rounding)."""
    cached = _SERVICES.get(decimals)
    if cached is not None:
        return cached
    with tempfile.TemporaryDirectory(prefix="debit-plan-") as tmp:
        tp = read_folder(write_plan(Path(tmp)))
    conv = convert_tariff_plan(
        tp.destinations,
        tp.timings,
        tp.rates,
        tp.destination_rates,
        tp.rating_plans,
        tp.rating_profiles,
    )
    data = RatingData()
    data.load(conv.destinations, conv.rating_plans, conv.rating_profiles)
    service = RatingService(
        data, RatingSettings(rounding_decimals=decimals, default_timezone="UTC")
    )
    _SERVICES[decimals] = service
    return service


def bal(uuid: str, value: Any, **fields: Any) -> Balance:
    """A balance: ``dests="NAT;!RET"`` style strings become maps; numbers Decimals."""
    for name in ("DestinationIDs", "Categories", "SharedGroups"):
        if isinstance(fields.get(name), str):
            out: dict[str, bool] = {}
            for part in fields[name].split(";"):
                out[part.lstrip("!")] = not part.startswith("!")
            fields[name] = out
    if "Weight" in fields:
        fields["Weight"] = Decimal(str(fields["Weight"]))
    return Balance(Uuid=uuid, ID=fields.pop("ID", uuid), Value=Decimal(str(value)), **fields)


def account(name: str, *, tenant: str = T, **kinds: list[Balance]) -> Account:
    """``account("1001", monetary=[...], voice=[...])``."""
    balance_map = {f"*{kind}": balances for kind, balances in kinds.items()}
    return Account(ID=f"{tenant}:{name}", BalanceMap=balance_map or None)


def call(
    dest: str,
    seconds: float,
    *,
    subject: str = "1001",
    account_name: str = "",
    start: str = START,
    tor: str = "",
    category: str = "call",
    tenant: str = T,
) -> CallDescriptor:
    begin = parse_rfc3339(start)
    end = begin.ns + int(Decimal(str(seconds)) * 10**9)
    return CallDescriptor(
        category,
        tenant,
        subject,
        dest,
        begin.ns,
        end,
        begin.tz,
        account=account_name or subject,
        tor=tor,
    )


def context(
    *accounts: Account,
    groups: dict[str, SharedGroup] | None = None,
    decimals: int = 5,
    seed: int = 7,
) -> DebitContext:
    service = rating(decimals=decimals)
    options = service.settings.options
    data = service.data
    return DebitContext(
        accounts={a.ID: a for a in accounts},
        rate=lambda cd: plain_cost(cd, data, options),
        prefixes_of=data.prefixes_of,
        groups=groups or {},
        decimals=decimals,
        rng=random.Random(seed),
    )


def group(group_id: str, strategy: str, *members: Account) -> SharedGroup:
    return SharedGroup(
        Id=group_id,
        AccountParameters={"*any": SharingParameters(Strategy=strategy)},
        MemberIds={m.ID: True for m in members},
    )


def value(acc: Account, kind: str, uuid: str) -> Decimal:
    for balance in (acc.BalanceMap or {}).get(kind) or ():
        if balance.Uuid == uuid:
            return balance.Value
    raise KeyError(uuid)


def values(acc: Account) -> dict[str, Decimal]:
    return {b.Uuid: b.Value for balances in (acc.BalanceMap or {}).values() for b in balances}
