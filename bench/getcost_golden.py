"""Record or check the exact wire replies of the rating APIs over a wide fixed request mix.

    python bench/getcost_golden.py record /tmp/golden.json   # before a change
    python bench/getcost_golden.py check /tmp/golden.json    # after it: byte-identical?

A guard for speed work: every spec tariff plan (when /work/shared/spec is present), the
tutorial and a synthetic plan with day-part, weekday, month-day, year and end-time timings,
several activations and fallbacks, read in UTC, fixed offsets and DST zones, through
APIerSv1.GetCost, GetDataCost, Responder.GetCost and RALsV1.GetRatingPlansCost.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec

from tollgate.core.api import CallContext
from tollgate.core.times import format_rfc3339, parse_rfc3339, resolve_timezone
from tollgate.core.wire import encode
from tollgate.rating import APIerSv1Costs, RALsV1, RatingData, RatingService, ResponderCosts
from tollgate.rating.args import (
    AttrGetCost,
    AttrGetDataCost,
    CallDescriptorArgs,
    RatingPlanCostArg,
)
from tollgate.rating.convert import convert_tariff_plan
from tollgate.rating.models import RateInterval, RatingPlan
from tollgate.rating.service import RatingSettings
from tollgate.tariffplans import read_folder

ROOT = Path(__file__).resolve().parents[1]
SPEC = Path("/work/shared/spec/cgrates-v0.10/tariffplans")
NOW = parse_rfc3339("2026-11-21T13:14:15Z")
CTX = CallContext()

SYNTHETIC = {
    "Destinations.csv": """#Id,Prefix
DST_DE,49
DST_DE_MOB,4915
DST_DE_MOB,4917
DST_DE_BER,4930
DST_US,1
DST_1002,1002
""",
    "Timings.csv": """#Tag,Years,Months,MonthDays,WeekDays,Time
PEAK,*any,*any,*any,1;2;3;4;5,08:00:00
EVENING,*any,*any,*any,1;2;3;4;5,18:00:00
MORNING,*any,*any,*any,1;2;3;4;5,00:00:00
WEEKEND,*any,*any,*any,6;0,00:00:00
XMAS,*any,12,24;25;26,*any,00:00:00
Y2025,2025,*any,*any,*any,12:30:00
NIGHT,*any,*any,*any,*any,22:00:00
NOON,*any,*any,*any,*any,12:00:00
""",
    "Rates.csv": """#Id,ConnectFee,Rate,RateUnit,RateIncrement,GroupIntervalStart
RT_A,0.25,0.6,60s,30s,0s
RT_A,0,0.1,60s,1s,60s
RT_A,0,0.05,60s,10s,600s
RT_B,0,0.033333,60s,1s,0s
RT_C,0.1,1.7,3600s,60s,0s
RT_C,0,0.9,3600s,1s,1800s
RT_D,0,0.0123456,1s,1s,0s
RT_E,0.05,0.2,60s,60s,0s
""",
    "DestinationRates.csv": "#Id,DestinationId,RatesTag,RoundingMethod,RoundingDecimals,"
    + """MaxCost,MaxCostStrategy
DR_PEAK,DST_DE,RT_A,*up,4,0,
DR_PEAK,DST_DE_MOB,RT_C,*middle,2,0,
DR_PEAK,DST_US,RT_D,*down,3,0,
DR_OFF,DST_DE,RT_B,*middle,5,0,
DR_OFF,DST_DE_MOB,RT_E,*up,6,1.5,*free
DR_OFF,DST_US,RT_B,*up,1,0,
DR_OFF,DST_1002,RT_E,*up,4,0.3,*disconnect
DR_SPECIAL,DST_DE,RT_D,*up,4,2,*free
DR_SPECIAL,DST_DE_BER,RT_E,,0,0,
DR_ANY,*any,RT_B,*middle,4,0,
""",
    "RatingPlans.csv": """#Id,DestinationRatesId,TimingTag,Weight
RP_DAY,DR_PEAK,PEAK,10
RP_DAY,DR_OFF,EVENING,10
RP_DAY,DR_OFF,MORNING,10
RP_DAY,DR_OFF,WEEKEND,10
RP_DAY,DR_SPECIAL,XMAS,20
RP_DAY,DR_SPECIAL,Y2025,15
RP_NIGHT,DR_OFF,*any,10
RP_NIGHT,DR_PEAK,NIGHT,20
RP_NIGHT,DR_SPECIAL,NOON,5
RP_ANY,DR_ANY,*any,10
RP_MOB,DR_PEAK,*any,10
""",
    "RatingProfiles.csv": "#Tenant,Category,Subject,ActivationTime,RatingPlanId,"
    + """RatesFallbackSubject
