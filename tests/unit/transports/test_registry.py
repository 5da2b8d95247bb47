"""Resolving ``spec.transport`` to a configured transport."""

from __future__ import annotations

import json

import pytest

from controller.transports.base import Reason, TransportError
from controller.transports.config import parse_transports
from controller.transports.rabbitmq import RabbitMQTransport
from controller.transports.registry import TransportRegistry
from controller.transports.sqs import SQSTransport
from tests.services.secrets import DictSecrets

DOCUMENT = {
    "transports": {
        "main": {
            "type": "rabbitmq",
            "config": {"host": "rabbit", "passwordSecretRef": {"name": "s", "key": "p"}},
        },
        "aws": {"type": "sqs", "config": {"region": "us-east-1", "accountId": "123456789012"}},
        "old": {
            "type": "sqs",
            "enabled": False,
            "config": {"region": "us-east-1", "accountId": "123456789012"},
        },
    }
}


@pytest.fixture
def registry() -> TransportRegistry:
    return TransportRegistry(parse_transports(DOCUMENT), secrets=DictSecrets())


def test_enabled_transports_resolve_by_name(registry: TransportRegistry) -> None:
    main, aws = registry.get("main"), registry.get("aws")
    assert isinstance(main, RabbitMQTransport)
    assert isinstance(aws, SQSTransport)
    assert [(t.name, t.type) for t in (main, aws)] == [("main", "rabbitmq"), ("aws", "sqs")]
    assert registry.get("main") is main  # one instance per transport: its connections are shared


def test_a_disabled_transport_is_known_but_unusable(registry: TransportRegistry) -> None:
    with pytest.raises(TransportError) as caught:
        registry.get("old")
    assert caught.value.reason is Reason.TRANSPORT_DISABLED
    assert "'old' is disabled" in caught.value.message


def test_an_unknown_transport_names_the_configured_ones(registry: TransportRegistry) -> None:
    with pytest.raises(TransportError) as caught:
        registry.get("rabbitmq")
    assert caught.value.reason is Reason.TRANSPORT_NOT_CONFIGURED
    assert "configured: 'aws', 'main', 'old'" in caught.value.message


def test_from_env_reads_the_configuration_and_the_management_switch() -> None:
    env = {"ASYA_TRANSPORT_CONFIG": json.dumps(DOCUMENT), "ASYA_DISABLE_QUEUE_MANAGEMENT": "true"}
    registry = TransportRegistry.from_env(env, secrets=DictSecrets())
    assert registry.manage_queues is False
    assert registry.get("main").deletes_queues is False
    assert registry.names == ["aws", "main", "old"]


def test_from_env_without_configuration_knows_no_transport() -> None:
    registry = TransportRegistry.from_env({}, secrets=DictSecrets())
    with pytest.raises(TransportError) as caught:
        registry.get("main")
    assert caught.value.reason is Reason.TRANSPORT_NOT_CONFIGURED
    assert "configured: none" in caught.value.message


async def test_aclose_without_any_connection_is_fine(registry: TransportRegistry) -> None:
    await registry.aclose()
