"""The install manifests: they build, and the controller's role allows every call it makes."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from controller.actor import resources as r
from controller.actor.watches import watches
from controller.kube.resources import Resource

MANIFESTS = Path(__file__).resolve().parents[2] / "manifests"

# What the reconciler writes beyond watching: server-side apply (create + patch) and deletes.
APPLIED = (
    r.DEPLOYMENTS,
    r.STATEFULSETS,
    r.SERVICES,
    r.CONFIGMAPS,
    r.SERVICE_ACCOUNTS,
    r.SCALED_OBJECTS,
    r.TRIGGER_AUTHENTICATIONS,
)
DELETED = (
    r.DEPLOYMENTS,
    r.STATEFULSETS,
    r.SERVICES,
    r.SERVICE_ACCOUNTS,
    r.SCALED_OBJECTS,
    r.TRIGGER_AUTHENTICATIONS,
)


@pytest.fixture(scope="module")
def built() -> list[dict[str, Any]]:
    output = subprocess.run(
        ["kubectl", "kustomize", str(MANIFESTS)], check=True, capture_output=True, text=True, timeout=60
    ).stdout
    return [doc for doc in yaml.safe_load_all(output) if doc]


def allowed(built: list[dict[str, Any]], resource: Resource, subresource: str = "") -> set[str]:
    role = next(doc for doc in built if doc["kind"] == "ClusterRole")
    name = f"{resource.plural}/{subresource}" if subresource else resource.plural
    verbs: set[str] = set()
    for rule in role["rules"]:
        if resource.group in rule["apiGroups"] and name in rule["resources"]:
            verbs.update(rule["verbs"])
    return verbs


def test_kustomize_builds_everything_into_one_namespace(built: list[dict[str, Any]]) -> None:
    kinds = sorted(doc["kind"] for doc in built)
    assert kinds == sorted(
        [
            "Namespace",
            "CustomResourceDefinition",
            "ServiceAccount",
            "ClusterRole",
            "ClusterRoleBinding",
            "Role",
            "RoleBinding",
            "ConfigMap",
            "Deployment",
            "Service",
        ]
    )
    namespaced = [
        doc
        for doc in built
        if doc["kind"] not in ("Namespace", "CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding")
    ]
    assert {doc["metadata"]["namespace"] for doc in namespaced} == {"asya-system"}


def test_every_watched_resource_may_be_listed_and_watched(built: list[dict[str, Any]]) -> None:
    for watch in watches():
        assert {"list", "watch"} <= allowed(built, watch.resource), watch.resource


def test_every_applied_resource_may_be_created_and_patched(built: list[dict[str, Any]]) -> None:
    for resource in APPLIED:
        assert {"create", "patch"} <= allowed(built, resource), resource


def test_every_deleted_resource_may_be_deleted(built: list[dict[str, Any]]) -> None:
    for resource in DELETED:
        assert "delete" in allowed(built, resource), resource


def test_actor_status_finalizers_events_and_secrets(built: list[dict[str, Any]]) -> None:
    assert "patch" in allowed(built, r.ASYNC_ACTORS)
    assert "patch" in allowed(built, r.ASYNC_ACTORS, "status")
    assert {"create", "patch"} <= allowed(built, r.EVENTS)
    assert allowed(built, r.SECRETS) == {"get"}


def test_the_deployment_runs_with_leader_election_and_the_transport_file(built: list[dict[str, Any]]) -> None:
    deployment = next(doc for doc in built if doc["kind"] == "Deployment")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["args"][:2] == ["run", "--leader-elect"]
    env = {e["name"]: e for e in container["env"]}
    assert env["ASYA_TRANSPORT_CONFIG_FILE"]["value"] == "/etc/asya/transports.yaml"
    assert env["POD_NAMESPACE"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.namespace"


def test_the_sample_actor_is_valid_for_the_controller() -> None:
    from controller.actor.validation import validate_actor

    sample = yaml.safe_load((MANIFESTS / "samples" / "text-processor.yaml").read_text())
    assert validate_actor(name=sample["metadata"]["name"], spec=sample["spec"]) == []


def test_the_shipped_transport_configuration_parses(tmp_path: Path) -> None:
    from controller.transports import load_transports

    configmap = yaml.safe_load((MANIFESTS / "manager" / "transport-config.yaml").read_text())
    path = tmp_path / "transports.yaml"
    path.write_text(configmap["data"]["transports.yaml"])
    config = load_transports({"ASYA_TRANSPORT_CONFIG_FILE": str(path)})
    assert sorted(config.transports) == ["rabbitmq"]
