"""The AMQP exporters against a real RabbitMQ rabbitmq_server: APIerSv1.ExportCDRs with
``*amqp_json_map`` (default exchange) and ``*amqp_json_cdr`` (a fanout exchange), online
exports of ``cdrs.online_cdr_exports``, a post the rabbitmq_server refuses kept in
``general.failed_posts_dir`` and delivered by APIerSv1.ReplayFailedPosts once the rabbitmq_server
is fixed (the broker: the session fixture ``rabbitmq_server``)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aio_pika
import cdr_engine
import pytest
from cdr_engine import CALL, MAP_FIELDS, T

from tollgate.testing.client import RpcError
from tollgate.testing.engine import EngineProcess
from tollgate.testing.rabbitmq import RabbitMQ


@pytest.fixture(scope="module")
def engine(
    tmp_path_factory: pytest.TempPathFactory, rabbitmq_server: RabbitMQ, failed_dir: Path
) -> Iterator[EngineProcess]:
    url = rabbitmq_server.url
    later = f"amqp://guest:guest@127.0.0.1:{rabbitmq_server.port}/later?queue_id=tg_later"
    cdre = {
        "map": {"export_format": "*amqp_json_map", "export_path": f"{url}?queue_id=tg_map",
                "synchronous": True, "fields": MAP_FIELDS},
        "cdr": {"export_format": "*amqp_json_cdr",
                "export_path": f"{url}?queue_id=tg_cdr&exchange=tg_fan&exchange_type=fanout"
                               "&routing_key=cgr_cdrs",
                "synchronous": True},
        "online": {"export_format": "*amqp_json_map",
                   "export_path": f"{url}?queue_id=tg_online",
                   "filters": ["*string:~*req.RunID:*default"], "fields": MAP_FIELDS},
        "later": {"export_format": "*amqp_json_map", "export_path": later,
                  "filters": ["*string:~*req.RunID:*default"], "synchronous": True,
                  "attempts": 1, "fields": MAP_FIELDS},
    }  # fmt: skip
    cfg = cdr_engine.config(failed_dir, cdre, ["online", "later"])
    proc = cdr_engine.start(tmp_path_factory.mktemp("amqp"), cfg, "amq")
    try:
        yield proc
    finally:
        assert proc.stop() == 0, proc.log()


call = cdr_engine.call


def messages(url: str, queue: str, count: int, timeout: float = 20.0) -> list[tuple[str, Any]]:
    """Take ``count`` messages off ``queue`` (waiting for them): (content type, JSON body)."""

    async def take() -> list[tuple[str, Any]]:
        connection = await aio_pika.connect(url)
        try:
            channel = await connection.channel()
            q = await channel.declare_queue(queue, durable=True)
            out: list[tuple[str, Any]] = []
            deadline = time.monotonic() + timeout
            while len(out) < count:
                msg = await q.get(fail=False)
                if msg is None:
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"{count} message(s) on {queue} expected, got {out}")
                    await asyncio.sleep(0.05)
                    continue
                await msg.ack()
                out.append((msg.content_type or "", json.loads(msg.body)))
            return out
        finally:
            await connection.close()

    return asyncio.run(take())


FILTER = {"OriginIDs": ["amq1", "amq2"], "RunIDs": ["*default"], "OrderBy": "OrderID"}


def test_export_json_map_to_a_queue(engine: EngineProcess, rabbitmq_server: RabbitMQ) -> None:
    reply = call(
        engine,
        "APIerSv1.ExportCDRs",
        {"ExportArgs": {"ExportTemplate": "map", "ExportID": "m1"}, "Verbose": True, **FILTER},
    )
    assert reply["ExportedPath"] == f"{rabbitmq_server.url}?queue_id=tg_map"  # the URL, untouched
    assert (reply["TotalRecords"], reply["TotalCost"], reply["UnexportedCGRIDs"]) == (
        2,
        1.4338,
        {},
    )
    got = messages(rabbitmq_server.url, "tg_map", 2)
    assert {ctype for ctype, _ in got} == {"application/json"}
    assert sorted((b for _, b in got), key=lambda b: b["Account"]) == [
        {"Account": "1001", "RunID": "*default", "Cost": "0.7169"},
        {"Account": "1002", "RunID": "*default", "Cost": "0.7169"},
    ]


def test_export_whole_cdrs_through_a_fanout_exchange(
    engine: EngineProcess, rabbitmq_server: RabbitMQ
) -> None:
    reply = call(
        engine, "APIerSv1.ExportCDRs", {"ExportTemplate": "cdr", "Verbose": True, **FILTER}
    )
    assert reply["TotalRecords"] == 2
    got = messages(rabbitmq_server.url, "tg_cdr", 2)
    cdrs = sorted((b for _, b in got), key=lambda b: b["OriginID"])
    assert [(c["OriginID"], c["Account"], c["RunID"], c["Cost"]) for c in cdrs] == [
        ("amq1", "1001", "*default", 0.7169),
        ("amq2", "1002", "*default", 0.7169),
    ]
    assert cdrs[0]["Usage"] == 130_000_000_000  # the CDR as JSON: usage in nanoseconds
    assert "tg_fan" in rabbitmq_server.ctl("list_exchanges", "name", "type")


def test_online_export_and_replay_of_a_refused_post(
    engine: EngineProcess, rabbitmq_server: RabbitMQ, failed_dir: Path
) -> None:
    event = {**CALL, "OriginID": "amq3", "Account": "1001", "Destination": "1002",
             "AnswerTime": "2024-01-02T12:00:00Z"}  # fmt: skip
    args = {"Flags": ["*rals", "*store", "*export"], "Tenant": T, "Event": event}
    assert call(engine, "CDRsV1.ProcessEvent", args) == "OK"
    [(_, online)] = messages(rabbitmq_server.url, "tg_online", 1)
    assert online == {"Account": "1001", "RunID": "*default", "Cost": "0.7169"}
    # the vhost "later" does not exist: the rabbitmq_server refuses, the post is kept
    deadline = time.monotonic() + 20
    while not list(failed_dir.iterdir()):
        assert time.monotonic() < deadline, "no failed post kept"
        time.sleep(0.05)
    [kept_file] = list(failed_dir.iterdir())
    kept = json.loads(kept_file.read_text())
    assert kept["Format"] == "*amqp_json_map"
    assert kept["Path"].endswith("/later?queue_id=tg_later")
    assert json.loads(kept["Body"]) == online
    # replaying while the rabbitmq_server still refuses moves it to the out folder
    out = failed_dir.parent / "failed_again"
    assert call(
        engine,
        "APIerSv1.ReplayFailedPosts",
        {"FailedRequestsOutDir": str(out), "Modules": ["cdr"]},
    ) == "OK"  # fmt: skip
    assert list(failed_dir.iterdir()) == []
    assert [p.name for p in out.iterdir()] == [kept_file.name]
    # fix the rabbitmq_server, replay from the out folder: delivered, file gone
    rabbitmq_server.ctl("add_vhost", "later")
    rabbitmq_server.ctl("set_permissions", "-p", "later", "guest", ".*", ".*", ".*")
    assert call(engine, "APIerSv1.ReplayFailedPosts", {"FailedRequestsInDir": str(out)}) == "OK"
    assert list(out.iterdir()) == []
    later = f"amqp://guest:guest@127.0.0.1:{rabbitmq_server.port}/later"
    assert messages(later, "tg_later", 1) == [("application/json", online)]


def test_replay_errors(engine: EngineProcess, tmp_path: Path) -> None:
    with pytest.raises(RpcError) as info:
        call(engine, "APIerSv1.ReplayFailedPosts", {"FailedRequestsInDir": str(tmp_path / "x")})
    assert str(info.value) == f"SERVER_ERROR: open {tmp_path / 'x'}: no such file or directory"
    # a module filter that matches nothing leaves the files alone
    (tmp_path / "act_x.json").write_text(
        json.dumps({"Path": "http://127.0.0.1:1/", "Format": "*http_json", "Module": "act>x"})
    )
    args = {"FailedRequestsInDir": str(tmp_path), "Modules": ["cdr"]}
    assert call(engine, "APIerSv1.ReplayFailedPosts", args) == "OK"
    assert [p.name for p in tmp_path.iterdir()] == ["act_x.json"]


def test_the_amqp_json_map_action(engine: EngineProcess, rabbitmq_server: RabbitMQ) -> None:
    """``*amqp_json_map`` in Actions: the account as JSON to the queue its URL names."""
    url = f"{rabbitmq_server.url}?queue_id=tg_actions"
    actions = {
        "ActionsId": "TOPUP_AND_TELL",
        "Actions": [
            {"Identifier": "*topup", "BalanceType": "*monetary", "Units": "5", "Weight": 20},
            {"Identifier": "*amqp_json_map", "ExtraParameters": url, "Weight": 10},
        ],
    }
    assert call(engine, "APIerSv2.SetActions", actions) == "OK"
    args = {"Tenant": T, "Account": "1003", "ActionsId": "TOPUP_AND_TELL"}
    assert call(engine, "APIerSv1.ExecuteAction", args) == "OK"
    [(ctype, account)] = messages(rabbitmq_server.url, "tg_actions", 1)
    assert ctype == "application/json"
    assert account["ID"] == "cgrates.org:1003"
    assert [b["Value"] for b in account["BalanceMap"]["*monetary"]] == [15]  # 10 + 5
