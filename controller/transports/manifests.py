"""Pure builders: the sidecar env, the KEDA trigger, the TriggerAuthentication and the IRSA ServiceAccount.

Contract §6.3 (sidecar env, names and order compatible with the Asya sidecar) and §7 (KEDA). Every function is
a pure function of the transport's configuration and the actor; the objects are plain dicts that state exactly
the fields the controller owns (``apiVersion``, ``kind``, ``metadata.name``/``namespace``, the
``app.kubernetes.io/managed-by: asya-controller`` label, and the spec), ready for server-side apply. The
caller adds an ``ownerReference`` if it wants one.

Secrets appear only as references: ``valueFrom.secretKeyRef`` in the env, ``secretTargetRef`` in the
TriggerAuthentication; never as a value, never inside trigger metadata.

Decisions the contract leaves open:
- RabbitMQ: the trigger's ``host`` carries no credentials; the TriggerAuthentication passes ``username`` and
  ``password`` (KEDA wants both): from the configured Secrets, or, for a username given as a plain value, from
  the sidecar's own ``ASYA_RABBITMQ_USERNAME`` env (TriggerAuthentication ``env`` with ``containerName``).
- SQS: a TriggerAuthentication always exists: ``podIdentity {provider: aws, identityOwner: workload}`` with
  IRSA (KEDA assumes the role of the actor's ServiceAccount), else ``secretTargetRef`` with static
  credentials, else ``podIdentity {provider: aws}`` (KEDA's own identity).
"""

from __future__ import annotations

from typing import Any

from controller.api.constants import FIELD_MANAGER, LABEL_MANAGED_BY, SIDECAR_CONTAINER
from controller.transports.base import ActorRef, Manifest
from controller.transports.config import RabbitMQConfig, SecretRef, SQSConfig

KEDA_API_VERSION = "keda.sh/v1alpha1"
TRIGGER_NAME = "queue"
IRSA_ANNOTATION = "eks.amazonaws.com/role-arn"


def trigger_authentication_name(actor: ActorRef) -> str:
    return f"{actor.name}-trigger-auth"


def service_account_name(actor: ActorRef) -> str:
    return f"asya-{actor.name}"


def _metadata(name: str, namespace: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "namespace": namespace, "labels": {LABEL_MANAGED_BY: FIELD_MANAGER}, **extra}


def _value(name: str, value: str) -> Manifest:
    return {"name": name, "value": value}


def _secret(name: str, ref: SecretRef) -> Manifest:
    return {"name": name, "valueFrom": {"secretKeyRef": {"name": ref.name, "key": ref.key}}}


def _secret_target(parameter: str, ref: SecretRef) -> Manifest:
    return {"parameter": parameter, "name": ref.name, "key": ref.key}


def _trigger_authentication(actor: ActorRef, spec: dict[str, Any]) -> Manifest:
    return {
        "apiVersion": KEDA_API_VERSION,
        "kind": "TriggerAuthentication",
        "metadata": _metadata(trigger_authentication_name(actor), actor.namespace),
        "spec": spec,
    }


# --- RabbitMQ -----------------------------------------------------------------------------------------------


def rabbitmq_sidecar_env(config: RabbitMQConfig, actor: ActorRef) -> list[Manifest]:
    username = (
        _secret("ASYA_RABBITMQ_USERNAME", config.username_secret_ref)
        if config.username_secret_ref is not None
        else _value("ASYA_RABBITMQ_USERNAME", config.plain_username or "guest")
    )
    return [
        _value("ASYA_TRANSPORT", "rabbitmq"),
        _value("ASYA_RABBITMQ_HOST", config.host),
        _value("ASYA_RABBITMQ_PORT", str(config.port)),
        username,
        _secret("ASYA_RABBITMQ_PASSWORD", config.password_secret_ref),
        _value("ASYA_RABBITMQ_EXCHANGE", config.exchange),
        _value("ASYA_QUEUE_AUTO_CREATE", "true" if config.queues.auto_create else "false"),
    ]


