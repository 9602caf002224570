"""``attributes_context``: the altered fields of AttributeS's reply copied onto the CDR."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tollgate.cdrs.models import CDR
from tollgate.core.errors import TollgateError
from tollgate.exporters.service import updated_cdr


def _cdr() -> CDR:
    return CDR(
        cgrid="c1",
        run_id="*default",
        tenant="cgrates.org",
        account="1001",
        destination="1002",
        usage=130_000_000_000,
        cost=Decimal("0.7169"),
        extra_fields={"Keep": "k", "Drop": "d"},
    )


def test_only_altered_fields_change_and_are_typed() -> None:
    event = {"Account": "9999", "Destination": "hidden", "Usage": "1m", "Cost": 1.5,
             "Subject": "ignored: not altered", "New": 7}  # fmt: skip
    out = updated_cdr(_cdr(), event, ["Destination", "Usage", "Cost", "New"])
    assert (out.account, out.subject, out.destination, out.usage, out.cost) == (
        "1001",
        "",
        "hidden",
        60_000_000_000,
        Decimal("1.5"),
    )
    assert out.extra_fields == {"Keep": "k", "Drop": "d", "New": "7"}


def test_removed_fields_reset_and_the_original_is_untouched() -> None:
    original = _cdr()
    out = updated_cdr(original, {}, ["Destination", "Drop"])
    assert (out.destination, out.extra_fields) == ("", {"Keep": "k"})
    assert (original.destination, original.extra_fields["Drop"]) == ("1002", "d")


def test_a_wrongly_typed_value_fails_the_cdr() -> None:
    with pytest.raises(TollgateError):
        updated_cdr(_cdr(), {"Usage": "soon"}, ["Usage"])
