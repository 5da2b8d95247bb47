"""Sidecar env, KEDA trigger, TriggerAuthentication, ServiceAccount: field by field (contract §6.3, §7)."""

from __future__ import annotations

from typing import Any

from controller.transports import manifests
from controller.transports.base import ActorRef
from controller.transports.config import RabbitMQConfig, SQSConfig

ACTOR = ActorRef(name="text-processor", namespace="team-a", processing_timeout=120)
MANAGED = {"app.kubernetes.io/managed-by": "asya-controller"}
PASSWORD_REF = {"name": "rabbitmq-credentials", "key": "password"}


def rabbitmq(**overrides: Any) -> RabbitMQConfig:
    return RabbitMQConfig.model_validate(
        {"host": "rabbitmq.messaging", "passwordSecretRef": PASSWORD_REF} | overrides
    )


def sqs(**overrides: Any) -> SQSConfig:
    return SQSConfig.model_validate({"region": "eu-west-1", "accountId": "123456789012"} | overrides)


SQS_CREDENTIALS = {
    "accessKeyIdSecretRef": {"name": "aws-creds", "key": "access-key-id"},
    "secretAccessKeySecretRef": {"name": "aws-creds", "key": "secret-access-key"},
}


def secret_env(name: str, secret: str, key: str) -> dict[str, Any]:
    return {"name": name, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}


# --- RabbitMQ -----------------------------------------------------------------------------------------------


def test_rabbitmq_sidecar_env_in_contract_order_with_plain_username() -> None:
    assert manifests.rabbitmq_sidecar_env(rabbitmq(port=5673, exchange="actors"), ACTOR) == [
        {"name": "ASYA_TRANSPORT", "value": "rabbitmq"},
        {"name": "ASYA_RABBITMQ_HOST", "value": "rabbitmq.messaging"},
        {"name": "ASYA_RABBITMQ_PORT", "value": "5673"},
        {"name": "ASYA_RABBITMQ_USERNAME", "value": "guest"},
        secret_env("ASYA_RABBITMQ_PASSWORD", "rabbitmq-credentials", "password"),
        {"name": "ASYA_RABBITMQ_EXCHANGE", "value": "actors"},
        {"name": "ASYA_QUEUE_AUTO_CREATE", "value": "true"},
    ]


def test_rabbitmq_sidecar_env_with_username_from_a_secret_and_queues_managed_elsewhere() -> None:
    config = rabbitmq(usernameSecretRef={"name": "rabbitmq-credentials", "key": "username"}, queues={})
    env = manifests.rabbitmq_sidecar_env(config, ACTOR)
    assert env[3] == secret_env("ASYA_RABBITMQ_USERNAME", "rabbitmq-credentials", "username")
    assert env[6] == {"name": "ASYA_QUEUE_AUTO_CREATE", "value": "false"}


def test_rabbitmq_trigger_over_amqp_without_a_management_url() -> None:
    assert manifests.rabbitmq_trigger(rabbitmq(vhost="asya"), ACTOR, queue_length=7) == {
        "type": "rabbitmq",
        "name": "queue",
        "metadata": {
            "protocol": "amqp",
            "host": "amqp://rabbitmq.messaging:5672/",
            "vhostName": "asya",
            "queueName": "asya-text-processor",
            "mode": "QueueLength",
            "value": "7",
        },
        "authenticationRef": {"name": "text-processor-trigger-auth"},
    }


def test_rabbitmq_trigger_over_http_with_a_management_url() -> None:
    config = rabbitmq(managementUrl="https://rabbit-admin.example:443/", tls=True)
    metadata = manifests.rabbitmq_trigger(config, ACTOR, queue_length=5)["metadata"]
    assert (metadata["protocol"], metadata["host"], metadata["vhostName"]) == (
        "http",
        "https://rabbit-admin.example:443/",
        "/",
    )


def test_rabbitmq_trigger_over_amqps_with_tls() -> None:
    metadata = manifests.rabbitmq_trigger(rabbitmq(tls=True, port=5671), ACTOR, queue_length=5)["metadata"]
    assert metadata["host"] == "amqps://rabbitmq.messaging:5671/"


def test_rabbitmq_trigger_authentication_with_plain_username() -> None:
    assert manifests.rabbitmq_trigger_authentication(rabbitmq(username="asya"), ACTOR) == {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "TriggerAuthentication",
        "metadata": {"name": "text-processor-trigger-auth", "namespace": "team-a", "labels": MANAGED},
        "spec": {
            "env": [
                {"parameter": "username", "name": "ASYA_RABBITMQ_USERNAME", "containerName": "asya-sidecar"}
            ],
            "secretTargetRef": [{"parameter": "password", "name": "rabbitmq-credentials", "key": "password"}],
        },
    }