cgrates.org,call,a,2014-01-01T00:00:00Z,RP_DAY,
cgrates.org,call,a,2024-06-01T12:00:00Z,RP_NIGHT,
cgrates.org,call,a,2025-03-30T01:30:00Z,RP_DAY,
cgrates.org,call,b,2014-01-01T00:00:00Z,RP_MOB,a
cgrates.org,call,c,2024-01-01T00:00:00Z,RP_NIGHT,b;*any
cgrates.org,call,*any,2010-01-01T00:00:00Z,RP_ANY,
cgrates.org,data,*any,2010-01-01T00:00:00Z,RP_ANY,
cgrates.org,sms,a,2014-01-01T00:00:00Z,RP_DAY,
""",
}

ZONES = ["UTC", "Europe/Berlin", "America/New_York"]
ANCHORS = [
    "2024-01-01T00:00:00Z",  # a Monday midnight
    "2024-03-31T00:30:00Z",  # Berlin spring forward
    "2024-10-27T00:30:00Z",  # Berlin fall back
    "2024-03-10T06:30:00Z",  # New York spring forward
    "2024-11-03T05:30:00Z",  # New York fall back
    "2024-12-24T07:59:00Z",
    "2024-12-31T23:58:00Z",
    "2025-03-30T01:29:00Z",
    "2024-06-01T11:59:30Z",
    "2026-11-21T10:00:00Z",
    "2024-02-29T17:59:59Z",
]


def _plan_dirs(tmp: Path) -> list[Path]:
    synthetic = tmp / "synthetic"
    synthetic.mkdir()
    for name, text in SYNTHETIC.items():
        (synthetic / name).write_text(text)
    dirs = [synthetic, ROOT / "data" / "tariffplans" / "tutorial"]
    if SPEC.is_dir():
        dirs += [d for d in sorted(SPEC.iterdir()) if (d / "RatingProfiles.csv").is_file()]
    return dirs


_ENDS = {"08:00:00": "18:00:00", "22:00:00": "23:59:59"}


def _with_end_times(plan: RatingPlan) -> RatingPlan:
    def timed(ri: RateInterval) -> RateInterval:
        end = _ENDS.get(ri.timing.start_time, "")
        return msgspec.structs.replace(ri, timing=msgspec.structs.replace(ri.timing, end_time=end))

    intervals = {k: tuple(timed(ri) for ri in v) for k, v in plan.intervals.items()}
    return msgspec.structs.replace(plan, intervals=intervals)


def _service(folder: Path, zone: str) -> tuple[RatingService, list[str], list[str], list[str]]:
    tp = read_folder(folder)
    conv = convert_tariff_plan(
        tp.destinations,
        tp.timings,
        tp.rates,
        tp.destination_rates,
        tp.rating_plans,
        tp.rating_profiles,
        timezone="UTC",
        now=NOW,
    )
    plans = conv.rating_plans
    if folder.name == "synthetic":  # end times cannot be written in Timings.csv
        plans = [_with_end_times(p) for p in plans]
    data = RatingData()
    data.replace(conv.destinations, plans, conv.rating_profiles)
    svc = RatingService(data, RatingSettings(rounding_decimals=5, default_timezone=zone))
    numbers = sorted({p for d in conv.destinations for p in d.prefixes})
    subjects = sorted({p.id for p in conv.rating_profiles})
    return svc, numbers, subjects, sorted(p.id for p in plans)


def _instant(rnd: random.Random) -> int:
    if rnd.random() < 0.5:
        base = parse_rfc3339(rnd.choice(ANCHORS)).ns
        return base + rnd.randint(-3 * 3600, 3 * 3600) * 10**9
    return rnd.randint(1_390_000_000, 1_800_000_000) * 10**9


def _text(ns: int, rnd: random.Random, zone: str) -> str:
    """One of the AnswerTime forms: Z, a fixed offset, the zone's wall clock, unix."""
    kind = rnd.randrange(4)
    if kind == 0:
        return format_rfc3339(ns)
    if kind == 1:
        off = dt.timezone(dt.timedelta(minutes=rnd.choice([120, -330, 60, -300, 345])))
        return format_rfc3339(ns, off)
    if kind == 2:
        text = format_rfc3339(ns - ns % 10**9, resolve_timezone(zone))
        return text[:10] + " " + text[11:19]
    return str(ns // 10**9)


def _usage(rnd: random.Random) -> int:
    pick = rnd.random()
    if pick < 0.05:
        return 0
    if pick < 0.6:
        return rnd.randint(1, 7200) * 10**9
    if pick < 0.8:
        return rnd.randint(1, 72 * 3600) * 10**9
    return rnd.randint(1, 10**13)


def _calls(fn: Callable[[Any, CallContext], object], args: object) -> str:
    try:
        return _plain_ids(encode(fn(args, CTX)).decode())
    except Exception as exc:  # errors are part of the result
        return f"{type(exc).__name__}: {exc}"


_ID_MAPS = ("Rating", "Accounting", "RatingFilters", "Rates", "Timings")


def _plain_ids(text: str) -> str:
    """EventCost ids numbered by first appearance: which entries share an id is checked,
    the hex chosen for it is not (CGRateS's are random)."""
    reply = json.loads(text)
    if isinstance(reply, dict) and isinstance(reply.get("EventCost"), dict):
        reply = reply["EventCost"]
    if not isinstance(reply, dict) or "Rating" not in reply:
        return text
    ids = {key for name in _ID_MAPS for key in reply.get(name) or {}}
    order: dict[str, str] = {}

    def number(match: re.Match[str]) -> str:
        if match.group(1) not in ids:
            return match.group(0)
        return '"#' + order.setdefault(match.group(1), str(len(order) + 1)) + '"'

    return re.sub(r'"([0-9a-f]{7})"', number, text)


_RANDOM_KEY = re.compile(r"\*out:[0-9a-f]{7}:\*rating_plan_cost:[0-9a-f]{7}")


def collect(count: int = 250) -> list[str]:
    out: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        for folder in _plan_dirs(Path(tmp)):
            for zone in ZONES:
                svc, numbers, subjects, plans = _service(folder, zone)
                apier, responder, rals = APIerSv1Costs(svc), ResponderCosts(svc), RALsV1(svc)
                rnd = random.Random(f"{folder.name}/{zone}")
                dests = [*numbers, *(n + "123" for n in numbers), "999", "*any", ""]
                for _ in range(count):
                    tenant, category, subject = rnd.choice(subjects).split(":", 3)[1:]
                    if rnd.random() < 0.1:
                        subject = "nobody"
                    dest = rnd.choice(dests)
                    start, usage = _instant(rnd), _usage(rnd)
                    out.append(
                        _calls(
                            apier.get_cost,
                            AttrGetCost(
                                Tenant=tenant,
                                Category=category,
                                Subject=subject,
                                Destination=dest,
                                AnswerTime=_text(start, rnd, zone),
                                Usage=f"{usage}ns",
                            ),
                        )
                    )
                    off = dt.timezone(dt.timedelta(minutes=rnd.choice([0, 120, -300])))
                    out.append(
                        _calls(
                            responder.get_cost,
                            CallDescriptorArgs(
                                Tenant=tenant,
                                Category=category,
                                Subject=subject,
                                Destination=dest,
                                TimeStart=format_rfc3339(start, off),
                                TimeEnd=format_rfc3339(start + usage, off),
                                ToR=rnd.choice(["", "*voice", "*data", "*sms", "*voice"]),
                                LoopIndex=rnd.choice([0, 0, 0, 1]),
                                DurationIndex=rnd.choice([0, 0, usage + 60 * 10**9]),
                            ),
                        )
                    )
                    if rnd.random() < 0.3:
                        out.append(
                            _calls(
                                apier.get_data_cost,
                                AttrGetDataCost(
                                    Category=category,
                                    Tenant=tenant,
                                    Subject=subject,
                                    AnswerTime=_text(start, rnd, zone),
                                    Usage=rnd.randint(0, 10**6),
                                ),
                            )
                        )
                    if rnd.random() < 0.2 and plans:
                        reply = _calls(
                            rals.get_rating_plans_cost,
                            RatingPlanCostArg(
                                RatingPlanIDs=rnd.sample(plans, min(len(plans), 2)),
                                Destination=dest or "1002",
                                SetupTime=_text(start, rnd, zone),
                                Usage=f"{max(usage, 1)}ns",
                            ),
                        )
                        out.append(_RANDOM_KEY.sub("*out:T:*rating_plan_cost:S", reply))
    return out


def main() -> int:
    mode, path = sys.argv[1], Path(sys.argv[2])
    replies = collect()
    if mode == "record":
        path.write_text(json.dumps(replies))
        print(f"recorded {len(replies)} replies")
        return 0
    golden = json.loads(path.read_text())
    bad = [i for i, (a, b) in enumerate(zip(golden, replies, strict=True)) if a != b]
    print(f"{len(replies)} replies, {len(bad)} differ")
    for i in bad[:5]:
        print("want", golden[i][:600], "\ngot ", replies[i][:600], sep="\n")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
