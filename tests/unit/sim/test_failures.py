"""Failure modes chosen by annotation, and failures a pod brings on itself."""

from __future__ import annotations

from tests.kubeapi.sim.failures import (
    ImageRef,
    config_problem,
    faults_for,
    forced_config_problem,
    parse_faults,
    parse_image,
    pull_error,
    volume_problem,
)

OBJECTS = {
    ("configmap", "ns", "settings"): frozenset({"a"}),
    ("secret", "ns", "creds"): frozenset({"password"}),
}


def lookup(kind: str, namespace: str, name: str) -> frozenset[str] | None:
    return OBJECTS.get((kind, namespace, name))


def test_annotation_lists_modes_with_optional_container() -> None:
    faults, errors = parse_faults("crash-loop:asya-runtime, never-ready,bogus")
    assert [(f.mode, f.container) for f in faults] == [("crash-loop", "asya-runtime"), ("never-ready", None)]
    assert errors
    assert "bogus" in errors[0]


def test_modes_without_container_go_to_the_first_container_and_pod_modes_to_the_pod() -> None:
    pod = {
        "metadata": {"annotations": {"sim.asya.sh/fail": "never-ready,unschedulable,oom-kill:side"}},
        "spec": {"containers": [{"name": "main"}, {"name": "side"}]},
    }
    assert faults_for(pod) == {"main": {"never-ready"}, "": {"unschedulable"}, "side": {"oom-kill"}}


def test_image_references_normalize_like_containerd() -> None:
    assert parse_image("nginx") == ImageRef("docker.io", "library/nginx", "latest", "")
    assert parse_image("localhost:5000/a/b:1").reference == "localhost:5000/a/b:1"  # type: ignore[union-attr]
    assert parse_image("Upper/case") == "invalid reference format: repository name must be lowercase"


def test_unknown_registry_fails_to_resolve_and_known_ones_pull() -> None:
    error = pull_error("registry.invalid/team/app:1.0", forced=False)
    assert error is not None
    assert "lookup registry.invalid" in error
    assert "no such host" in error
    assert pull_error("ghcr.io/team/app:1.0", forced=False) is None
    assert "not found" in (pull_error("python:3.13", forced=True) or "")


def test_missing_configmap_volume_and_missing_item_key_fail_to_mount() -> None:
    spec = {"volumes": [{"name": "cfg", "configMap": {"name": "absent"}}]}
    assert volume_problem(spec, "ns", lookup) == ("cfg", 'configmap "absent" not found')
    spec = {
        "volumes": [{"name": "cfg", "configMap": {"name": "settings", "items": [{"key": "b", "path": "b"}]}}]
    }
    assert volume_problem(spec, "ns", lookup) == ("cfg", "configmap references non-existent config key: b")


def test_optional_and_present_volumes_mount() -> None:
    spec = {
        "volumes": [
            {"name": "o", "secret": {"secretName": "absent", "optional": True}},
            {"name": "s", "secret": {"secretName": "creds"}},
            {"name": "e", "emptyDir": {}},
        ]
    }
    assert volume_problem(spec, "ns", lookup) is None


def test_env_references_to_missing_objects_and_keys_are_config_errors() -> None:
    missing_key = {"env": [{"name": "P", "valueFrom": {"secretKeyRef": {"name": "creds", "key": "user"}}}]}
    assert config_problem(missing_key, "ns", lookup) == "couldn't find key user in Secret ns/creds"
    missing_object = {"envFrom": [{"configMapRef": {"name": "nope"}}]}
    assert config_problem(missing_object, "ns", lookup) == 'configmap "nope" not found'
    present = {"env": [{"name": "A", "valueFrom": {"configMapKeyRef": {"name": "settings", "key": "a"}}}]}
    assert config_problem(present, "ns", lookup) is None


def test_forced_config_error_names_a_referenced_key_when_there_is_one() -> None:
    container = {
        "name": "app",
        "env": [{"name": "A", "valueFrom": {"configMapKeyRef": {"name": "s", "key": "k"}}}],
    }
    assert forced_config_problem(container, "ns") == "couldn't find key k in ConfigMap ns/s"
    assert forced_config_problem({"name": "app"}, "ns") == 'secret "app-config" not found'
