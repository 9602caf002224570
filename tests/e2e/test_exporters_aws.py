"""The SQS and S3 exporters and actions against a real HTTP endpoint speaking the AWS APIs
(moto's server on loopback): APIerSv1.ExportCDRs with ``*sqs_json_map`` and ``*s3_json_map``,
the ``*sqs_json_map`` action, and an S3 post kept while its bucket is missing, then replayed
by APIerSv1.ReplayFailedPosts once the bucket exists."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import cdr_engine
import pytest
from cdr_engine import CALL, MAP_FIELDS, T
from moto.server import ThreadedMotoServer

from tollgate.testing.engine import EngineProcess, free_port

AUTH = {"aws_region": "eu-west-2", "aws_key": "testkey", "aws_secret": "testsecret"}


class AWS:
    """moto's server in a thread, and boto3 clients for it."""

    def __init__(self) -> None:
        self.port = free_port()
        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)

    def url(self, queue_id: str) -> str:
        return f"http://127.0.0.1:{self.port}/?" + "&".join(
            f"{k}={v}" for k, v in {**AUTH, "queue_id": queue_id}.items()
        )

    def client(self, service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=f"http://127.0.0.1:{self.port}",
            region_name=AUTH["aws_region"],
            aws_access_key_id=AUTH["aws_key"],
            aws_secret_access_key=AUTH["aws_secret"],
        )

    def messages(self, queue: str, count: int, timeout: float = 20.0) -> list[Any]:
        sqs = self.client("sqs")
        url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
        out: list[Any] = []
        deadline = time.monotonic() + timeout
        while len(out) < count:
            assert time.monotonic() < deadline, f"{count} message(s) on {queue}, got {out}"
            got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
            for msg in got.get("Messages", []):
                out.append(json.loads(msg["Body"]))
                sqs.delete_message(QueueUrl=url, ReceiptHandle=msg["ReceiptHandle"])
        return out

    def objects(self, bucket: str) -> dict[str, Any]:
        s3 = self.client("s3")
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
        return {k: json.loads(s3.get_object(Bucket=bucket, Key=k)["Body"].read()) for k in keys}


@pytest.fixture(scope="module")
def aws() -> Iterator[AWS]:
    server = AWS()
    server.server.start()
    try:
        yield server
    finally:
        server.server.stop()


@pytest.fixture(scope="module")
def engine(
    tmp_path_factory: pytest.TempPathFactory, aws: AWS, failed_dir: Path
) -> Iterator[EngineProcess]:
    aws.client("s3").create_bucket(
        Bucket="tg-bucket", CreateBucketConfiguration={"LocationConstraint": "eu-west-2"}
    )
    cdre = {
        "sqs": {"export_format": "*sqs_json_map", "export_path": aws.url("tg-cdrs"),
                "synchronous": True, "fields": MAP_FIELDS},
        "s3": {"export_format": "*s3_json_map", "export_path": aws.url("tg-bucket"),
               "synchronous": True, "fields": MAP_FIELDS},
        "later": {"export_format": "*s3_json_map", "export_path": aws.url("tg-later"),
                  "filters": ["*string:~*req.RunID:*default"], "synchronous": True,
                  "attempts": 1, "fields": MAP_FIELDS},
    }  # fmt: skip
    cfg = cdr_engine.config(failed_dir, cdre, ["later"])
    proc = cdr_engine.start(tmp_path_factory.mktemp("aws"), cfg, "aws")
    try:
        yield proc
    finally:
        assert proc.stop() == 0, proc.log()


call = cdr_engine.call


FILTER = {"OriginIDs": ["aws1", "aws2"], "RunIDs": ["*default"], "OrderBy": "OrderID"}
EXPECTED = [
    {"Account": "1001", "RunID": "*default", "Cost": "0.7169"},
    {"Account": "1002", "RunID": "*default", "Cost": "0.7169"},
]


def test_export_to_an_sqs_queue(engine: EngineProcess, aws: AWS) -> None:
    reply = call(engine, "APIerSv1.ExportCDRs", {"ExportTemplate": "sqs", "Verbose": True,
                                                  **FILTER})  # fmt: skip
    assert reply["ExportedPath"] == aws.url("tg-cdrs")  # the URL, untouched
    assert (reply["TotalRecords"], reply["UnexportedCGRIDs"]) == (2, {})
    got = aws.messages("tg-cdrs", 2)  # the queue was created by the first post
    assert sorted(got, key=lambda b: b["Account"]) == EXPECTED


def test_export_to_an_s3_bucket(engine: EngineProcess, aws: AWS) -> None:
    reply = call(engine, "APIerSv1.ExportCDRs", {"ExportTemplate": "s3", "Verbose": True,
                                                  **FILTER})  # fmt: skip
    assert reply["TotalRecords"] == 2
    objects = aws.objects("tg-bucket")
    assert sorted(objects.values(), key=lambda b: b["Account"]) == EXPECTED
    assert all(k.endswith(":*default") for k in objects)  # <CGRID>:<RunID>


def test_the_sqs_json_map_action(engine: EngineProcess, aws: AWS) -> None:
    actions = {
        "ActionsId": "TELL_SQS",
        "Actions": [{"Identifier": "*sqs_json_map", "ExtraParameters": aws.url("tg-actions"),
                     "Weight": 10}],
    }  # fmt: skip
    assert call(engine, "APIerSv2.SetActions", actions) == "OK"
    args = {"Tenant": T, "Account": "1002", "ActionsId": "TELL_SQS"}
    assert call(engine, "APIerSv1.ExecuteAction", args) == "OK"
    [account] = aws.messages("tg-actions", 1)
    assert account["ID"] == "cgrates.org:1002"


def test_a_missing_bucket_keeps_the_post_until_replayed(
    engine: EngineProcess, aws: AWS, failed_dir: Path
) -> None:
    event = {**CALL, "OriginID": "aws3", "Account": "1001", "Destination": "1002",
             "AnswerTime": "2024-01-02T12:00:00Z"}  # fmt: skip
    args = {"Flags": ["*rals", "*store", "*export"], "Tenant": T, "Event": event}
    assert call(engine, "CDRsV1.ProcessEvent", args) == "OK"  # kept: not a failed export
    deadline = time.monotonic() + 20
    while not list(failed_dir.iterdir()):
        assert time.monotonic() < deadline, "no failed post kept"
        time.sleep(0.05)
    [kept_file] = list(failed_dir.iterdir())
    kept = json.loads(kept_file.read_text())
    assert (kept["Format"], kept["Path"]) == ("*s3_json_map", aws.url("tg-later"))
    aws.client("s3").create_bucket(
        Bucket="tg-later", CreateBucketConfiguration={"LocationConstraint": "eu-west-2"}
    )
    assert call(engine, "APIerSv1.ReplayFailedPosts", {"Modules": ["cdr"]}) == "OK"
    assert list(failed_dir.iterdir()) == []
    assert aws.objects("tg-later") == {
        kept_file.stem: {"Account": "1001", "RunID": "*default", "Cost": "0.7169"}
    }
