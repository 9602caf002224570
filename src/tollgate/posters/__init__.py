"""Posters: deliver bodies to message queues for the CDR exporters and the actions."""

from __future__ import annotations

from tollgate.posters.amqp import AMQP_FORMATS, AMQPPoster, AMQPTarget

__all__ = ["AMQP_FORMATS", "AMQPPoster", "AMQPTarget"]
