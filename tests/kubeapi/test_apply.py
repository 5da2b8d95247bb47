"""Server-side apply: creation, field ownership, conflicts, removal of unapplied fields, list merging."""

from __future__ import annotations

import json
from typing import Any

import pytest
from kubernetes_asyncio import client
from kubernetes_asyncio.client.exceptions import ApiException

from tests.kubeapi.testing import WIDGET_GROUP, WIDGET_PLURAL, WIDGET_VERSION, deployment, widget, widget_crd

APPLY = "application/apply-patch+yaml"
ARGS = (WIDGET_GROUP, WIDGET_VERSION, "default", WIDGET_PLURAL)


class Widgets:
    def __init__(self, api_client: Any) -> None:
        self.custom = client.CustomObjectsApi(api_client)

    async def apply(
        self, manager: str, *, force: bool = False, status: bool = False, **spec: Any
    ) -> dict[str, Any]:
        body = widget("w", **spec)
        patch = self.custom.patch_namespaced_custom_object
        if status:
            body = {**body, "status": body.pop("spec")}
            patch = self.custom.patch_namespaced_custom_object_status
        result: dict[str, Any] = await patch(
            *ARGS, "w", body, field_manager=manager, force=force, _content_type=APPLY
        )
        return result

    async def get(self) -> dict[str, Any]:
        result: dict[str, Any] = await self.custom.get_namespaced_custom_object(*ARGS, "w")
        return result


@pytest.fixture
async def widgets(kubeapi_client: Any) -> Widgets:
    await client.ApiextensionsV1Api(kubeapi_client).create_custom_resource_definition(widget_crd())
    return Widgets(kubeapi_client)


def managers(obj: dict[str, Any]) -> dict[tuple[str, str, str], dict[str, Any]]:
    return {
        (e["manager"], e["operation"], e.get("subresource", "")): e["fieldsV1"]
        for e in obj["metadata"].get("managedFields", [])
    }


def conflict_of(exc: ApiException) -> dict[str, Any]:
    assert exc.status == 409
    body: dict[str, Any] = json.loads(exc.body)
    return body


async def test_apply_creates_with_201_and_an_apply_entry(kubeapi_client: Any) -> None:
    await client.ApiextensionsV1Api(kubeapi_client).create_custom_resource_definition(widget_crd())
    custom = client.CustomObjectsApi(kubeapi_client)
    _, status, _ = await custom.patch_namespaced_custom_object_with_http_info(
        *ARGS, "w", widget("w", size=1), field_manager="alice", _content_type=APPLY
    )
    assert status == 201
    obj = await Widgets(kubeapi_client).get()
    assert managers(obj) == {("alice", "Apply", ""): {"f:spec": {"f:size": {}}}}
    assert obj["metadata"]["generation"] == 1


async def test_apply_requires_a_field_manager(widgets: Widgets) -> None:
    with pytest.raises(ApiException) as caught:
        await widgets.custom.patch_namespaced_custom_object(
            *ARGS, "w", widget("w", size=1), _content_type=APPLY
        )
    assert caught.value.status == 422
    assert "fieldManager: Required value" in json.loads(caught.value.body)["message"]


async def test_conflicting_value_is_409_naming_the_other_manager(widgets: Widgets) -> None:
    await widgets.apply("alice", size=1)
    with pytest.raises(ApiException) as caught:
        await widgets.apply("bob", size=2)
    body = conflict_of(caught.value)
    assert (
        body["message"]
        == 'Apply failed with 1 conflict: conflict with "alice" using example.com/v1: .spec.size'
    )
    assert body["details"]["causes"] == [
        {
            "reason": "FieldManagerConflict",
            "message": 'conflict with "alice" using example.com/v1',
            "field": ".spec.size",
        }
    ]


async def test_force_takes_ownership(widgets: Widgets) -> None:
    await widgets.apply("alice", size=1, replicas=1)
    forced = await widgets.apply("bob", size=2, force=True)
    assert forced["spec"]["size"] == 2
    assert managers(forced) == {
        ("alice", "Apply", ""): {"f:spec": {"f:replicas": {}}},
        ("bob", "Apply", ""): {"f:spec": {"f:size": {}}},
    }


async def test_applying_the_same_value_shares_ownership(widgets: Widgets) -> None:
    await widgets.apply("alice", size=1)
    shared = await widgets.apply("bob", size=1)
    assert set(managers(shared)) == {("alice", "Apply", ""), ("bob", "Apply", "")}


async def test_fields_no_longer_applied_are_removed(widgets: Widgets) -> None:
    await widgets.apply("alice", size=1, tags=["a"])
    applied = await widgets.apply("alice", size=1)
    assert applied["spec"] == {"size": 1}


async def test_fields_another_manager_owns_are_kept(widgets: Widgets) -> None:
    await widgets.apply("alice", size=1, tags=["a"])
    await widgets.apply("bob", tags=["a"])
    applied = await widgets.apply("alice", size=1)
    assert applied["spec"] == {"size": 1, "tags": ["a"]}


