"""An action's Filter (CGRateS structmatcher) over one balance and its type."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tollgate.accounts.actions_filter import compile_filter, rsr_pass
from tollgate.accounts.models import Balance
from tollgate.core.errors import TollgateError

NOW = 1_700_000_000 * 10**9  # 2023-11-14T22:13:20Z
DEFAULT = Balance(ID="*default", Value=Decimal("-1.95"), Weight=Decimal(0))
BUNDLE = Balance(
    ID="b1",
    Value=Decimal(100),
    Weight=Decimal(20),
    DestinationIDs={"NAT": True, "RET": True},
    ExpirationDate="2020-01-01T00:00:00Z",
)


def passes(text: str, kind: str, balance: Balance) -> bool:
    return compile_filter(text)(kind, balance, NOW)


@pytest.mark.parametrize(
    ("query", "kind", "balance", "expected"),
    [
        ("", "*monetary", DEFAULT, True),
        ('{"Type":"*monetary","Value":-1.95}', "*monetary", DEFAULT, True),
        ('{"Type":"*voice","Value":-1.95}', "*monetary", DEFAULT, False),
        ('{"Value":{"*gte":100}}', "*voice", BUNDLE, True),
        ('{"Value":{"*gt":100}}', "*voice", BUNDLE, False),
        ('{"Weight":{"*lt":21},"Type":"*voice"}', "*voice", BUNDLE, True),
        ('{"Value":{"*lte":0}}', "*voice", BUNDLE, False),
        ('{"*and":[{"Value":{"*lt":0}},{"ID":{"*eq":"*default"}}]}', "*monetary", DEFAULT, True),
        ('{"*and":[{"Value":{"*lt":0}},{"ID":{"*eq":"*default"}}]}', "*voice", BUNDLE, False),
        ('{"*or":[{"Value":{"*eq":0}},{"Value":{"*gte":100}}]}', "*voice", BUNDLE, True),
        ('{"*not":[{"Value":{"*gte":100}}]}', "*voice", BUNDLE, False),
        ('{"ExpirationDate":{"*exp":true}}', "*voice", BUNDLE, True),
        ('{"ExpirationDate":{"*exp":false}}', "*monetary", DEFAULT, True),
        ('{"ExpirationDate":{"*exp":true}}', "*monetary", DEFAULT, False),
        ('{"DestinationIDs":{"*has":["NAT"]}}', "*voice", BUNDLE, True),
        ('{"DestinationIDs":{"*has":["NAT","INT"]}}', "*voice", BUNDLE, False),
        ('{"ID":{"*rsr":"~^b\\\\d$"}}', "*voice", BUNDLE, True),
        ('{"ID":{"*rsr":"^*def"}}', "*monetary", DEFAULT, True),
        ('{"Value":{"*unknown":1}}', "*voice", BUNDLE, False),
        ('{"Disabled":false,"Blocker":false}', "*voice", BUNDLE, True),
    ],
)
def test_queries(query: str, kind: str, balance: Balance, expected: bool) -> None:
    assert passes(query, kind, balance) is expected


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ('{"Id":"*default"}', "INVALID_ARGUMENT: Id"),  # Go field names are case-sensitive
        ('{"ID":{"*gt":1}}', "INVALID_ARGUMENT: *default"),  # *gt wants a number field
        ('{"Value":{"*gt":"a"}}', "INVALID_ARGUMENT: a"),
        ('{"Value":{"*exp":true}}', "INVALID_ARGUMENT: -1.95"),
    ],
)
def test_errors_carry_cgrates_texts(query: str, error: str) -> None:
    with pytest.raises(TollgateError) as info:
        passes(query, "*monetary", DEFAULT)
    assert str(info.value) == error


@pytest.mark.parametrize("query", ["{", "[1]", "{}", '{"*or":[1]}'])
def test_malformed_queries_are_refused_when_compiled(query: str) -> None:
    with pytest.raises(TollgateError):
        compile_filter(query)


@pytest.mark.parametrize(
    ("rule", "value", "expected"),
    [
        ("", "x", True),
        ("!", "x", False),
        ("~^10[0-9]$", "101", True),
        ("!~^10[0-9]$", "101", False),
        ("^$", "", True),
        ("^10", "1001", True),
        ("01$", "1001", True),
        ("^1001$", "1001", True),
        ("^1001$", "10011", False),
        (">=10", "10.5", True),
        ("<10", "10.5", False),
        ("00", "1001", True),
    ],
)
def test_rsr_rules(rule: str, value: str, expected: bool) -> None:
    assert rsr_pass(rule, value) is expected
