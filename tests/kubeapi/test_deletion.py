"""DELETE: immediate and pending deletion, finalizers, preconditions, pod grace periods, deletecollection."""

from __future__ import annotations

import json
from typing import Any

import pytest
from kubernetes_asyncio import client, watch
from kubernetes_asyncio.client.exceptions import ApiException

from tests.kubeapi.testing import WIDGET_GROUP, WIDGET_PLURAL, WIDGET_VERSION, widget, widget_crd

ARGS = (WIDGET_GROUP, WIDGET_VERSION, "default", WIDGET_PLURAL)
MERGE = "application/merge-patch+json"


def pod(
    name: str, *, node: str | None = "node-1", grace: int | None = None, finalizers: list[str] | None = None
) -> dict[str, Any]:
    spec: dict[str, Any] = {"containers": [{"name": "c", "image": "i"}]}
    if node:
        spec["nodeName"] = node
    if grace is not None:
        spec["terminationGracePeriodSeconds"] = grace
    return {"metadata": {"name": name, "finalizers": finalizers or []}, "spec": spec}


async def test_delete_without_finalizers_answers_a_success_status(kubeapi_client: Any) -> None:
    v1 = client.CoreV1Api(kubeapi_client)
    created = await v1.create_namespaced_config_map("default", {"metadata": {"name": "a"}})
    status = await v1.delete_namespaced_config_map("a", "default")
    assert status.status == "Success"
    assert status.details.uid == created.metadata.uid
    with pytest.raises(ApiException) as caught:
        await v1.read_namespaced_config_map("a", "default")
    assert caught.value.status == 404


async def test_finalizers_keep_the_object_until_removed(kubeapi_client: Any) -> None:
    await client.ApiextensionsV1Api(kubeapi_client).create_custom_resource_definition(widget_crd())
    custom = client.CustomObjectsApi(kubeapi_client)
    body = widget("w", size=1)
    body["metadata"]["finalizers"] = ["example.com/cleanup"]
    created = await custom.create_namespaced_custom_object(*ARGS, body)
    async with watch.Watch() as w:
        stream = w.stream(
            custom.list_namespaced_custom_object,
            *ARGS,
            timeout_seconds=5,
            resource_version=created["metadata"]["resourceVersion"],
        )
        deleting = await custom.delete_namespaced_custom_object(*ARGS, "w")
        assert deleting["metadata"]["deletionTimestamp"]
        assert deleting["metadata"]["deletionGracePeriodSeconds"] == 0
        assert deleting["metadata"]["generation"] == 2
        still = await custom.get_namespaced_custom_object(*ARGS, "w")
        assert still["metadata"]["finalizers"] == ["example.com/cleanup"]
        await custom.patch_namespaced_custom_object(
            *ARGS, "w", {"metadata": {"finalizers": None}}, _content_type=MERGE
        )
        events = [(await stream.__anext__())["type"] for _ in range(2)]
    assert events == ["MODIFIED", "DELETED"]
    with pytest.raises(ApiException):
        await custom.get_namespaced_custom_object(*ARGS, "w")


async def test_no_finalizer_may_be_added_while_deleting(kubeapi_client: Any) -> None:
    v1 = client.CoreV1Api(kubeapi_client)
    await v1.create_namespaced_config_map("default", {"metadata": {"name": "a", "finalizers": ["x/y"]}})
    await v1.delete_namespaced_config_map("a", "default")
    with pytest.raises(ApiException) as caught:
        await v1.patch_namespaced_config_map("a", "default", {"metadata": {"finalizers": ["x/y", "x/z"]}})
    assert caught.value.status == 422


@pytest.mark.parametrize(("field", "words"), [("uid", "UID"), ("resourceVersion", "ResourceVersion")])
async def test_failed_preconditions_are_409(kubeapi_client: Any, field: str, words: str) -> None:
    v1 = client.CoreV1Api(kubeapi_client)
    created = await v1.create_namespaced_config_map("default", {"metadata": {"name": "a"}})
    with pytest.raises(ApiException) as caught:
        await v1.delete_namespaced_config_map("a", "default", body={"preconditions": {field: "stale"}})
    actual = created.metadata.uid if field == "uid" else created.metadata.resource_version
    assert json.loads(caught.value.body)["message"] == (
        'Operation cannot be fulfilled on configmaps "a": '
        f"Precondition failed: {words} in precondition: stale, {words} in object meta: {actual}"
    )


