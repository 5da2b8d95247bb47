"""Workload manifests: the pod template the Asya sidecar and runtime rely on (contract §2.1)."""

from __future__ import annotations

from typing import Any

from controller.actor.workload import (
    Actor,
    headless_service,
    pod_template,
    runtime_configmap,
    workload_manifest,
)
from controller.api.models import AsyncActorSpec

ACTOR = Actor(name="text-processor", namespace="team-a", uid="8d2f6a6e-1111-4c3b-9a55-000000000001")
RABBIT_ENV = [
    {"name": "ASYA_TRANSPORT", "value": "rabbitmq"},
    {"name": "ASYA_RABBITMQ_HOST", "value": "rabbitmq.asya"},
]


def spec(**overrides: Any) -> AsyncActorSpec:
    runtime: dict[str, Any] = {
        "name": "asya-runtime",
        "image": "python:3.13-slim",
        "env": [{"name": "ASYA_HANDLER", "value": "my_module.process"}],
    }
    body: dict[str, Any] = {
        "transport": "rabbitmq",
        "workload": {"template": {"spec": {"containers": [runtime]}}},
    }
    for path, value in overrides.items():
        node = body
        *parents, leaf = path.split("__")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return AsyncActorSpec.model_validate(body)


def template(actor: Actor = ACTOR, actor_spec: AsyncActorSpec | None = None, **kwargs: Any) -> dict[str, Any]:
    return pod_template(
        actor=actor,
        spec=actor_spec or spec(),
        transport_env=kwargs.get("transport_env", RABBIT_ENV),
        sidecar_image=kwargs.get("sidecar_image"),
        gateway_url=kwargs.get("gateway_url"),
        service_account=kwargs.get("service_account"),
    )


def container(tmpl: dict[str, Any], name: str) -> dict[str, Any]:
    return next(item for item in tmpl["spec"]["containers"] if item["name"] == name)


def env_names(item: dict[str, Any]) -> list[str]:
    return [entry["name"] for entry in item["env"]]


def test_sidecar_is_appended_last() -> None:
    names = [item["name"] for item in template()["spec"]["containers"]]
    assert names == ["asya-runtime", "asya-sidecar"]


def test_sidecar_env_has_the_compatible_order() -> None:
    sidecar = container(
        template(actor_spec=spec(sidecar__env=[{"name": "EXTRA", "value": "1"}])), "asya-sidecar"
    )
    assert env_names(sidecar) == [
        "ASYA_LOG_LEVEL",
        "ASYA_GATEWAY_URL",
        "ASYA_ACTOR_NAME",
        "ASYA_ACTOR_HAPPY_END",
        "ASYA_ACTOR_ERROR_END",
        "ASYA_RUNTIME_TIMEOUT",
        "ASYA_TRANSPORT",
        "ASYA_RABBITMQ_HOST",
        "ASYA_SOCKET_DIR",
        "EXTRA",
    ]
    values = {entry["name"]: entry.get("value") for entry in sidecar["env"]}
    assert values["ASYA_ACTOR_NAME"] == "text-processor"
    assert values["ASYA_RUNTIME_TIMEOUT"] == "300s"
    assert values["ASYA_SOCKET_DIR"] == "/var/run/asya"


def test_end_actors_are_marked_on_both_containers() -> None:
    tmpl = template(actor=Actor(name="happy-end", namespace="team-a", uid="u"))
    sidecar_env = {e["name"]: e["value"] for e in container(tmpl, "asya-sidecar")["env"]}
    runtime_env = {e["name"]: e["value"] for e in container(tmpl, "asya-runtime")["env"]}
    assert sidecar_env["ASYA_IS_END_ACTOR"] == "true"
    assert runtime_env["ASYA_ENABLE_VALIDATION"] == "false"
    assert "ASYA_IS_END_ACTOR" not in env_names(container(template(), "asya-sidecar"))


def test_gateway_url_prefers_the_operator_setting() -> None:
    sidecar = container(template(gateway_url="http://gw.asya:8080"), "asya-sidecar")
    assert {"name": "ASYA_GATEWAY_URL", "value": "http://gw.asya:8080"} in sidecar["env"]


def test_gateway_url_falls_back_to_the_runtime_literal_then_empty() -> None:
    runtime = {
        "name": "asya-runtime",
        "image": "python:3.13-slim",
        "env": [{"name": "ASYA_GATEWAY_URL", "value": "http://from-runtime"}],
    }
    with_literal = spec(workload__template={"spec": {"containers": [runtime]}})
    assert {"name": "ASYA_GATEWAY_URL", "value": "http://from-runtime"} in container(
        template(actor_spec=with_literal), "asya-sidecar"
    )["env"]
    assert {"name": "ASYA_GATEWAY_URL", "value": ""} in container(template(), "asya-sidecar")["env"]


def test_sidecar_image_spec_then_setting_then_default() -> None:
    assert container(template(), "asya-sidecar")["image"] == "asya-sidecar:latest"
    assert container(template(sidecar_image="reg/sidecar:1.2"), "asya-sidecar")["image"] == "reg/sidecar:1.2"
    own = spec(sidecar__image="reg/sidecar:2.0")
    assert container(template(actor_spec=own, sidecar_image="reg/sidecar:1.2"), "asya-sidecar")["image"] == (
        "reg/sidecar:2.0"
    )


