"""AttributeProfile wire shapes against the stored tariff-plan form."""

from __future__ import annotations

from decimal import Decimal

import msgspec
import pytest

from tollgate import tariffplans as tp
from tollgate.attributes.models import (
    ActivationInterval,
    Attribute,
    AttributeProfile,
    RSRParserWire,
    join_rules,
    profile_from_tp,
    split_rules,
    tp_from_profile,
)
from tollgate.core.wire import encode


@pytest.mark.parametrize(
    "rules",
    [
        ["CGRateS.org"],
        ["~*req.Account", "@", "~*req.Domain"],
        ["a;b", "~*req.X"],  # a rule holding the separator survives the round trip
        ["~*req.X:s/;/,/", "`quoted`", "`a;b`", "`x", "y`", "`"],
        [],
    ],
)
def test_rules_round_trip_through_the_stored_value(rules: list[str]) -> None:
    assert split_rules(join_rules(rules)) == rules


def test_stored_values_split_as_v010_splits_them() -> None:
    assert split_rules("1001;~*req.Account") == ["1001", "~*req.Account"]
    assert split_rules("") == []
    assert split_rules("`a;b") == ["`a", "b"]  # an unbalanced quote stays as written


def test_api_profile_round_trip() -> None:
    api = AttributeProfile(
        Tenant="cgrates.org",
        ID="ATTR",
        Contexts=["*sessions"],
        FilterIDs=["*string:~*req.Account:1001"],
        ActivationInterval=ActivationInterval(
            ActivationTime="2014-07-14T14:25:00Z", ExpiryTime="0001-01-01T00:00:00Z"
        ),
        Attributes=[
            Attribute(
                FilterIDs=[],
                Path="*req.Field2",
                Type="",
                Value=[RSRParserWire(Rules="~*req.Field1", AllFiltersMatch=True)],
            )
        ],
        Blocker=True,
        Weight=Decimal(10),
    )
    stored = tp_from_profile(api, ";")
    assert stored.ActivationInterval == tp.TPActivationInterval(
        ActivationTime="2014-07-14T14:25:00Z", ExpiryTime=""
    )
    assert stored.Attributes[0].Value == "~*req.Field1"
    assert profile_from_tp(stored, "UTC", ";") == api


def test_wire_shape_of_a_loaded_profile() -> None:
    stored = tp.TPAttributeProfile(
        Tenant="cgrates.org",
        ID="ATTR_1001_SIMPLEAUTH",
        Contexts=["simpleauth"],
        FilterIDs=["*string:~*req.Account:1001"],
        Attributes=[tp.TPAttribute(Path="*req.Password", Type="*constant", Value="CGRateS.org")],
        Weight=Decimal("20.0"),
    )
    wire = msgspec.json.decode(encode(profile_from_tp(stored, "UTC", ";")))
    assert wire == {
        "Tenant": "cgrates.org",
        "ID": "ATTR_1001_SIMPLEAUTH",
        "Contexts": ["simpleauth"],
        "FilterIDs": ["*string:~*req.Account:1001"],
        "ActivationInterval": None,
        "Attributes": [
            {
                "FilterIDs": [],
                "Path": "*req.Password",
                "Type": "*constant",
                "Value": [{"Rules": "CGRateS.org", "AllFiltersMatch": True}],
            }
        ],
        "Blocker": False,
        "Weight": 20,
    }


def test_a_time_that_is_not_rfc3339_is_refused() -> None:
    api = AttributeProfile(
        Tenant="t", ID="x", ActivationInterval=ActivationInterval(ActivationTime="tomorrow")
    )
    with pytest.raises(ValueError, match="tomorrow"):
        tp_from_profile(api, ";")
