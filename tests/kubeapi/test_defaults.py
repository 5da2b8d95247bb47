"""Built-in defaulting, and what it means for server-side apply (the replicas handover)."""

from __future__ import annotations

from typing import Any

from kubernetes_asyncio import client

from tests.kubeapi.testing import deployment as manifest

APPLY = "application/apply-patch+yaml"


def deployment(**spec: Any) -> dict[str, Any]:
    container = {"name": "c", "image": "repo/app:1.0", "ports": [{"containerPort": 80}]}
    return manifest(containers=[container], **spec)


async def test_a_deployment_gets_the_servers_defaults(kubeapi_client: Any) -> None:
    created = await client.AppsV1Api(kubeapi_client).create_namespaced_deployment("default", deployment())
    assert created.spec.replicas == 1
    assert created.spec.strategy.type == "RollingUpdate"
    assert created.spec.revision_history_limit == 10
    assert created.spec.progress_deadline_seconds == 600
    pod_spec = created.spec.template.spec
    assert (pod_spec.restart_policy, pod_spec.dns_policy, pod_spec.termination_grace_period_seconds) == (
        "Always",
        "ClusterFirst",
        30,
    )
    container = pod_spec.containers[0]
    assert (container.image_pull_policy, container.ports[0].protocol) == ("IfNotPresent", "TCP")


async def test_latest_images_are_always_pulled(kubeapi_client: Any) -> None:
    pod = await client.CoreV1Api(kubeapi_client).create_namespaced_pod(
        "default", {"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "app"}]}}
    )
    assert pod.spec.containers[0].image_pull_policy == "Always"


async def test_replicas_fall_back_to_one_when_their_only_applier_drops_them(kubeapi_client: Any) -> None:
    apps = client.AppsV1Api(kubeapi_client)
    await apps.patch_namespaced_deployment(
        "d", "default", deployment(replicas=3), field_manager="ctl", _content_type=APPLY
    )
    dropped = await apps.patch_namespaced_deployment(
        "d", "default", deployment(), field_manager="ctl", _content_type=APPLY
    )
    assert dropped.spec.replicas == 1


async def test_replicas_owned_by_a_scale_writer_survive_the_drop(kubeapi_client: Any) -> None:
    apps = client.AppsV1Api(kubeapi_client)
    await apps.patch_namespaced_deployment(
        "d", "default", deployment(replicas=3), field_manager="ctl", _content_type=APPLY
    )
    await apps.patch_namespaced_deployment_scale(
        "d", "default", {"spec": {"replicas": 5}}, field_manager="hpa"
    )
    dropped = await apps.patch_namespaced_deployment(
        "d", "default", deployment(), field_manager="ctl", _content_type=APPLY
    )
    assert dropped.spec.replicas == 5


async def test_applied_ports_without_protocol_match_the_defaulted_ones(kubeapi_client: Any) -> None:
    apps = client.AppsV1Api(kubeapi_client)
    await apps.patch_namespaced_deployment(
        "d", "default", deployment(), field_manager="ctl", _content_type=APPLY
    )
    again = await apps.patch_namespaced_deployment(
        "d", "default", deployment(), field_manager="other", force=True, _content_type=APPLY
    )
    ports = again.spec.template.spec.containers[0].ports
    assert [(p.container_port, p.protocol) for p in ports] == [(80, "TCP")]


async def test_services_get_a_cluster_ip_that_updates_keep(kubeapi_client: Any) -> None:
    v1 = client.CoreV1Api(kubeapi_client)
    created = await v1.create_namespaced_service(
        "default", {"metadata": {"name": "s"}, "spec": {"selector": {"app": "d"}, "ports": [{"port": 80}]}}
    )
    assert created.spec.cluster_ip.startswith("10.96.")
    assert (created.spec.type, created.spec.ports[0].target_port, created.spec.ports[0].protocol) == (
        "ClusterIP",
        80,
        "TCP",
    )
    replaced = await v1.replace_namespaced_service(
        "s",
        "default",
        {"metadata": {"name": "s"}, "spec": {"selector": {"app": "e"}, "ports": [{"port": 81}]}},
    )
    assert replaced.spec.cluster_ip == created.spec.cluster_ip


async def test_namespaces_carry_their_name_label(kubeapi_client: Any) -> None:
    v1 = client.CoreV1Api(kubeapi_client)
    created = await v1.create_namespace({"metadata": {"name": "team"}})
    assert created.metadata.labels == {"kubernetes.io/metadata.name": "team"}
    selected = await v1.list_namespace(label_selector="kubernetes.io/metadata.name=team")
    assert [n.metadata.name for n in selected.items] == ["team"]
