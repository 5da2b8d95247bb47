"""What KEDA resolves around a ScaledObject, and the HPA it writes."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from tests.kubeapi.sim.keda_objects import container_env, hpa_manifest, quantity, trigger_auth
from tests.kubeapi.sim.keda_triggers import CheckFailed, parse_trigger

SECRETS = {("ns", "creds"): {"data": {"password": base64.b64encode(b"s3cret").decode()}}}
AUTHS = {
    ("ns", "echo-auth"): {
        "spec": {
            "secretTargetRef": [{"parameter": "password", "name": "creds", "key": "password"}],
            "env": [{"parameter": "host", "name": "RMQ_URL", "containerName": "side"}],
        }
    }
}
TARGET = {
    "metadata": {"name": "echo", "namespace": "ns"},
    "spec": {
        "template": {
            "spec": {
                "containers": [
                    {"name": "main", "env": [{"name": "USER", "value": "guest"}]},
                    {"name": "side", "env": [{"name": "RMQ_URL", "value": "amqp://rabbit/"}]},
                ]
            }
        }
    },
}


def secrets(namespace: str, name: str) -> Any:
    return SECRETS.get((namespace, name))


def auths(namespace: str, name: str) -> Any:
    return AUTHS.get((namespace, name))


def test_env_of_the_first_container_resolves_values_and_secret_refs() -> None:
    target = {**TARGET}
    target["spec"] = {
        "template": {
            "spec": {
                "containers": [
                    {
                        "name": "main",
                        "env": [
                            {"name": "P", "valueFrom": {"secretKeyRef": {"name": "creds", "key": "password"}}}
                        ],
                    }
                ]
            }
        }
    }
    assert container_env(target, None, secrets) == {"P": "s3cret"}


def test_trigger_authentication_reads_secrets_and_the_named_container_env() -> None:
    auth = trigger_auth({"authenticationRef": {"name": "echo-auth"}}, TARGET, auths=auths, secrets=secrets)
    assert (auth.name, auth.params) == ("echo-auth", {"password": "s3cret", "host": "amqp://rabbit/"})


def test_a_missing_trigger_authentication_fails_the_check() -> None:
    with pytest.raises(CheckFailed, match=r'triggerauthentications\.keda\.sh "nope" not found'):
        trigger_auth({"authenticationRef": {"name": "nope"}}, TARGET, auths=auths, secrets=secrets)


def test_hpa_is_named_owned_bounded_and_targets_the_queue_metric() -> None:
    so = {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "ScaledObject",
        "metadata": {"name": "echo", "namespace": "ns", "uid": "u-1"},
        "spec": {"scaleTargetRef": {"name": "echo"}},
    }
    trigger = parse_trigger(
        0,
        {
            "type": "rabbitmq",
            "metadata": {
                "queueName": "asya-echo",
                "value": "2.5",
                "mode": "QueueLength",
                "host": "amqp://h/",
            },
        },
        auth={},
        env={},
    )
    hpa = hpa_manifest(so, [trigger], minimum=0, maximum=7)
    assert hpa["metadata"]["name"] == "keda-hpa-echo"
    assert hpa["metadata"]["ownerReferences"][0]["uid"] == "u-1"
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (1, 7)
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "echo"}
    external = hpa["spec"]["metrics"][0]["external"]
    assert external["metric"]["name"] == "s0-rabbitmq-asya-echo"
    assert external["target"] == {"type": "AverageValue", "averageValue": "2500m"}


def test_quantities_of_targets() -> None:
    assert quantity(5) == "5"
    assert quantity(0.5) == "500m"