async def test_map_lists_merge_by_key_between_managers(widgets: Widgets) -> None:
    await widgets.apply("alice", ports=[{"name": "a", "port": 1}])
    both = await widgets.apply("bob", ports=[{"name": "b", "port": 2}])
    assert both["spec"]["ports"] == [{"name": "a", "port": 1}, {"name": "b", "port": 2}]
    assert managers(both)[("bob", "Apply", "")] == {
        "f:spec": {"f:ports": {'k:{"name":"b"}': {".": {}, "f:name": {}, "f:port": {}}}}
    }
    alice_gone = await widgets.apply("alice", size=3)
    assert alice_gone["spec"]["ports"] == [{"name": "b", "port": 2}]


async def test_other_custom_resource_lists_are_atomic(widgets: Widgets) -> None:
    await widgets.apply("alice", tags=["a"])
    with pytest.raises(ApiException) as caught:
        await widgets.apply("bob", tags=["b"])
    assert conflict_of(caught.value)["details"]["causes"][0]["field"] == ".spec.tags"


async def test_update_managers_conflict_too(widgets: Widgets) -> None:
    await widgets.apply("alice", size=1)
    await widgets.custom.patch_namespaced_custom_object(
        *ARGS,
        "w",
        {"spec": {"size": 5}},
        field_manager="editor",
        _content_type="application/merge-patch+json",
    )
    with pytest.raises(ApiException) as caught:
        await widgets.apply("alice", size=1)
    assert 'conflict with "editor" using example.com/v1: .spec.size' in conflict_of(caught.value)["message"]


async def test_status_conditions_are_owned_per_condition(widgets: Widgets) -> None:
    await widgets.apply("alice", size=1)
    await widgets.apply("alice", status=True, conditions=[{"type": "Ready", "status": "True"}])
    await widgets.apply("bob", status=True, conditions=[{"type": "Issuing", "status": "False"}])
    both = await widgets.get()
    assert [c["type"] for c in both["status"]["conditions"]] == ["Ready", "Issuing"]
    assert managers(both)[("alice", "Apply", "status")] == {
        "f:status": {"f:conditions": {'k:{"type":"Ready"}': {".": {}, "f:status": {}, "f:type": {}}}}
    }
    await widgets.apply("alice", status=True, conditions=[])
    after = await widgets.get()
    assert after["status"]["conditions"] == [{"type": "Issuing", "status": "False"}]


async def test_apply_to_the_main_resource_ignores_status(widgets: Widgets) -> None:
    obj = widget("w", size=1)
    obj["status"] = {"replicas": 7}
    await widgets.custom.patch_namespaced_custom_object(
        *ARGS, "w", obj, field_manager="alice", _content_type=APPLY
    )
    assert "status" not in await widgets.get()


async def test_reapplying_the_same_configuration_is_not_a_write(widgets: Widgets) -> None:
    await widgets.apply("alice", size=1)  # creates: the client maps only 200 and returns None for the 201
    first = await widgets.get()
    second = await widgets.apply("alice", size=1)
    assert second["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]


async def test_apply_with_a_stale_resource_version_is_409(widgets: Widgets) -> None:
    await widgets.apply("alice", size=1)
    body = widget("w", size=2)
    body["metadata"]["resourceVersion"] = "1"
    with pytest.raises(ApiException) as caught:
        await widgets.custom.patch_namespaced_custom_object(
            *ARGS, "w", body, field_manager="a", _content_type=APPLY
        )
    assert caught.value.status == 409


async def test_built_in_containers_merge_by_name_between_managers(kubeapi_client: Any) -> None:
    apps = client.AppsV1Api(kubeapi_client)

    def containers(*names: str) -> list[dict[str, Any]]:
        return [{"name": n, "image": f"{n}:1"} for n in names]

    await apps.patch_namespaced_deployment(
        "d", "default", deployment(containers=containers("app")), field_manager="alice", _content_type=APPLY
    )
    result = await apps.patch_namespaced_deployment(
        "d",
        "default",
        deployment(containers=containers("sidecar")),
        field_manager="bob",
        force=True,
        _content_type=APPLY,
    )
    assert [c.name for c in result.spec.template.spec.containers] == ["app", "sidecar"]


async def test_conflict_with_a_scale_writer_names_the_subresource(kubeapi_client: Any) -> None:
    apps = client.AppsV1Api(kubeapi_client)
    body = deployment(replicas=1)
    await apps.patch_namespaced_deployment("d", "default", body, field_manager="alice", _content_type=APPLY)
    await apps.patch_namespaced_deployment_scale(
        "d",
        "default",
        {"spec": {"replicas": 5}},
        field_manager="hpa",
        _content_type="application/merge-patch+json",
    )
    with pytest.raises(ApiException) as caught:
        await apps.patch_namespaced_deployment(
            "d", "default", body, field_manager="alice", _content_type=APPLY
        )
    assert conflict_of(caught.value)["message"] == (
        'Apply failed with 1 conflict: conflict with "hpa" with subresource "scale" using apps/v1: '
        ".spec.replicas"
    )
