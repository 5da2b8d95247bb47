"""The status and scale subresources."""

from __future__ import annotations

from typing import Any

from kubernetes_asyncio import client

from tests.kubeapi.testing import WIDGET_GROUP, WIDGET_PLURAL, WIDGET_VERSION, widget, widget_crd

MERGE = "application/merge-patch+json"
ARGS = (WIDGET_GROUP, WIDGET_VERSION, "default", WIDGET_PLURAL)


def deployment(name: str = "d", replicas: int = 1) -> dict[str, Any]:
    return {
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "c", "image": "i"}]},
            },
        },
    }


async def _widget(api_client: Any) -> client.CustomObjectsApi:
    await client.ApiextensionsV1Api(api_client).create_custom_resource_definition(widget_crd())
    custom = client.CustomObjectsApi(api_client)
    await custom.create_namespaced_custom_object(*ARGS, widget("w", size=1, replicas=2))
    return custom


async def test_status_writes_change_only_status(kubeapi_client: Any) -> None:
    custom = await _widget(kubeapi_client)
    patched = await custom.patch_namespaced_custom_object_status(
        *ARGS,
        "w",
        {"spec": {"size": 9}, "metadata": {"labels": {"a": "b"}}, "status": {"replicas": 2}},
        _content_type=MERGE,
    )
    assert patched["status"] == {"replicas": 2}
    assert patched["spec"]["size"] == 1
    assert "labels" not in patched["metadata"]


async def test_status_put_replaces_status(kubeapi_client: Any) -> None:
    custom = await _widget(kubeapi_client)
    current = await custom.get_namespaced_custom_object(*ARGS, "w")
    current["status"] = {"replicas": 4}
    current["spec"]["size"] = 7
    replaced = await custom.replace_namespaced_custom_object_status(*ARGS, "w", current)
    assert replaced["status"] == {"replicas": 4}
    assert replaced["spec"]["size"] == 1


async def test_status_writes_are_tracked_under_the_status_subresource(kubeapi_client: Any) -> None:
    custom = await _widget(kubeapi_client)
    patched = await custom.patch_namespaced_custom_object_status(
        *ARGS, "w", {"status": {"replicas": 2}}, field_manager="ctl", _content_type=MERGE
    )
    entry = next(e for e in patched["metadata"]["managedFields"] if e["manager"] == "ctl")
    assert entry["subresource"] == "status"
    assert entry["fieldsV1"] == {"f:status": {".": {}, "f:replicas": {}}}


async def test_deployment_status_through_the_typed_client(kubeapi_client: Any) -> None:
    apps = client.AppsV1Api(kubeapi_client)
    await apps.create_namespaced_deployment("default", deployment())
    patched = await apps.patch_namespaced_deployment_status(
        "d",
        "default",
        {"status": {"readyReplicas": 1, "conditions": [{"type": "Available", "status": "True"}]}},
    )
    assert patched.status.ready_replicas == 1
    assert patched.metadata.generation == 1


async def test_deployment_scale_reads_and_writes_spec_replicas(kubeapi_client: Any) -> None:
    apps = client.AppsV1Api(kubeapi_client)
    await apps.create_namespaced_deployment("default", deployment(replicas=2))
    await apps.patch_namespaced_deployment_status("d", "default", {"status": {"replicas": 2}})
    scale = await apps.read_namespaced_deployment_scale("d", "default")
    assert (scale.kind, scale.api_version) == ("Scale", "autoscaling/v1")
    assert (scale.spec.replicas, scale.status.replicas, scale.status.selector) == (2, 2, "app=d")
    scale.spec.replicas = 5
    replaced = await apps.replace_namespaced_deployment_scale("d", "default", scale)
    assert replaced.spec.replicas == 5
    updated = await apps.read_namespaced_deployment("d", "default")
    assert updated.spec.replicas == 5
    assert updated.metadata.generation == 2
    entry = next(e for e in updated.metadata.managed_fields if e.subresource == "scale")
    assert entry.fields_v1 == {"f:spec": {"f:replicas": {}}}


async def test_statefulset_scale_patch(kubeapi_client: Any) -> None:
    apps = client.AppsV1Api(kubeapi_client)
    body = deployment("s")
    body["spec"]["serviceName"] = "s"
    await apps.create_namespaced_stateful_set("default", body)
    scaled = await apps.patch_namespaced_stateful_set_scale("s", "default", {"spec": {"replicas": 3}})
    assert scaled.spec.replicas == 3
    assert (await apps.read_namespaced_stateful_set("s", "default")).spec.replicas == 3


async def test_scale_apply_owns_replicas_under_scale(kubeapi_client: Any) -> None:
    apps = client.AppsV1Api(kubeapi_client)
    await apps.create_namespaced_deployment("default", deployment())
    body = {
        "apiVersion": "autoscaling/v1",
        "kind": "Scale",
        "metadata": {"name": "d"},
        "spec": {"replicas": 4},
    }
    scale = await apps.patch_namespaced_deployment_scale(
        "d", "default", body, field_manager="keda", force=True, _content_type="application/apply-patch+yaml"
    )
    assert scale.spec.replicas == 4
    updated = await apps.read_namespaced_deployment("d", "default")
    owners = {(e.manager, e.operation, e.subresource) for e in updated.metadata.managed_fields}
    assert ("keda", "Apply", "scale") in owners


async def test_custom_resource_scale_uses_the_crd_paths(kubeapi_client: Any) -> None:
    custom = await _widget(kubeapi_client)
    await custom.patch_namespaced_custom_object_status(
        *ARGS, "w", {"status": {"replicas": 2, "selector": "app=w"}}, _content_type=MERGE
    )
    scale = await custom.get_namespaced_custom_object_scale(*ARGS, "w")
    assert scale["spec"] == {"replicas": 2}
    assert scale["status"] == {"replicas": 2, "selector": "app=w"}
    await custom.patch_namespaced_custom_object_scale(
        *ARGS, "w", {"spec": {"replicas": 6}}, _content_type=MERGE
    )
    assert (await custom.get_namespaced_custom_object(*ARGS, "w"))["spec"]["replicas"] == 6
