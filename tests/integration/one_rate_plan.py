"""The one-rate tariff plan the durability tests load: 0.6 a minute to NAT (0723), billed
per second, for any subject of cgrates.org."""

from __future__ import annotations

from pathlib import Path

PLAN = {
    "Destinations.csv": "#Id,Prefix\nNAT,0723\n",
    "Timings.csv": "#Tag,Years,Months,MonthDays,WeekDays,Time\n",
    "Rates.csv": "#Id,ConnectFee,Rate,RateUnit,RateIncrement,GroupIntervalStart\n"
    "RT_SEC,0,0.6,60s,1s,0s\n",
    "DestinationRates.csv": "#Id,DestinationId,RatesTag,RoundingMethod,RoundingDecimals,"
    "MaxCost,MaxCostStrategy\nDR_NAT,NAT,RT_SEC,*middle,4,0,\n",
    "RatingPlans.csv": "#Id,DestinationRatesId,TimingTag,Weight\nRP_STD,DR_NAT,*any,10\n",
    "RatingProfiles.csv": "#Tenant,Category,Subject,ActivationTime,RatingPlanId,"
    "RatesFallbackSubject\ncgrates.org,call,*any,2014-01-01T00:00:00Z,RP_STD,\n",
}


def write_plan(folder: Path) -> Path:
    """Write the plan's files into ``folder`` (created); returns it."""
    folder.mkdir()
    for name, text in PLAN.items():
        (folder / name).write_text(text)
    return folder