def rabbitmq_trigger(config: RabbitMQConfig, actor: ActorRef, *, queue_length: int) -> Manifest:
    if config.management_url is not None:
        # The management API counts unacknowledged messages too; AMQP only sees the ready ones.
        protocol, host = "http", f"{config.effective_management_url}/"
    else:
        protocol, host = "amqp", f"{'amqps' if config.tls else 'amqp'}://{config.host}:{config.port}/"
    return {
        "type": "rabbitmq",
        "name": TRIGGER_NAME,
        "metadata": {
            "protocol": protocol,
            "host": host,
            "vhostName": config.vhost,
            "queueName": actor.queue_name,
            "mode": "QueueLength",
            "value": str(queue_length),
        },
        "authenticationRef": {"name": trigger_authentication_name(actor)},
    }


def rabbitmq_trigger_authentication(config: RabbitMQConfig, actor: ActorRef) -> Manifest:
    spec: dict[str, Any] = {}
    targets = [_secret_target("password", config.password_secret_ref)]
    if config.username_secret_ref is not None:
        targets.insert(0, _secret_target("username", config.username_secret_ref))
    else:
        spec["env"] = [
            {"parameter": "username", "name": "ASYA_RABBITMQ_USERNAME", "containerName": SIDECAR_CONTAINER}
        ]
    spec["secretTargetRef"] = targets
    return _trigger_authentication(actor, spec)


# --- SQS ----------------------------------------------------------------------------------------------------


def sqs_queue_url(config: SQSConfig, actor: ActorRef) -> str:
    base = config.normalized_endpoint or f"https://sqs.{config.region}.amazonaws.com"
    return f"{base}/{config.account_id}/{actor.queue_name}"


def sqs_sidecar_env(config: SQSConfig, actor: ActorRef) -> list[Manifest]:
    env = [_value("ASYA_TRANSPORT", "sqs"), _value("ASYA_AWS_REGION", config.region)]
    if config.normalized_endpoint is not None:
        env.append(_value("ASYA_SQS_ENDPOINT", config.normalized_endpoint))
    env.append(
        _value("ASYA_SQS_VISIBILITY_TIMEOUT", str(config.visibility_timeout_for(actor.processing_timeout)))
    )
    if config.wait_time_seconds is not None:
        env.append(_value("ASYA_SQS_WAIT_TIME_SECONDS", str(config.wait_time_seconds)))
    if config.credentials is not None:
        env.append(_secret("AWS_ACCESS_KEY_ID", config.credentials.access_key_id_secret_ref))
        env.append(_secret("AWS_SECRET_ACCESS_KEY", config.credentials.secret_access_key_secret_ref))
    return env


def sqs_trigger(config: SQSConfig, actor: ActorRef, *, queue_length: int) -> Manifest:
    metadata = {
        "queueURL": sqs_queue_url(config, actor),
        "queueLength": str(queue_length),
        "awsRegion": config.region,
    }
    if config.normalized_endpoint is not None:
        metadata["awsEndpoint"] = config.normalized_endpoint
    return {
        "type": "aws-sqs-queue",
        "name": TRIGGER_NAME,
        "metadata": metadata,
        "authenticationRef": {"name": trigger_authentication_name(actor)},
    }


def sqs_trigger_authentication(config: SQSConfig, actor: ActorRef) -> Manifest:
    spec: dict[str, Any]
    if config.actor_role_arn is not None:
        spec = {"podIdentity": {"provider": "aws", "identityOwner": "workload"}}
    elif config.credentials is not None:
        spec = {
            "secretTargetRef": [
                _secret_target("awsAccessKeyID", config.credentials.access_key_id_secret_ref),
                _secret_target("awsSecretAccessKey", config.credentials.secret_access_key_secret_ref),
            ]
        }
    else:
        spec = {"podIdentity": {"provider": "aws"}}
    return _trigger_authentication(actor, spec)


def sqs_service_account(config: SQSConfig, actor: ActorRef) -> Manifest | None:
    if config.actor_role_arn is None:
        return None
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": _metadata(
            service_account_name(actor), actor.namespace, annotations={IRSA_ANNOTATION: config.actor_role_arn}
        ),
    }
