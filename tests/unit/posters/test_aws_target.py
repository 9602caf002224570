"""SQS/S3 export paths: CGRateS's signing and queue parameters taken out of the URL."""

from __future__ import annotations

import pytest

from tollgate.core.errors import TollgateError
from tollgate.posters import AWSTarget


def test_the_manual_sample() -> None:
    target = AWSTarget.parse(
        "http://sqs.eu-west-2.amazonaws.com/?aws_region=eu-west-2&aws_key=testkey"
        "&aws_secret=testsecret&queue_id=cgrates-cdrs"
    )
    assert target == AWSTarget(
        endpoint="http://sqs.eu-west-2.amazonaws.com",
        region="eu-west-2",
        key="testkey",
        secret="testsecret",
        queue_id="cgrates-cdrs",
    )


def test_defaults_token_and_foreign_parameters() -> None:
    target = AWSTarget.parse("https://s3.example.net/base?aws_token=t&x=1")
    assert (target.endpoint, target.token, target.queue_id) == (
        "https://s3.example.net/base?x=1",
        "t",
        "cgrates_cdrs",
    )


@pytest.mark.parametrize("path", ["amqp://host/", "localhost:9092?topic=x", ""])
def test_not_an_aws_url(path: str) -> None:
    with pytest.raises(TollgateError, match="invalid AWS URL"):
        AWSTarget.parse(path)
