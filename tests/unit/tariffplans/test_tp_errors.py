"""Every problem names file, line and column; a folder with any error is refused whole."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tollgate.core.errors import InvalidPathError, TollgateError
from tollgate.tariffplans import TariffPlanError, check_folder, read_folder

WritePlan = Callable[[dict[str, str]], Path]
RATES_HEAD = "#Id,ConnectFee,Rate,RateUnit,RateIncrement,GroupIntervalStart\n"


def errors_of(folder: Path) -> list[str]:
    with pytest.raises(TariffPlanError) as info:
        read_folder(folder)
    return info.value.errors


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (
            {"Rates.csv": RATES_HEAD + "RT_1,0,1,6os,1s,0\n"},
            'Rates.csv:2:4: bad duration "6os" for RateUnit',
        ),
        (
            {"Rates.csv": RATES_HEAD + "RT_1,0,1,60s,1s,0\nRT_1,0,1,60s,0,0\n"},
            'Rates.csv:3:5: RateIncrement: must be greater than zero, found "0"',
        ),
        (
            {
                "Rates.csv": "RT_1,0,1,60s,1s,0\n",
                "Destinations.csv": "D,1\n",
                "DestinationRates.csv": "DR_1,D,RT_1,*up,x,0,\n",
            },
            'DestinationRates.csv:1:5: RoundingDecimals: expected an integer, found "x"',
        ),
        (
            {"Rates.csv": "RT_1,zero,1,60s,1s,0\n"},
            'Rates.csv:1:2: ConnectFee: expected a number, found "zero"',
        ),
        ({"Rates.csv": RATES_HEAD + ",0,1,60s,1s,0\n"}, "Rates.csv:2:1: missing Id"),
        (
            {"Destinations.csv": "D,1,extra\n"},
            "Destinations.csv:1:3: wrong column count: expected 2, found 3",
        ),
        (
            {"AccountActions.csv": "cgrates.org,1001,,,yes,\n"},
            'AccountActions.csv:1:5: AllowNegative: expected true or false, found "yes"',
        ),
        (
            {"Chargers.csv": "cgrates.org,CH,,yesterday,*default,,\n"},
            'Chargers.csv:1:4: bad time "yesterday" for ActivationInterval',
        ),
        (
            {"Timings.csv": "T,*any,13,*any,*any,00:00:00\n"},
            'Timings.csv:1:3: Months: expected *any or integers 1-12, found "13"',
        ),
        (
            {"Timings.csv": "T,*any,*any,*any,*any,25:00\n"},
            'Timings.csv:1:6: Time: expected HH:MM:SS or *asap, found "25:00"',
        ),
        (
            {"Timings.csv": "T,*any,*any,*any,*any,\nT,*any,*any,*any,*any,\n"},
            "Timings.csv:2:1: duplicate timing tag T (first at line 1)",
        ),
        (
            {"Actions.csv": "A,*topup,,{bad,,*monetary\n"},
            "Actions.csv:1:4: Filter: bad JSON (Expecting property name enclosed in double "
            "quotes at character 2)",
        ),
        (
            {"Actions.csv": "A,*topup,,,,*monetary,,,,,,,10s\n"},
            'Actions.csv:1:13: Units: expected a number, a duration or a JSON formula, found "10s"',
        ),
        (
            {"Stats.csv": "cgrates.org,S,,,1.5\n"},
            'Stats.csv:1:5: QueueLength: expected an integer, found "1.5"',
        ),
        (
            {"Resources.csv": "cgrates.org,R,,,1x\n"},
            'Resources.csv:1:5: bad duration "1x" for UsageTTL',
        ),
        (
            {"AccountActions.csv": "cgrates.org,1001\ncgrates.org,1001\n"},
            "AccountActions.csv:2:2: duplicate account action cgrates.org:1001 (first at line 1)",
        ),
        (
            {"Filters.csv": "cgrates.org,F,string,~*req.A,1,\n"},
            'Filters.csv:1:3: Type: unknown filter type "string"',
        ),
        (
            {"Rates.csv": 'RT_1,"0\n'},
            "Rates.csv:1:1: bad CSV: unexpected end of data",
        ),
    ],
)
def test_error_messages(write_plan: WritePlan, files: dict[str, str], expected: str) -> None:
    assert expected in errors_of(write_plan(files))


def test_voice_units_may_be_durations(write_plan: WritePlan) -> None:
    plan = read_folder(write_plan({"Actions.csv": "A,*topup,,,,*voice,,,,,,,100s\n"}))
    assert plan.actions[0].Actions[0].Units == "100s"


def test_all_errors_of_all_files_are_collected(write_plan: WritePlan) -> None:
    folder = write_plan(
        {
            "Rates.csv": "RT_1,x,1,6os,1s,0\nRT_2,0,1,1s,1s,0\n,0,1,1s,1s,0\n",
            "Destinations.csv": "D,1,2\n",
            "RatingPlans.csv": "RP,DR_MISSING,*any,10\n",
        }
    )
    errors = errors_of(folder)
    assert errors == [
        "Destinations.csv:1:3: wrong column count: expected 2, found 3",
        'Rates.csv:1:2: ConnectFee: expected a number, found "x"',
        'Rates.csv:1:4: bad duration "6os" for RateUnit',
        "Rates.csv:3:1: missing Id",
        'RatingPlans.csv:1:2: DestinationRatesId "DR_MISSING" not found in DestinationRates.csv',
    ]


def test_error_text_lists_every_problem(write_plan: WritePlan) -> None:
    with pytest.raises(TariffPlanError) as info:
        read_folder(write_plan({"Destinations.csv": ",1\nD,\n"}))
    assert str(info.value) == (
        "2 errors in tariff plan\n  Destinations.csv:1:1: missing Id\n"
        "  Destinations.csv:2:2: missing Prefix"
    )
    assert not isinstance(info.value, TollgateError)


def test_check_folder_errors_are_the_cgrates_wire_strings(tmp_path: Path) -> None:
    with pytest.raises(TollgateError) as info:
        check_folder("")
    assert str(info.value) == "MANDATORY_IE_MISSING:FolderPath"
    with pytest.raises(InvalidPathError) as bad:
        check_folder("/INVALID/")
    assert str(bad.value) == "INVALID_PATH"
    (tmp_path / "file").write_text("")
    with pytest.raises(InvalidPathError):
        read_folder(tmp_path / "file")
    assert check_folder(tmp_path) == tmp_path