def test_rabbitmq_trigger_authentication_with_username_from_a_secret() -> None:
    config = rabbitmq(usernameSecretRef={"name": "rabbitmq-credentials", "key": "username"})
    assert manifests.rabbitmq_trigger_authentication(config, ACTOR)["spec"] == {
        "secretTargetRef": [
            {"parameter": "username", "name": "rabbitmq-credentials", "key": "username"},
            {"parameter": "password", "name": "rabbitmq-credentials", "key": "password"},
        ]
    }


# --- SQS ----------------------------------------------------------------------------------------------------


def test_sqs_sidecar_env_with_everything_configured() -> None:
    config = sqs(endpoint="http://localstack:4566/", waitTimeSeconds=20, credentials=SQS_CREDENTIALS)
    assert manifests.sqs_sidecar_env(config, ACTOR) == [
        {"name": "ASYA_TRANSPORT", "value": "sqs"},
        {"name": "ASYA_AWS_REGION", "value": "eu-west-1"},
        {"name": "ASYA_SQS_ENDPOINT", "value": "http://localstack:4566"},
        {"name": "ASYA_SQS_VISIBILITY_TIMEOUT", "value": "240"},
        {"name": "ASYA_SQS_WAIT_TIME_SECONDS", "value": "20"},
        secret_env("AWS_ACCESS_KEY_ID", "aws-creds", "access-key-id"),
        secret_env("AWS_SECRET_ACCESS_KEY", "aws-creds", "secret-access-key"),
    ]


def test_sqs_sidecar_env_leaves_out_what_is_not_configured() -> None:
    assert manifests.sqs_sidecar_env(sqs(visibilityTimeout=90), ACTOR) == [
        {"name": "ASYA_TRANSPORT", "value": "sqs"},
        {"name": "ASYA_AWS_REGION", "value": "eu-west-1"},
        {"name": "ASYA_SQS_VISIBILITY_TIMEOUT", "value": "90"},
    ]


def test_sqs_trigger_on_aws() -> None:
    assert manifests.sqs_trigger(sqs(), ACTOR, queue_length=3) == {
        "type": "aws-sqs-queue",
        "name": "queue",
        "metadata": {
            "queueURL": "https://sqs.eu-west-1.amazonaws.com/123456789012/asya-text-processor",
            "queueLength": "3",
            "awsRegion": "eu-west-1",
        },
        "authenticationRef": {"name": "text-processor-trigger-auth"},
    }


def test_sqs_trigger_with_a_custom_endpoint() -> None:
    metadata = manifests.sqs_trigger(sqs(endpoint="http://localstack:4566"), ACTOR, queue_length=3)[
        "metadata"
    ]
    assert metadata["queueURL"] == "http://localstack:4566/123456789012/asya-text-processor"
    assert metadata["awsEndpoint"] == "http://localstack:4566"


def test_sqs_trigger_authentication_with_irsa() -> None:
    config = sqs(actorRoleArn="arn:aws:iam::123456789012:role/asya", credentials=SQS_CREDENTIALS)
    assert manifests.sqs_trigger_authentication(config, ACTOR) == {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "TriggerAuthentication",
        "metadata": {"name": "text-processor-trigger-auth", "namespace": "team-a", "labels": MANAGED},
        "spec": {"podIdentity": {"provider": "aws", "identityOwner": "workload"}},
    }


def test_sqs_trigger_authentication_with_static_credentials() -> None:
    assert manifests.sqs_trigger_authentication(sqs(credentials=SQS_CREDENTIALS), ACTOR)["spec"] == {
        "secretTargetRef": [
            {"parameter": "awsAccessKeyID", "name": "aws-creds", "key": "access-key-id"},
            {"parameter": "awsSecretAccessKey", "name": "aws-creds", "key": "secret-access-key"},
        ]
    }


def test_sqs_trigger_authentication_without_credentials_uses_kedas_identity() -> None:
    assert manifests.sqs_trigger_authentication(sqs(), ACTOR)["spec"] == {"podIdentity": {"provider": "aws"}}


def test_irsa_service_account() -> None:
    config = sqs(actorRoleArn="arn:aws:iam::123456789012:role/asya")
    assert manifests.sqs_service_account(config, ACTOR) == {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {
            "name": "asya-text-processor",
            "namespace": "team-a",
            "labels": MANAGED,
            "annotations": {"eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/asya"},
        },
    }


def test_no_service_account_without_irsa() -> None:
    assert manifests.sqs_service_account(sqs(credentials=SQS_CREDENTIALS), ACTOR) is None


def test_builders_return_fresh_objects() -> None:
    """The caller may add to what it gets (e.g. an ownerReference) without changing the next result."""
    first = manifests.sqs_service_account(sqs(actorRoleArn="arn:aws:iam::123456789012:role/asya"), ACTOR)
    assert first is not None
    first["metadata"]["labels"]["extra"] = "x"
    second = manifests.sqs_service_account(sqs(actorRoleArn="arn:aws:iam::123456789012:role/asya"), ACTOR)
    assert second is not None
    assert second["metadata"]["labels"] == MANAGED
