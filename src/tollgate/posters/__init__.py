"""Posters: deliver bodies to message queues and object stores (AMQP, SQS, S3) for the CDR
exporters and the actions."""

from __future__ import annotations

from tollgate.posters.amqp import AMQP_FORMATS, AMQPPoster, AMQPTarget
from tollgate.posters.aws import S3_FORMATS, SQS_FORMATS, AWSPoster, AWSTarget

__all__ = [
    "AMQP_FORMATS",
    "S3_FORMATS",
    "SQS_FORMATS",
    "AMQPPoster",
    "AMQPTarget",
    "AWSPoster",
    "AWSTarget",
]
