"""The queue side of an actor: operator configuration, RabbitMQ and SQS queues, sidecar env and KEDA triggers.

The reconciler uses :class:`TransportRegistry` (from the operator's configuration) to resolve
``spec.transport`` to a :class:`Transport`, and handles every :class:`TransportError` by its ``reason``.
"""

from __future__ import annotations

from controller.transports.base import (
    ActorRef,
    EnsuredQueue,
    QueueMetrics,
    Reason,
    SecretReader,
    Transport,
    TransportError,
)
from controller.transports.config import (
    TransportConfigError,
    TransportsConfig,
    load_transports,
    parse_transports,
    queue_management_disabled,
)
from controller.transports.registry import TransportRegistry

__all__ = [
    "ActorRef",
    "EnsuredQueue",
    "QueueMetrics",
    "Reason",
    "SecretReader",
    "Transport",
    "TransportConfigError",
    "TransportError",
    "TransportRegistry",
    "TransportsConfig",
    "load_transports",
    "parse_transports",
    "queue_management_disabled",
]