def test_user_sidecar_env_overrides_a_controller_entry_without_duplicating_it() -> None:
    sidecar = container(
        template(actor_spec=spec(sidecar__env=[{"name": "ASYA_LOG_LEVEL", "value": "debug"}])), "asya-sidecar"
    )
    assert env_names(sidecar).count("ASYA_LOG_LEVEL") == 1
    assert sidecar["env"][-1] == {"name": "ASYA_LOG_LEVEL", "value": "debug"}


def test_runtime_gets_command_env_mounts_and_probes() -> None:
    runtime = container(template(actor_spec=spec(workload__pythonExecutable="python3.11")), "asya-runtime")
    assert runtime["command"] == ["python3.11", "/opt/asya/asya_runtime.py"]
    assert env_names(runtime) == ["ASYA_HANDLER", "ASYA_SOCKET_DIR"]
    assert runtime["volumeMounts"] == [
        {"name": "socket-dir", "mountPath": "/var/run/asya"},
        {"name": "tmp", "mountPath": "/tmp"},
        {
            "name": "asya-runtime",
            "mountPath": "/opt/asya/asya_runtime.py",
            "subPath": "asya_runtime.py",
            "readOnly": True,
        },
    ]
    assert runtime["startupProbe"]["failureThreshold"] == 150
    assert runtime["livenessProbe"]["periodSeconds"] == 30
    assert runtime["readinessProbe"]["exec"]["command"] == [
        "sh",
        "-c",
        "test -S /var/run/asya/asya-runtime.sock && test -f /var/run/asya/runtime-ready",
    ]


def test_a_probe_the_user_set_is_kept() -> None:
    own_probe = {"httpGet": {"path": "/ready", "port": 8000}}
    runtime_spec = {"name": "asya-runtime", "image": "x", "readinessProbe": own_probe}
    actor_spec = spec(workload__template={"spec": {"containers": [runtime_spec]}})
    runtime = container(template(actor_spec=actor_spec), "asya-runtime")
    assert runtime["readinessProbe"] == own_probe
    assert "startupProbe" in runtime


def test_other_user_containers_are_left_as_they_are() -> None:
    helper = {"name": "log-shipper", "image": "fluent-bit:3", "args": ["-c", "/etc/fb.conf"]}
    runtime_spec = {"name": "asya-runtime", "image": "x"}
    actor_spec = spec(workload__template={"spec": {"containers": [helper, runtime_spec]}})
    assert container(template(actor_spec=actor_spec), "log-shipper") == helper


def test_volumes_and_grace_period() -> None:
    tmpl = template(actor_spec=spec(timeout={"gracefulShutdown": 45}))
    assert tmpl["spec"]["terminationGracePeriodSeconds"] == 45
    assert tmpl["spec"]["volumes"] == [
        {"name": "socket-dir", "emptyDir": {}},
        {"name": "tmp", "emptyDir": {}},
        {"name": "asya-runtime", "configMap": {"name": "asya-runtime", "defaultMode": 0o755}},
    ]


def test_pod_labels_add_selector_and_actor_labels_to_the_users() -> None:
    user_meta = {"labels": {"team": "nlp"}, "annotations": {"prometheus.io/scrape": "true"}}
    runtime_spec = {"name": "asya-runtime", "image": "x"}
    actor_spec = spec(workload__template={"metadata": user_meta, "spec": {"containers": [runtime_spec]}})
    meta = template(actor_spec=actor_spec)["metadata"]
    assert meta["labels"] == {
        "team": "nlp",
        "app": "text-processor",
        "asya.sh/asya": "text-processor",
        "asya.sh/workload": "deployment",
        "asya.sh/actor": "text-processor",
    }
    assert meta["annotations"] == {"prometheus.io/scrape": "true"}


def test_deployment_carries_owner_selector_and_replicas_when_given() -> None:
    body = workload_manifest(actor=ACTOR, kind="Deployment", template=template(), replicas=3)
    assert body["apiVersion"] == "apps/v1"
    assert body["metadata"]["ownerReferences"][0]["uid"] == ACTOR.uid
    assert body["metadata"]["ownerReferences"][0]["controller"] is True
    assert body["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "asya-controller"
    assert body["spec"]["replicas"] == 3
    assert body["spec"]["selector"]["matchLabels"]["asya.sh/workload"] == "deployment"


def test_replicas_are_omitted_while_the_autoscaler_owns_them() -> None:
    body = workload_manifest(actor=ACTOR, kind="Deployment", template=template(), replicas=None)
    assert "replicas" not in body["spec"]


def test_statefulset_names_its_headless_service() -> None:
    body = workload_manifest(actor=ACTOR, kind="StatefulSet", template=template(), replicas=1)
    assert body["spec"]["serviceName"] == "text-processor"
    service = headless_service(actor=ACTOR)
    assert service["spec"]["clusterIP"] == "None"
    assert service["spec"]["selector"] == body["spec"]["selector"]["matchLabels"]


def test_runtime_configmap_has_no_owner_and_the_part_of_labels() -> None:
    body = runtime_configmap(namespace="team-a", script="print('hi')\n")
    assert "ownerReferences" not in body["metadata"]
    assert body["data"] == {"asya_runtime.py": "print('hi')\n"}
    assert body["metadata"]["labels"]["app.kubernetes.io/part-of"] == "asya"


def test_the_transport_service_account_is_the_pods_unless_the_template_names_one() -> None:
    assert template(service_account="asya-resizer")["spec"]["serviceAccountName"] == "asya-resizer"
    own = spec(workload__template__spec__serviceAccountName="image-pullers")
    chosen = template(actor_spec=own, service_account="asya-resizer")
    assert chosen["spec"]["serviceAccountName"] == "image-pullers"
    assert "serviceAccountName" not in template()["spec"]
