from __future__ import annotations

from types import SimpleNamespace

from tollgate.core.errors import (
    MandatoryIeMissingError,
    NotConnectedError,
    NotFoundError,
    RALsError,
    ServerError,
    mandatory_missing,
)


def test_wire_texts_match_cgrates() -> None:
    assert str(NotFoundError()) == "NOT_FOUND"
    assert str(MandatoryIeMissingError("Account")) == "MANDATORY_IE_MISSING: [Account]"
    assert (
        str(MandatoryIeMissingError("Tenant", "Account"))
        == "MANDATORY_IE_MISSING: [Tenant Account]"
    )
    assert str(ServerError("UNAUTHORIZED_DESTINATION")) == "SERVER_ERROR: UNAUTHORIZED_DESTINATION"
    assert str(ServerError()) == "SERVER_ERROR"
    assert str(RALsError("INSUFFICIENT_CREDIT")) == "RALS_ERROR:INSUFFICIENT_CREDIT"
    assert str(NotConnectedError("ResourceS")) == "NOT_CONNECTED: ResourceS"


def test_mandatory_missing_lists_zero_values_in_order() -> None:
    args = SimpleNamespace(Tenant="", Account="1001", BalanceType="", Value=0)
    err = mandatory_missing(args, ["Tenant", "Account", "BalanceType", "Value"])
    assert str(err) == "MANDATORY_IE_MISSING: [Tenant BalanceType Value]"
    assert mandatory_missing(args, ["Account"]) is None
