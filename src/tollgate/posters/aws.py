"""Amazon SQS and S3 posting for the ``*sqs_json_map`` / ``*s3_json_map`` exports and actions.

The path is the service URL with CGRateS's extra query parameters (``docs/cdre.rst``)::

    http://sqs.eu-west-2.amazonaws.com/?aws_region=eu-west-2&aws_key=testkey&aws_secret=testsecret&queue_id=cgrates-cdrs
    http://s3.us-east-2.amazonaws.com/?aws_region=eu-west-2&aws_key=testkey&aws_secret=testsecret&queue_id=cgrates-cdrs

``aws_region``, ``aws_key``, ``aws_secret`` (and ``aws_token``) sign the requests; the URL
without them is the endpoint, so an SQS- or S3-compatible service elsewhere works too. For
SQS ``queue_id`` (default ``cgrates_cdrs``) is the queue, created when missing, and each body
is one message; for S3 it is the bucket (path-style addressing) and each body one object
under the key the caller gives. Clients are made once per path; boto3 is synchronous, so
each call runs in a worker thread.
"""

from __future__ import annotations

import asyncio
import threading
import urllib.parse
from dataclasses import dataclass
from typing import Any, Final

import boto3
import botocore.config
import botocore.exceptions

from tollgate.core.errors import TollgateError

__all__ = ["S3_FORMATS", "SQS_FORMATS", "AWSPoster", "AWSTarget"]

SQS_FORMATS: Final = frozenset({"*sqs_json_map"})
S3_FORMATS: Final = frozenset({"*s3_json_map"})
DEFAULT_QUEUE: Final = "cgrates_cdrs"
_OWN_PARAMS: Final = frozenset({"aws_region", "aws_key", "aws_secret", "aws_token", "queue_id"})
_TIMEOUTS: Final = botocore.config.Config(
    connect_timeout=10,
    read_timeout=30,
    retries={"max_attempts": 1},
    s3={"addressing_style": "path"},
)


@dataclass(frozen=True, slots=True)
class AWSTarget:
    """Where one path posts: endpoint, signing, and the queue (SQS) or bucket (S3)."""

    endpoint: str
    region: str = ""
    key: str = ""
    secret: str = ""
    token: str = ""
    queue_id: str = DEFAULT_QUEUE

    @classmethod
    def parse(cls, path: str) -> AWSTarget:
        parts = urllib.parse.urlsplit(path)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise TollgateError(f"invalid AWS URL: <{path}>")
        own = dict(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
        rest = [(k, v) for k, v in urllib.parse.parse_qsl(parts.query) if k not in _OWN_PARAMS]
        endpoint = urllib.parse.urlunsplit(
            parts._replace(query=urllib.parse.urlencode(rest), fragment="")
        ).rstrip("/")
        return cls(
            endpoint=endpoint,
            region=own.get("aws_region", ""),
            key=own.get("aws_key", ""),
            secret=own.get("aws_secret", ""),
            token=own.get("aws_token", ""),
            queue_id=own.get("queue_id") or DEFAULT_QUEUE,
        )

    def client(self, service: str) -> Any:
        return boto3.session.Session().client(
            service,
            endpoint_url=self.endpoint,
            region_name=self.region or None,
            aws_access_key_id=self.key or None,
            aws_secret_access_key=self.secret or None,
            aws_session_token=self.token or None,
            config=_TIMEOUTS,
        )


class AWSPoster:
    """Sends SQS messages and writes S3 objects; keeps one client per target and service."""

    def __init__(self) -> None:
        self._clients: dict[tuple[str, AWSTarget], Any] = {}
        self._queue_urls: dict[AWSTarget, str] = {}
        self._targets: dict[str, AWSTarget] = {}  # path -> parsed, once per path
        self._lock = threading.Lock()

    def _target(self, path: str) -> AWSTarget:
        target = self._targets.get(path)
        if target is None:
            target = self._targets[path] = AWSTarget.parse(path)
        return target

    def _client(self, service: str, target: AWSTarget) -> Any:
        with self._lock:
            client = self._clients.get((service, target))
            if client is None:
                client = self._clients[(service, target)] = target.client(service)
            return client

    async def send_sqs(self, path: str, body: bytes) -> None:
        """One message to the queue ``path`` names; TollgateError when it cannot."""
        await asyncio.to_thread(self._send_sqs, self._target(path), body)

    def _send_sqs(self, target: AWSTarget, body: bytes) -> None:
        client = self._client("sqs", target)
        try:
            url = self._queue_urls.get(target)
            if url is None:
                try:
                    url = client.get_queue_url(QueueName=target.queue_id)["QueueUrl"]
                except client.exceptions.QueueDoesNotExist:
                    url = client.create_queue(QueueName=target.queue_id)["QueueUrl"]
                self._queue_urls[target] = url
            client.send_message(QueueUrl=url, MessageBody=body.decode())
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
            self._queue_urls.pop(target, None)
            raise TollgateError(str(exc)) from exc

    async def put_s3(self, path: str, body: bytes, key: str) -> None:
        """One object ``key`` in the bucket ``path`` names; TollgateError when it cannot."""
        await asyncio.to_thread(self._put_s3, self._target(path), body, key)

    def _put_s3(self, target: AWSTarget, body: bytes, key: str) -> None:
        client = self._client("s3", target)
        try:
            client.put_object(
                Bucket=target.queue_id, Key=key, Body=body, ContentType="application/json"
            )
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
            raise TollgateError(str(exc)) from exc

    def close(self) -> None:
        with self._lock:
            for client in self._clients.values():
                client.close()
            self._clients.clear()
            self._queue_urls.clear()
