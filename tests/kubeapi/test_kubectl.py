"""kubectl (a second, independent client) against the emulator."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import yaml
from kubernetes_asyncio import client

from tests.kubeapi import KubeAPI
from tests.kubeapi.testing import WIDGET_GROUP, WIDGET_PLURAL, WIDGET_VERSION, eventually, widget, widget_crd
from tests.kubectl import Kubectl

ARGS = (WIDGET_GROUP, WIDGET_VERSION, "default", WIDGET_PLURAL)


def write(path: Path, *documents: dict[str, Any]) -> str:
    path.write_text(yaml.safe_dump_all(documents))
    return str(path)


async def test_create_namespace(kubectl: Kubectl, kubeapi_client: Any) -> None:
    assert "namespace/team created" in await kubectl("create", "namespace", "team")
    namespace = await client.CoreV1Api(kubeapi_client).read_namespace("team")
    assert namespace.status.phase == "Active"


async def test_apply_a_crd_then_server_side_apply_a_custom_resource(
    kubectl: Kubectl, kubeapi_client: Any, tmp_path: Path
) -> None:
    await kubectl("apply", "-f", write(tmp_path / "crd.yaml", widget_crd()))
    assert "widgets.example.com" in await kubectl("get", "crd")
    out = await kubectl("apply", "--server-side", "-f", write(tmp_path / "w.yaml", widget("w", size=3)))
    assert "widget.example.com/w serverside-applied" in out
    obj = await client.CustomObjectsApi(kubeapi_client).get_namespaced_custom_object(*ARGS, "w")
    assert [(e["manager"], e["operation"]) for e in obj["metadata"]["managedFields"]] == [
        ("kubectl", "Apply")
    ]
    assert "w" in await kubectl("get", "wd")  # short name from discovery


async def test_client_side_apply_twice_is_unchanged(kubectl: Kubectl, tmp_path: Path) -> None:
    manifest = write(
        tmp_path / "cm.yaml",
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"k": "v"}},
    )
    assert "configmap/c created" in await kubectl("apply", "-f", manifest)
    assert "configmap/c unchanged" in await kubectl("apply", "-f", manifest)


async def test_get_pods_by_label(kubectl: Kubectl, kubeapi_client: Any) -> None:
    v1 = client.CoreV1Api(kubeapi_client)
    for name, app in [("p1", "x"), ("p2", "y")]:
        await v1.create_namespaced_pod(
            "default",
            {
                "metadata": {"name": name, "labels": {"app": app}},
                "spec": {"containers": [{"name": "c", "image": "i"}]},
            },
        )
    out = await kubectl("get", "pods", "-l", "app=x", "-o", "name")
    assert out.split() == ["pod/p1"]


async def test_patch_type_merge(kubectl: Kubectl, kubeapi_client: Any) -> None:
    await client.ApiextensionsV1Api(kubeapi_client).create_custom_resource_definition(widget_crd())
    custom = client.CustomObjectsApi(kubeapi_client)
    await custom.create_namespaced_custom_object(*ARGS, widget("w", size=1))
    await kubectl("patch", "widget", "w", "--type", "merge", "-p", json.dumps({"spec": {"size": 5}}))
    assert (await custom.get_namespaced_custom_object(*ARGS, "w"))["spec"]["size"] == 5


async def test_delete_waits_for_finalizers(kubectl: Kubectl, kubeapi_client: Any) -> None:
    await client.ApiextensionsV1Api(kubeapi_client).create_custom_resource_definition(widget_crd())
    custom = client.CustomObjectsApi(kubeapi_client)
    body = widget("w", size=1)
    body["metadata"]["finalizers"] = ["example.com/cleanup"]
    await custom.create_namespaced_custom_object(*ARGS, body)
    deleting = await kubectl.start("delete", "widget", "w", "--timeout=30s")

    async def marked() -> None:
        obj = await custom.get_namespaced_custom_object(*ARGS, "w")
        assert obj["metadata"].get("deletionTimestamp")

    await eventually(marked)
    await asyncio.sleep(0.3)
    assert deleting.returncode is None  # still waiting for the finalizer
    await custom.patch_namespaced_custom_object(
        *ARGS, "w", {"metadata": {"finalizers": None}}, _content_type="application/merge-patch+json"
    )
    out, err = await asyncio.wait_for(deleting.communicate(), 30)
    assert deleting.returncode == 0, err.decode()
    assert 'widget.example.com "w" deleted' in out.decode()


async def test_wait_for_a_condition_set_through_status(kubectl: Kubectl, kubeapi_client: Any) -> None:
    await client.ApiextensionsV1Api(kubeapi_client).create_custom_resource_definition(widget_crd())
    custom = client.CustomObjectsApi(kubeapi_client)
    await custom.create_namespaced_custom_object(*ARGS, widget("w", size=1))
    waiting = await kubectl.start("wait", "--for=condition=Ready", "widget/w", "--timeout=30s")
    await asyncio.sleep(0.5)
    assert waiting.returncode is None
    await custom.patch_namespaced_custom_object_status(
        *ARGS,
        "w",
        {"status": {"conditions": [{"type": "Ready", "status": "True"}]}},
        _content_type="application/merge-patch+json",
    )
    out, err = await asyncio.wait_for(waiting.communicate(), 30)
    assert waiting.returncode == 0, err.decode()
    assert "widget.example.com/w condition met" in out.decode()


async def test_scale_a_deployment(kubectl: Kubectl, kubeapi_client: Any, tmp_path: Path) -> None:
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "d"},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "d"}},
            "template": {
                "metadata": {"labels": {"app": "d"}},
                "spec": {"containers": [{"name": "c", "image": "i"}]},
            },
        },
    }
    await kubectl("apply", "-f", write(tmp_path / "d.yaml", deployment))
    await kubectl("scale", "deployment", "d", "--replicas=3")
    assert (
        await client.AppsV1Api(kubeapi_client).read_namespaced_deployment("d", "default")
    ).spec.replicas == 3


async def test_server_errors_reach_kubectl(kubeapi: KubeAPI, kubectl: Kubectl) -> None:
    await kubectl("get", "namespaces")  # discovery is cached from here on
    kubeapi.faults.fail(500, verb="list", resource="configmaps")
    result = await kubectl.run("get", "configmaps")
    assert "Internal error occurred: injected fault" in result.out + result.err
