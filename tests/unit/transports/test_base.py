"""TransportError semantics and Secret lookups."""

from __future__ import annotations

import pytest

from controller.api.models import AsyncActorSpec, TimeoutSpec
from controller.transports.base import ActorRef, Reason, TransportError, read_secret
from controller.transports.config import SecretRef
from tests.services.secrets import DictSecrets


@pytest.mark.parametrize("reason", [r for r in Reason if r is not Reason.SECRET_NOT_FOUND])
def test_every_reason_but_a_missing_secret_means_transport_ready_false(reason: Reason) -> None:
    error = TransportError(reason, "x")
    assert (error.condition_status, error.is_config_error) == ("False", False)


def test_a_missing_secret_is_a_config_error_with_transport_ready_unknown() -> None:
    error = TransportError(Reason.SECRET_NOT_FOUND, "x")
    assert (error.condition_status, error.is_config_error) == ("Unknown", True)


def test_reasons_are_the_condition_reason_strings() -> None:
    assert Reason.QUEUE_DELETED_RECENTLY == "QueueDeletedRecently"
    assert str(TransportError(Reason.BROKER_UNAVAILABLE, "down")) == "down"


async def test_read_secret_returns_the_value() -> None:
    secrets = DictSecrets({("ns", "creds"): {"password": "s3cret"}})
    assert await read_secret(secrets, "ns", SecretRef(name="creds", key="password"), purpose="p") == "s3cret"


@pytest.mark.parametrize(
    "data", [{}, {("ns", "creds"): {"other": "x"}}, {("elsewhere", "creds"): {"password": "x"}}]
)
async def test_a_missing_secret_or_key_names_both_and_the_namespace(
    data: dict[tuple[str, str], dict[str, str]],
) -> None:
    with pytest.raises(TransportError) as caught:
        await read_secret(
            DictSecrets(data), "ns", SecretRef(name="creds", key="password"), purpose="RabbitMQ password"
        )
    assert caught.value.reason is Reason.SECRET_NOT_FOUND
    assert caught.value.message.startswith(
        "RabbitMQ password: key 'password' of Secret 'creds' not found in namespace 'ns'"
    )


def test_actor_queue_name() -> None:
    assert ActorRef(name="happy-end", namespace="ns").queue_name == "asya-happy-end"


def test_actor_ref_takes_the_processing_timeout_from_the_spec() -> None:
    spec = AsyncActorSpec.model_validate(
        {
            "transport": "main",
            "timeout": {"processing": 45},
            "workload": {"template": {"spec": {"containers": [{"name": "asya-runtime"}]}}},
        }
    )
    assert ActorRef.from_spec("a", "ns", spec) == ActorRef(name="a", namespace="ns", processing_timeout=45)
    default = spec.model_copy(update={"timeout": TimeoutSpec()})
    assert ActorRef.from_spec("a", "ns", default).processing_timeout == 300
