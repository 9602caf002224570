"""AMQP export paths: CGRateS's query parameters taken out of the broker URL."""

from __future__ import annotations

import pytest

from tollgate.core.errors import TollgateError
from tollgate.posters import AMQPTarget


def test_the_manual_sample() -> None:
    target = AMQPTarget.parse(
        "amqp://guest:guest@localhost:5672/?queue_id=cgrates_cdrs&exchange=exchangename"
        "&exchange_type=fanout&routing_key=cgr_cdrs"
    )
    assert target == AMQPTarget(
        url="amqp://guest:guest@localhost:5672/",
        queue_id="cgrates_cdrs",
        exchange="exchangename",
        exchange_type="fanout",
        routing_key="cgr_cdrs",
    )


def test_defaults_and_foreign_parameters_kept() -> None:
    target = AMQPTarget.parse("amqps://u:p@broker/vh?heartbeat=30&queue_id=")
    assert target.url == "amqps://u:p@broker/vh?heartbeat=30"
    assert (target.queue_id, target.exchange, target.exchange_type, target.routing_key) == (
        "cgrates_cdrs",
        "",
        "direct",
        "",
    )


@pytest.mark.parametrize("path", ["http://host/", "amqp:///nohost", "/var/spool/x", ""])
def test_not_an_amqp_url(path: str) -> None:
    with pytest.raises(TollgateError, match="invalid AMQP URL"):
        AMQPTarget.parse(path)