async def test_scheduled_pod_waits_for_its_grace_period_then_a_zero_grace_delete(kubeapi_client: Any) -> None:
    v1 = client.CoreV1Api(kubeapi_client)
    created = await v1.create_namespaced_pod("default", pod("p", grace=20))
    deleting = await v1.delete_namespaced_pod("p", "default")
    assert deleting.metadata.deletion_grace_period_seconds == 20
    delay = deleting.metadata.deletion_timestamp - created.metadata.creation_timestamp
    assert 19 <= delay.total_seconds() <= 22
    assert (await v1.read_namespaced_pod("p", "default")).metadata.deletion_timestamp is not None
    await v1.delete_namespaced_pod(
        "p", "default", grace_period_seconds=0, body={"preconditions": {"uid": created.metadata.uid}}
    )
    with pytest.raises(ApiException):
        await v1.read_namespaced_pod("p", "default")


async def test_pod_grace_defaults_to_thirty_seconds_and_can_be_shortened(kubeapi_client: Any) -> None:
    v1 = client.CoreV1Api(kubeapi_client)
    await v1.create_namespaced_pod("default", pod("p"))
    assert (await v1.delete_namespaced_pod("p", "default")).metadata.deletion_grace_period_seconds == 30
    shorter = await v1.delete_namespaced_pod("p", "default", grace_period_seconds=5)
    assert shorter.metadata.deletion_grace_period_seconds == 5
    longer = await v1.delete_namespaced_pod("p", "default", grace_period_seconds=60)
    assert longer.metadata.deletion_grace_period_seconds == 5


async def test_unscheduled_pod_is_deleted_at_once_and_returned(kubeapi_client: Any) -> None:
    v1 = client.CoreV1Api(kubeapi_client)
    await v1.create_namespaced_pod("default", pod("p", node=None))
    deleted = await v1.delete_namespaced_pod("p", "default")
    assert deleted.kind == "Pod"
    with pytest.raises(ApiException):
        await v1.read_namespaced_pod("p", "default")


async def test_pod_with_finalizers_stays_after_its_zero_grace_delete(kubeapi_client: Any) -> None:
    v1 = client.CoreV1Api(kubeapi_client)
    await v1.create_namespaced_pod("default", pod("p", finalizers=["x/y"]))
    await v1.delete_namespaced_pod("p", "default", grace_period_seconds=0)
    held = await v1.read_namespaced_pod("p", "default")
    assert held.metadata.deletion_grace_period_seconds == 0
    await v1.patch_namespaced_pod(
        "p", "default", {"metadata": {"$deleteFromPrimitiveList/finalizers": ["x/y"]}}
    )
    with pytest.raises(ApiException):
        await v1.read_namespaced_pod("p", "default")


async def test_delete_collection_honours_selectors(kubeapi_client: Any) -> None:
    v1 = client.CoreV1Api(kubeapi_client)
    for name, app in [("a", "x"), ("b", "x"), ("c", "y")]:
        await v1.create_namespaced_config_map("default", {"metadata": {"name": name, "labels": {"app": app}}})
    await v1.delete_collection_namespaced_config_map("default", label_selector="app=x")
    left = await v1.list_namespaced_config_map("default")
    assert [i.metadata.name for i in left.items] == ["c"]


async def test_delete_of_a_missing_object_is_404(kubeapi_client: Any) -> None:
    with pytest.raises(ApiException) as caught:
        await client.CoreV1Api(kubeapi_client).delete_namespaced_config_map("nope", "default")
    assert caught.value.status == 404


async def test_deleted_object_is_returned_with_the_deletions_version(kubeapi_client: Any) -> None:
    v1 = client.CoreV1Api(kubeapi_client)
    created = await v1.create_namespaced_pod("default", pod("p", node=None))
    deleted = await v1.delete_namespaced_pod("p", "default")
    assert int(deleted.metadata.resource_version) > int(created.metadata.resource_version)
