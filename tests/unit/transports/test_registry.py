"""Resolving ``spec.transport`` to a configured transport."""

from __future__ import annotations

import json
import subprocess
import sys

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


# Builds the registry from a configuration in a fresh interpreter; prints which client libraries it loaded.
_IMPORTS = """
import json, sys
from controller.app import build  # everything the controller imports at start
from controller.transports.config import parse_transports
from controller.transports.registry import TransportRegistry
from tests.services.secrets import DictSecrets
registry = TransportRegistry(parse_transports(json.loads(sys.argv[1])), secrets=DictSecrets())
print(json.dumps(sorted(name for name in ("aiobotocore", "botocore", "aio_pika") if name in sys.modules)))
"""


def _libraries_loaded(document: dict[str, object]) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", _IMPORTS, json.dumps(document)], capture_output=True, text=True, check=True
    )
    loaded: list[str] = json.loads(done.stdout)
    return loaded


def test_the_sqs_client_library_is_loaded_only_for_an_sqs_transport() -> None:
    """aiobotocore and botocore cost memory that a controller of RabbitMQ actors need not pay."""
    rabbitmq_only = {
        "transports": {
            "main": {
                "type": "rabbitmq",
                "config": {"host": "rabbit", "passwordSecretRef": {"name": "s", "key": "p"}},
            }
        }
    }
    assert _libraries_loaded(rabbitmq_only) == ["aio_pika"]
    assert _libraries_loaded(DOCUMENT) == ["aio_pika", "aiobotocore", "botocore"]
