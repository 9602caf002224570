"""The AMQP exporters against a real RabbitMQ broker: APIerSv1.ExportCDRs with
``*amqp_json_map`` (default exchange) and ``*amqp_json_cdr`` (a fanout exchange), online
exports of ``cdrs.online_cdr_exports``, a post the broker refuses kept in
``general.failed_posts_dir`` and delivered by APIerSv1.ReplayFailedPosts once the broker
is fixed."""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aio_pika
import pytest

from tollgate.testing.client import RpcError, rpc
from tollgate.testing.engine import EngineProcess
from tollgate.testing.rabbitmq import RabbitMQ, start_rabbitmq
from tollgate.testing.sqlservers import ServerMissing

T = "cgrates.org"
TUTORIAL = (
    Path(__file__).parents[3] / "shared" / "spec" / "cgrates-v0.10" / "tariffplans" / "tutorial"
)
MAP_FIELDS = [
    {"path": "*exp.Account", "type": "*composed", "value": "~*req.Account"},
    {"path": "*exp.RunID", "type": "*composed", "value": "~*req.RunID"},
    {"path": "*exp.Cost", "type": "*composed", "value": "~*req.Cost", "rounding_decimals": 4},
]
CALL = {
    "OriginHost": "10.0.0.9",
    "RequestType": "*postpaid",
    "SetupTime": "2024-01-02T09:59:55Z",
    "Usage": "2m10s",
}


@pytest.fixture(scope="module")
def broker() -> Iterator[RabbitMQ]:
    try:
        server = start_rabbitmq()
    except ServerMissing as exc:
        if os.environ.get("CI"):
            pytest.fail(f"{exc} (CI runs every exporter: nothing may be skipped)")
        pytest.skip(str(exc))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def failed_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("failed_posts")


@pytest.fixture(scope="module")
def engine(
    tmp_path_factory: pytest.TempPathFactory, broker: RabbitMQ, failed_dir: Path
) -> Iterator[EngineProcess]:
    url = broker.url
    later = f"amqp://guest:guest@127.0.0.1:{broker.port}/later?queue_id=tg_later"
    config = {
        "general": {"default_timezone": "UTC", "failed_posts_dir": str(failed_dir)},
        "schedulers": {"enabled": True},
        "apiers": {"enabled": True, "scheduler_conns": ["*internal"]},
        "rals": {"enabled": True},
        "attributes": {"enabled": True},
        "chargers": {"enabled": True, "attributes_conns": ["*internal"]},
        "cdrs": {
            "enabled": True,
            "chargers_conns": ["*internal"],
            "rals_conns": ["*internal"],
            "online_cdr_exports": ["online", "later"],
        },
        "cdre": {
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
        },
    }  # fmt: skip
    proc = EngineProcess.prepare(tmp_path_factory.mktemp("amqp"), config).start()
    try:
        assert (
            call(proc, "APIerSv1.LoadTariffPlanFromFolder", {"FolderPath": str(TUTORIAL)}) == "OK"
        )
        for origin_id, account, dest, answer in (
            ("amq1", "1001", "1002", "2024-01-02T10:00:00Z"),
            ("amq2", "1002", "1001", "2024-01-02T11:00:00Z"),
        ):
            event = {**CALL, "OriginID": origin_id, "Account": account, "Destination": dest,
                     "AnswerTime": answer}  # fmt: skip
            flags = ["*rals", "*store", "*export:false"]
            assert call(proc, "CDRsV1.ProcessEvent", {"Flags": flags, "Tenant": T,
                                                      "Event": event}) == "OK"  # fmt: skip
        yield proc
    finally:
        assert proc.stop() == 0, proc.log()


def call(proc: EngineProcess, method: str, params: Any) -> Any:
    return rpc(proc.ports["rpc_json"], method, params, timeout=30)


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


