"""KEDA's reading of ScaledObject bounds and triggers, with its own error messages."""

from __future__ import annotations

import pytest

from tests.kubeapi.sim.keda_triggers import CheckFailed, bounds, check_trigger_names, parse_trigger

RABBIT = {
    "type": "rabbitmq",
    "name": "queue",
    "metadata": {"queueName": "asya-echo", "mode": "QueueLength", "value": "5", "protocol": "amqp"},
    "authenticationRef": {"name": "echo-trigger-auth"},
}
AUTH = {"host": "amqp://rabbit:5672/", "username": "guest", "password": "s3cret"}


def test_bounds_default_like_keda() -> None:
    parsed = bounds({})
    assert (parsed.min, parsed.max, parsed.polling_interval, parsed.cooldown) == (0, 100, 30.0, 300.0)


def test_min_above_max_is_keda_bounds_error() -> None:
    with pytest.raises(CheckFailed) as failed:
        bounds({"minReplicaCount": 5, "maxReplicaCount": 2})
    assert str(failed.value) == (
        "ScaledObject doesn't have correct Idle/Min/Max Replica Counts specification: "
        "MinReplicaCount=5 must be less than MaxReplicaCount=2"
    )


def test_duplicate_trigger_names_are_rejected() -> None:
    with pytest.raises(CheckFailed, match="defined multiple times"):
        check_trigger_names([{"name": "queue"}, {"name": "queue"}])


def test_rabbitmq_trigger_reads_host_and_credentials_from_trigger_authentication() -> None:
    trigger = parse_trigger(0, RABBIT, auth=AUTH, env={})
    assert (trigger.queue, trigger.target, trigger.protocol) == ("asya-echo", 5.0, "amqp")
    assert (trigger.username, trigger.password, trigger.vhost) == ("guest", "s3cret", "/")
    assert trigger.metric_name == "s0-rabbitmq-asya-echo"


def test_unknown_metadata_key_fails_with_a_keda_style_message() -> None:
    bad = {**RABBIT, "metadata": {**RABBIT["metadata"], "queueNmae": "x"}}
    with pytest.raises(CheckFailed) as failed:
        parse_trigger(0, bad, auth=AUTH, env={})
    assert str(failed.value) == (
        "failed to ensure HPA is correctly created for ScaledObject: error parsing rabbitmq metadata: "
        "unknown parameter 'queueNmae' in triggerMetadata"
    )


def test_password_in_metadata_is_not_accepted() -> None:
    bad = {**RABBIT, "metadata": {**RABBIT["metadata"], "password": "x"}}
    with pytest.raises(CheckFailed, match="unknown parameter 'password'"):
        parse_trigger(0, bad, auth=AUTH, env={})


def test_missing_queue_name_repeats_the_prefix_as_keda_does() -> None:
    bad = {**RABBIT, "metadata": {"mode": "QueueLength", "value": "5", "host": "amqp://h/"}}
    with pytest.raises(
        CheckFailed, match="error parsing rabbitmq metadata: error parsing rabbitmq metadata: missing"
    ):
        parse_trigger(0, bad, auth={}, env={})


def test_deprecated_queue_length_cannot_be_combined_with_mode_and_value() -> None:
    bad = {**RABBIT, "metadata": {**RABBIT["metadata"], "queueLength": "5"}}
    with pytest.raises(CheckFailed, match="queueLength is deprecated"):
        parse_trigger(0, bad, auth=AUTH, env={})


def test_message_rate_needs_http() -> None:
    bad = {**RABBIT, "metadata": {**RABBIT["metadata"], "mode": "MessageRate"}}
    with pytest.raises(CheckFailed, match="must be http to use mode MessageRate"):
        parse_trigger(0, bad, auth=AUTH, env={})


def test_host_can_come_from_the_target_env() -> None:
    trigger = {
        "type": "rabbitmq",
        "metadata": {"queueName": "q", "hostFromEnv": "RMQ", "value": "2", "mode": "QueueLength"},
    }
    parsed = parse_trigger(1, trigger, auth={}, env={"RMQ": "http://u:p@mgmt:15672/vh"})
    assert (parsed.protocol, parsed.vhost, parsed.username, parsed.password) == ("http", "vh", "u", "p")


def test_sqs_trigger_needs_credentials_unless_pod_identity() -> None:
    trigger = {
        "type": "aws-sqs-queue",
        "metadata": {"queueURL": "http://localhost:4566/000000000000/asya-echo", "awsRegion": "us-east-1"},
    }
    with pytest.raises(CheckFailed, match="awsAccessKeyID not found"):
        parse_trigger(0, trigger, auth={}, env={})
    parsed = parse_trigger(0, trigger, auth={}, env={}, pod_identity="aws")
    assert (parsed.queue, parsed.target, parsed.in_flight) == ("asya-echo", 5.0, True)


def test_unknown_trigger_type_gets_keda_message() -> None:
    with pytest.raises(CheckFailed, match="no scaler found for type: kafkaa"):
        parse_trigger(0, {"type": "kafkaa", "metadata": {}}, auth={}, env={})
