"""CDRExporter: files (CSV, fixed width with header/trailer handlers), posts, statistics."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tollgate.cdrs.models import CDR
from tollgate.core.errors import TollgateError
from tollgate.core.times import parse_rfc3339
from tollgate.exporters.exporter import CDRExporter, ExportSettings, _csv_line
from tollgate.exporters.fields import parse_fields
from tollgate.filters import DataProvider


def make_cdr(
    cgrid: str, account: str, cost: str, order_id: int, answer: str, *, usage_s: int = 60
) -> CDR:
    return CDR(
        cgrid=cgrid,
        run_id="*default",
        order_id=order_id,
        tor="*voice",
        tenant="cgrates.org",
        account=account,
        destination="1002",
        answer_time=parse_rfc3339(answer),
        setup_time=parse_rfc3339(answer),
        usage=usage_s * 10**9,
        cost=Decimal(cost),
    )


CDRS = [
    make_cdr("c1", "1001", "0.7169", 3, "2024-01-02T10:00:00Z"),
    make_cdr("c2", "1002", "0.4", 5, "2024-01-02T09:00:00Z", usage_s=10),
    make_cdr("c3", "1003", "-1", 4, "2024-01-02T11:00:00Z", usage_s=5),
]


async def by_account(tenant: str, ids: Any, dp: DataProvider) -> bool:
    return all(dp.req["Account"] != i.rsplit(":", 1)[1] for i in ids)  # "*notstring" stand-in


class Posts:
    def __init__(self, fail: bool = False) -> None:
        self.sent: list[tuple[str, bytes, str]] = []
        self.fail = fail

    async def __call__(self, url: str, body: bytes, **kw: Any) -> None:
        if self.fail:
            raise TollgateError("unexpected status code received: 500")
        self.sent.append((url, body, kw["content_type"]))


FWV_FIELDS = [
    {"path": "*hdr.Type", "type": "*constant", "value": "10"},
    {"path": "*hdr.Id", "type": "*handler", "value": "*export_id", "width": 6,
     "padding": "*zeroleft"},
    {"path": "*hdr.First", "type": "*handler", "value": "*first_cdr_atime",
     "layout": "150405"},
    {"path": "*exp.Acc", "type": "*composed", "value": "~*req.Account", "width": 6,
     "padding": "*right"},
    {"path": "*exp.Cost", "type": "*composed", "value": "~*req.Cost", "rounding_decimals": 2,
     "width": 6, "padding": "*zeroleft"},
    {"path": "*trl.Type", "type": "*constant", "value": "90"},
    {"path": "*trl.Nr", "type": "*handler", "value": "*cdrs_number", "width": 3,
     "padding": "*zeroleft"},
    {"path": "*trl.Usage", "type": "*handler", "value": "*total_usage"},
    {"path": "*trl.Fill", "type": "*filler", "value": "", "width": 2},
    {"path": "*trl.Cost", "type": "*handler", "value": "*cdrs_cost"},
    {"path": "*trl.Last", "type": "*handler", "value": "*last_cdr_atime",
     "layout": "2006-01-02T15:04"},
]  # fmt: skip


async def test_a_fixed_width_file_with_header_and_trailer(tmp_path: Path) -> None:
    settings = ExportSettings(
        export_format="*file_fwv",
        export_path=str(tmp_path / "out.fwv"),
        fields=parse_fields(FWV_FIELDS),
        export_id="42",
        rounding_decimals=4,
    )
    exp = CDRExporter(list(CDRS), settings, by_account, Posts())
    await exp.run()
    assert (tmp_path / "out.fwv").read_text() == (
        "10000042090000\n"
        "1001  000.72\n"
        "1002  000.40\n"
        "1003  0-1.00\n"  # Go pads the text: zeros before the sign
        "900031m15s  1.1169" + "2024-01-02T11:00\n"
    )
    assert (exp.number_of_records, exp.total_cost) == (3, Decimal("1.1169"))
    assert (exp.first_order_id, exp.last_order_id) == (3, 5)
    assert exp.positive == ["c1", "c2", "c3"]
    assert exp.negative == {}


async def test_csv_profile_filters_and_quoting(tmp_path: Path) -> None:
    settings = ExportSettings(
        export_format="*file_csv",
        export_path=str(tmp_path),  # a folder: the file gets a short unique name
        fields=parse_fields(
            [
                {"path": "*exp.Acc", "type": "*composed", "value": "~*req.Account"},
                {"path": "*exp.Note", "type": "*constant", "value": 'a b"c'},
            ]
        ),
        export_id="x",
        filters=("*notstring:~*req.Account:1002",),
        field_separator=";",
    )
    exp = CDRExporter(list(CDRS), settings, by_account, Posts())
    await exp.run()
    [written] = list(tmp_path.iterdir())  # noqa: ASYNC240
    assert written.name.startswith("cdre_")
    assert written.suffix == ".csv"
    assert written.read_text() == '1001;"a b""c"\n1003;"a b""c"\n'
    assert _csv_line(["", " x", 'q"'], ",") == '," x","q"""\n'


async def test_posts_by_format_and_failures() -> None:
    fields = parse_fields([{"path": "*exp.Account", "type": "*composed", "value": "~*req.Account"}])
    posts = Posts()
    for fmt in ("*http_post", "*http_json_map", "*http_json_cdr"):
        settings = ExportSettings(fmt, "http://h/x", fields, "id", synchronous=True)
        await CDRExporter(CDRS[:1], settings, by_account, posts).run()
    assert [p[1:] for p in posts.sent[:2]] == [
        (b"Account=1001", "application/x-www-form-urlencoded"),
        (b'{"Account":"1001"}', "application/json"),
    ]
    assert b'"CGRID":"c1"' in posts.sent[2][1]
    assert b'"Cost":0.7169' in posts.sent[2][1]
    failing = CDRExporter(
        CDRS[:2], ExportSettings("*http_post", "http://h", fields, "id", synchronous=True),
        by_account, Posts(fail=True),
    )  # fmt: skip
    await failing.run()
    assert failing.number_of_records == 0
    assert failing.negative == {
        "c1": "unexpected status code received: 500",
        "c2": "unexpected status code received: 500",
    }


async def test_multiply_factors_and_unknown_handler(tmp_path: Path) -> None:
    fields = parse_fields(
        [
            {"path": "*exp.Usage", "type": "*composed", "value": "~*req.Usage"},
            {"path": "*exp.Cost", "type": "*composed", "value": "~*req.Cost",
             "rounding_decimals": 3},
        ]
    )  # fmt: skip
    settings = ExportSettings(
        "*file_csv", str(tmp_path / "m.csv"), fields, "m",
        usage_multiply_factor={"*voice": Decimal(2)}, cost_multiply_factor=Decimal(10),
    )  # fmt: skip
    exp = CDRExporter(CDRS[:1], settings, by_account, Posts())
    await exp.run()
    assert (tmp_path / "m.csv").read_text() == "2m0s,7.169\n"
    with pytest.raises(TollgateError, match="Unsupported METATAG: \\*nope"):
        exp.handler("*nope", "")