def test_export_json_map_to_a_queue(engine: EngineProcess, broker: RabbitMQ) -> None:
    reply = call(
        engine,
        "APIerSv1.ExportCDRs",
        {"ExportArgs": {"ExportTemplate": "map", "ExportID": "m1"}, "Verbose": True, **FILTER},
    )
    assert reply["ExportedPath"] == f"{broker.url}?queue_id=tg_map"  # the URL, untouched
    assert (reply["TotalRecords"], reply["TotalCost"], reply["UnexportedCGRIDs"]) == (
        2,
        1.4338,
        {},
    )
    got = messages(broker.url, "tg_map", 2)
    assert {ctype for ctype, _ in got} == {"application/json"}
    assert sorted((b for _, b in got), key=lambda b: b["Account"]) == [
        {"Account": "1001", "RunID": "*default", "Cost": "0.7169"},
        {"Account": "1002", "RunID": "*default", "Cost": "0.7169"},
    ]


def test_export_whole_cdrs_through_a_fanout_exchange(
    engine: EngineProcess, broker: RabbitMQ
) -> None:
    reply = call(
        engine, "APIerSv1.ExportCDRs", {"ExportTemplate": "cdr", "Verbose": True, **FILTER}
    )
    assert reply["TotalRecords"] == 2
    got = messages(broker.url, "tg_cdr", 2)
    cdrs = sorted((b for _, b in got), key=lambda b: b["OriginID"])
    assert [(c["OriginID"], c["Account"], c["RunID"], c["Cost"]) for c in cdrs] == [
        ("amq1", "1001", "*default", 0.7169),
        ("amq2", "1002", "*default", 0.7169),
    ]
    assert cdrs[0]["Usage"] == 130_000_000_000  # the CDR as JSON: usage in nanoseconds
    assert "tg_fan" in broker.ctl("list_exchanges", "name", "type")


def test_online_export_and_replay_of_a_refused_post(
    engine: EngineProcess, broker: RabbitMQ, failed_dir: Path
) -> None:
    event = {**CALL, "OriginID": "amq3", "Account": "1001", "Destination": "1002",
             "AnswerTime": "2024-01-02T12:00:00Z"}  # fmt: skip
    args = {"Flags": ["*rals", "*store", "*export"], "Tenant": T, "Event": event}
    assert call(engine, "CDRsV1.ProcessEvent", args) == "OK"
    [(_, online)] = messages(broker.url, "tg_online", 1)
    assert online == {"Account": "1001", "RunID": "*default", "Cost": "0.7169"}
    # the vhost "later" does not exist: the broker refuses, the post is kept
    deadline = time.monotonic() + 20
    while not list(failed_dir.iterdir()):
        assert time.monotonic() < deadline, "no failed post kept"
        time.sleep(0.05)
    [kept_file] = list(failed_dir.iterdir())
    kept = json.loads(kept_file.read_text())
    assert kept["Format"] == "*amqp_json_map"
    assert kept["Path"].endswith("/later?queue_id=tg_later")
    assert json.loads(kept["Body"]) == online
    # replaying while the broker still refuses moves it to the out folder
    out = failed_dir.parent / "failed_again"
    assert call(
        engine,
        "APIerSv1.ReplayFailedPosts",
        {"FailedRequestsOutDir": str(out), "Modules": ["cdr"]},
    ) == "OK"  # fmt: skip
    assert list(failed_dir.iterdir()) == []
    assert [p.name for p in out.iterdir()] == [kept_file.name]
    # fix the broker, replay from the out folder: delivered, file gone
    broker.ctl("add_vhost", "later")
    broker.ctl("set_permissions", "-p", "later", "guest", ".*", ".*", ".*")
    assert call(engine, "APIerSv1.ReplayFailedPosts", {"FailedRequestsInDir": str(out)}) == "OK"
    assert list(out.iterdir()) == []
    later = f"amqp://guest:guest@127.0.0.1:{broker.port}/later"
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


def test_the_amqp_json_map_action(engine: EngineProcess, broker: RabbitMQ) -> None:
    """``*amqp_json_map`` in Actions: the account as JSON to the queue its URL names."""
    url = f"{broker.url}?queue_id=tg_actions"
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
    [(ctype, account)] = messages(broker.url, "tg_actions", 1)
    assert ctype == "application/json"
    assert account["ID"] == "cgrates.org:1003"
    assert [b["Value"] for b in account["BalanceMap"]["*monetary"]] == [15]  # 10 + 5
