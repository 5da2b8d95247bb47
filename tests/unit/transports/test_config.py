"""Parsing of the operator's transport configuration (contract §6.1)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from controller.transports.config import (
    RabbitMQConfig,
    SQSConfig,
    TransportConfigError,
    load_transports,
    parse_transports,
    queue_management_disabled,
)

RABBITMQ_YAML = """
transports:
  rabbitmq:
    type: rabbitmq
    config:
      host: rabbitmq.messaging.svc
      port: 5673
      vhost: asya
      usernameSecretRef: {name: rabbitmq-credentials, key: username}
      passwordSecretRef: {name: rabbitmq-credentials, key: password}
      exchange: actors
      managementUrl: http://rabbitmq.messaging.svc:15672
      tls: false
      queues:
        autoCreate: true
        deleteOnActorDeletion: false
        dlq: {enabled: true, maxRetryCount: 5}
  legacy-broker:
    type: rabbitmq
    enabled: false
    config:
      host: old-rabbit
      passwordSecretRef: {name: old, key: password}
"""

SQS_JSON = {
    "transports": {
        "aws": {
            "type": "sqs",
            "enabled": True,
            "config": {
                "region": "eu-west-1",
                "accountId": "123456789012",
                "endpoint": "http://localstack:4566",
                "actorRoleArn": "arn:aws:iam::123456789012:role/asya-actors",
                "visibilityTimeout": 120,
                "waitTimeSeconds": 20,
                "credentials": {
                    "accessKeyIdSecretRef": {"name": "aws", "key": "id"},
                    "secretAccessKeySecretRef": {"name": "aws", "key": "secret"},
                },
                "tags": {"team": "ml"},
                "queues": {
                    "autoCreate": True,
                    "deleteOnActorDeletion": True,
                    "dlq": {"enabled": True, "retentionDays": 7},
                },
            },
        }
    }
}

MINIMAL_RABBITMQ = {"host": "rabbit", "passwordSecretRef": {"name": "s", "key": "password"}}
MINIMAL_SQS = {"region": "us-east-1", "accountId": "123456789012"}


def one(kind: str, config: dict[str, Any], **entry: Any) -> dict[str, Any]:
    return {"transports": {"t": {"type": kind, "config": config, **entry}}}


def problems_of(document: Any) -> list[str]:
    with pytest.raises(TransportConfigError) as caught:
        parse_transports(document)
    return caught.value.problems


# --- valid documents ----------------------------------------------------------------------------------------


def test_rabbitmq_example_from_a_yaml_file(tmp_path: Path) -> None:
    path = tmp_path / "transports.yaml"
    path.write_text(RABBITMQ_YAML)

    config = load_transports({"ASYA_TRANSPORT_CONFIG_FILE": str(path)})

    entry = config.transports["rabbitmq"]
    assert (entry.type, entry.enabled) == ("rabbitmq", True)
    rabbit = entry.config
    assert isinstance(rabbit, RabbitMQConfig)
    assert (rabbit.host, rabbit.port, rabbit.vhost, rabbit.exchange) == (
        "rabbitmq.messaging.svc",
        5673,
        "asya",
        "actors",
    )
    assert rabbit.username_secret_ref is not None
    assert rabbit.username_secret_ref.key == "username"
    assert rabbit.plain_username is None
    assert (rabbit.queues.auto_create, rabbit.queues.delete_on_actor_deletion) == (True, False)
    assert (rabbit.queues.dlq.enabled, rabbit.queues.dlq.max_retry_count) == (True, 5)


def test_sqs_example_from_json_in_the_environment() -> None:
    config = load_transports({"ASYA_TRANSPORT_CONFIG": json.dumps(SQS_JSON)})

    sqs = config.transports["aws"].config
    assert isinstance(sqs, SQSConfig)
    assert (sqs.region, sqs.account_id, sqs.normalized_endpoint) == (
        "eu-west-1",
        "123456789012",
        "http://localstack:4566",
    )
    assert sqs.actor_role_arn == "arn:aws:iam::123456789012:role/asya-actors"
    assert (sqs.visibility_timeout, sqs.wait_time_seconds, sqs.tags) == (120, 20, {"team": "ml"})
    assert sqs.credentials is not None
    assert sqs.credentials.secret_access_key_secret_ref.key == "secret"
    assert (sqs.queues.dlq.enabled, sqs.queues.dlq.retention_days, sqs.queues.dlq.max_retry_count) == (
        True,
        7,
        3,
    )


def test_a_json_file_is_read_too(tmp_path: Path) -> None:
    path = tmp_path / "transports.json"
    path.write_text(json.dumps(SQS_JSON))

    assert list(load_transports({"ASYA_TRANSPORT_CONFIG_FILE": str(path)}).transports) == ["aws"]


def test_transport_names_are_free() -> None:
    document = {
        "transports": {
            "sqs": {"type": "rabbitmq", "config": MINIMAL_RABBITMQ},
            "team-queues_2": {"type": "sqs", "config": MINIMAL_SQS},
        }
    }
    config = parse_transports(document)
    assert {name: entry.type for name, entry in config.transports.items()} == {
        "sqs": "rabbitmq",
        "team-queues_2": "sqs",
    }


def test_disabled_transports_stay_known() -> None:
    config = parse_transports(one("rabbitmq", MINIMAL_RABBITMQ, enabled=False))
    assert config.transports["t"].enabled is False


def test_no_configuration_means_no_transports() -> None:
    assert load_transports({}).transports == {}
    assert parse_transports(None).transports == {}


# --- defaults -----------------------------------------------------------------------------------------------


def test_rabbitmq_defaults() -> None:
    rabbit = parse_transports(one("rabbitmq", MINIMAL_RABBITMQ)).transports["t"].config
    assert isinstance(rabbit, RabbitMQConfig)
    assert (rabbit.port, rabbit.vhost, rabbit.exchange, rabbit.tls) == (5672, "/", "asya", False)
    assert rabbit.plain_username == "guest"
    assert rabbit.management_url is None
    assert rabbit.effective_management_url == "http://rabbit:15672"
    assert (rabbit.queues.auto_create, rabbit.queues.delete_on_actor_deletion) == (True, True)
    assert (rabbit.queues.dlq.enabled, rabbit.queues.dlq.max_retry_count) == (False, 3)


def test_sqs_defaults() -> None:
    sqs = parse_transports(one("sqs", MINIMAL_SQS)).transports["t"].config
    assert isinstance(sqs, SQSConfig)
    assert (sqs.endpoint, sqs.actor_role_arn, sqs.credentials, sqs.tags) == (None, None, None, {})
    assert (sqs.visibility_timeout, sqs.wait_time_seconds) == (None, None)
    assert (sqs.queues.auto_create, sqs.queues.delete_on_actor_deletion) == (True, True)
    assert (sqs.queues.dlq.enabled, sqs.queues.dlq.max_retry_count, sqs.queues.dlq.retention_days) == (
        False,
        3,
        14,
    )


@pytest.mark.parametrize(
    ("queues", "auto_create"),
    [
        ({}, False),
        ({"deleteOnActorDeletion": False}, False),
        ({"dlq": {"enabled": True}}, False),
        ({"autoCreate": True}, True),
        ({"autoCreate": False}, False),
    ],
)
@pytest.mark.parametrize(("kind", "base"), [("rabbitmq", MINIMAL_RABBITMQ), ("sqs", MINIMAL_SQS)])
def test_a_queues_block_without_auto_create_means_false(
    kind: str, base: dict[str, Any], queues: dict[str, Any], auto_create: bool
) -> None:
    config = parse_transports(one(kind, base | {"queues": queues})).transports["t"].config
    assert config.queues.auto_create is auto_create


@pytest.mark.parametrize(
    ("processing", "expected"), [(300, 600), (5, 30), (15, 30), (16, 32), (30000, 43200)]
)
def test_sqs_visibility_timeout_is_twice_processing_at_least_30(processing: int, expected: int) -> None:
    sqs = SQSConfig.model_validate(MINIMAL_SQS)
    assert sqs.visibility_timeout_for(processing) == expected


def test_configured_sqs_visibility_timeout_wins() -> None:
    assert SQSConfig.model_validate(MINIMAL_SQS | {"visibilityTimeout": 10}).visibility_timeout_for(300) == 10


# --- rejected documents -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        ({"transport": {}}, "transport: unknown field (did you mean transports?)"),
        (
            {"transports": {"t": {"type": "sqs", "enable": True, "config": MINIMAL_SQS}}},
            "transports.t.enable: unknown field (did you mean enabled?)",
        ),
        (
            one("rabbitmq", MINIMAL_RABBITMQ | {"hots": "x"}),
            "transports.t.config.hots: unknown field (did you mean host?)",
        ),
        (
            one("rabbitmq", MINIMAL_RABBITMQ | {"queues": {"autoCreat": True}}),
            "transports.t.config.queues.autoCreat: unknown field (did you mean autoCreate?)",
        ),
        (
            one("rabbitmq", MINIMAL_RABBITMQ | {"queues": {"dlq": {"maxRetries": 3}}}),
            "transports.t.config.queues.dlq.maxRetries: unknown field (known: enabled, maxRetryCount)",
        ),
        (
            one(
                "rabbitmq",
                MINIMAL_RABBITMQ | {"passwordSecretRef": {"name": "s", "key": "p", "namespace": "x"}},
            ),
            "transports.t.config.passwordSecretRef.namespace: unknown field (known: name, key)",
        ),
        (
            one("sqs", MINIMAL_SQS | {"visibility_timeout": 30}),
            "transports.t.config.visibility_timeout: unknown field (did you mean visibilityTimeout?)",
        ),
        (
            one("sqs", MINIMAL_SQS | {"queues": {"dlq": {"retentionDay": 3}}}),
            "transports.t.config.queues.dlq.retentionDay: unknown field (did you mean retentionDays?)",
        ),
        (
            one(
                "sqs",
                MINIMAL_SQS
                | {
                    "credentials": {
                        "accessKeyIdSecretRef": {"name": "a", "key": "b"},
                        "secretAccessKeySecretRef": {"name": "a", "key": "c"},
                        "sessionTokenSecretRef": {"name": "a", "key": "d"},
                    }
                },
            ),
            "transports.t.config.credentials.sessionTokenSecretRef: unknown field "
            "(known: accessKeyIdSecretRef, secretAccessKeySecretRef)",
        ),
    ],
)
def test_each_unknown_field_is_rejected_with_its_path(document: dict[str, Any], problem: str) -> None:
    assert problems_of(document) == [problem]


def test_a_misspelt_required_field_is_reported_twice() -> None:
    assert set(problems_of({"transports": {"t": {"typ": "sqs"}}})) == {
        "transports.t.type: required field missing",
        "transports.t.typ: unknown field (did you mean type?)",
    }


def test_all_problems_are_reported_at_once() -> None:
    document = one("rabbitmq", {"hots": "x", "queues": {"autoCreat": True}})
    assert sorted(problems_of(document)) == [
        "transports.t.config.host: required field missing",
        "transports.t.config.hots: unknown field (did you mean host?)",
        "transports.t.config.passwordSecretRef: required field missing",
        "transports.t.config.queues.autoCreat: unknown field (did you mean autoCreate?)",
    ]


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        ({"transports": {"t": {"type": "kafka"}}}, "transports.t.type: Input should be 'rabbitmq' or 'sqs'"),
        (
            one(
                "rabbitmq",
                MINIMAL_RABBITMQ | {"username": "u", "usernameSecretRef": {"name": "s", "key": "u"}},
            ),
            "transports.t.config: give either username or usernameSecretRef, not both",
        ),
        (
            one("sqs", {"region": "us-east-1", "accountId": "42"}),
            "transports.t.config.accountId: expected an AWS account id of 12 digits",
        ),
        (
            one("sqs", MINIMAL_SQS | {"tags": {"asya.sh/namespace": "x"}}),
            "transports.t.config: tags asya.sh/namespace: the prefix asya.sh/ is the controller's own",
        ),
        (
            one("sqs", MINIMAL_SQS | {"queues": {"dlq": {"retentionDays": 30}}}),
            "transports.t.config.queues.dlq.retentionDays: Input should be less than or equal to 14",
        ),
        (
            one("rabbitmq", MINIMAL_RABBITMQ | {"managementUrl": "rabbit:15672"}),
            "transports.t.config.managementUrl: expected a URL such as http://rabbitmq.messaging:15672",
        ),
    ],
)
def test_invalid_values_are_rejected_with_their_path(document: dict[str, Any], problem: str) -> None:
    assert problems_of(document) == [problem]


def test_the_error_message_names_the_source_and_every_problem() -> None:
    with pytest.raises(TransportConfigError) as caught:
        load_transports({"ASYA_TRANSPORT_CONFIG": json.dumps(one("sqs", MINIMAL_SQS | {"regoin": "x"}))})
    assert str(caught.value) == (
        "invalid transport configuration (ASYA_TRANSPORT_CONFIG):\n"
        "  transports.t.config.regoin: unknown field (did you mean region?)"
    )


def test_both_sources_at_once_are_rejected(tmp_path: Path) -> None:
    with pytest.raises(
        TransportConfigError, match="either ASYA_TRANSPORT_CONFIG or ASYA_TRANSPORT_CONFIG_FILE"
    ):
        load_transports({"ASYA_TRANSPORT_CONFIG": "{}", "ASYA_TRANSPORT_CONFIG_FILE": str(tmp_path / "x")})


def test_malformed_json_is_rejected() -> None:
    with pytest.raises(TransportConfigError, match="not valid JSON"):
        load_transports({"ASYA_TRANSPORT_CONFIG": "{transports: "})


def test_a_missing_file_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(TransportConfigError, match="cannot read the file"):
        load_transports({"ASYA_TRANSPORT_CONFIG_FILE": str(tmp_path / "absent.yaml")})


def test_malformed_yaml_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("transports: [unclosed\n")
    with pytest.raises(TransportConfigError, match="not valid YAML or JSON"):
        load_transports({"ASYA_TRANSPORT_CONFIG_FILE": str(path)})


def test_a_document_that_is_not_a_mapping_is_rejected() -> None:
    with pytest.raises(TransportConfigError):
        parse_transports(["transports"])


# --- ASYA_DISABLE_QUEUE_MANAGEMENT --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "disabled"),
    [
        ("true", True),
        ("True", False),
        ("TRUE", False),
        ("1", False),
        ("yes", False),
        ("", False),
        ("false", False),
    ],
)
def test_only_the_exact_string_true_disables_queue_management(value: str, disabled: bool) -> None:
    assert queue_management_disabled({"ASYA_DISABLE_QUEUE_MANAGEMENT": value}) is disabled


def test_queue_management_is_enabled_by_default() -> None:
    assert queue_management_disabled({}) is False


def test_the_readme_example_parses(tmp_path: Path) -> None:
    """The transport configuration README.md shows is accepted as written."""
    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text(encoding="utf-8")
    example = readme.split("```yaml\ntransports:", 1)[1].split("```", 1)[0]
    path = tmp_path / "transports.yaml"
    path.write_text("transports:" + example)
    config = load_transports({"ASYA_TRANSPORT_CONFIG_FILE": str(path)})
    assert {name: entry.type for name, entry in config.transports.items()} == {
        "rabbitmq": "rabbitmq",
        "aws": "sqs",
    }
