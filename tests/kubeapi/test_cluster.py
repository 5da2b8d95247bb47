"""Object semantics of create, get, update: metadata, resourceVersions, generation, concurrency,
namespaces."""

from __future__ import annotations

import json
from typing import Any

import pytest
from kubernetes_asyncio import client
from kubernetes_asyncio.client.exceptions import ApiException

from tests.kubeapi.testing import WIDGET_GROUP, WIDGET_PLURAL, WIDGET_VERSION, widget, widget_crd


def status_of(exc: ApiException) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(exc.body)
    return body


async def test_create_returns_201_with_server_metadata(kubeapi_client: Any) -> None:
    v1 = client.CoreV1Api(kubeapi_client)
    created, status, _ = await v1.create_namespaced_config_map_with_http_info(
        "default", {"metadata": {"name": "a"}, "data": {"k": "v"}}
    )
    assert status == 201
    meta = created.metadata
    assert meta.uid
    assert meta.creation_timestamp
    assert meta.resource_version
    assert meta.namespace == "default"
    assert meta.managed_fields[0].manager == "OpenAPI-Generator"
    assert meta.managed_fields[0].operation == "Update"


async def test_creating_an_existing_name_is_409_already_exists(kubeapi_client: Any) -> None:
    v1 = client.CoreV1Api(kubeapi_client)
    await v1.create_namespaced_config_map("default", {"metadata": {"name": "a"}})
    with pytest.raises(ApiException) as caught:
        await v1.create_namespaced_config_map("default", {"metadata": {"name": "a"}})
    assert caught.value.status == 409
    body = status_of(caught.value)
    assert body["reason"] == "AlreadyExists"
    assert body["message"] == 'configmaps "a" already exists'
    assert body["details"] == {"name": "a", "kind": "configmaps"}


async def test_generate_name_appends_five_characters(kubeapi_client: Any) -> None:
    created = await client.CoreV1Api(kubeapi_client).create_namespaced_config_map(
        "default", {"metadata": {"generateName": "job-"}}
    )
    assert created.metadata.name.startswith("job-")
    assert len(created.metadata.name) == 9


async def test_missing_namespace_is_404_naming_the_namespace(kubeapi_client: Any) -> None:
    with pytest.raises(ApiException) as caught:
        await client.CoreV1Api(kubeapi_client).create_namespaced_config_map(
            "nope", {"metadata": {"name": "a"}}
        )
    assert caught.value.status == 404
    assert status_of(caught.value)["message"] == 'namespaces "nope" not found'


async def test_get_of_a_missing_object_is_404_in_the_servers_words(kubeapi_client: Any) -> None:
    with pytest.raises(ApiException) as caught:
        await client.AppsV1Api(kubeapi_client).read_namespaced_deployment("gone", "default")
    body = status_of(caught.value)
    assert caught.value.status == 404
    assert body["message"] == 'deployments.apps "gone" not found'
    assert body["details"] == {"name": "gone", "group": "apps", "kind": "deployments"}


async def test_resource_versions_strictly_increase_across_resources(kubeapi_client: Any) -> None:
    v1 = client.CoreV1Api(kubeapi_client)
    versions = []
    for index in range(3):
        cm = await v1.create_namespaced_config_map("default", {"metadata": {"name": f"c{index}"}})
        versions.append(int(cm.metadata.resource_version))
        secret = await v1.create_namespaced_secret("default", {"metadata": {"name": f"s{index}"}})
        versions.append(int(secret.metadata.resource_version))
    assert versions == sorted(versions)
    assert len(set(versions)) == len(versions)


async def test_update_with_a_stale_resource_version_is_409_conflict(kubeapi_client: Any) -> None:
    v1 = client.CoreV1Api(kubeapi_client)
    cm = await v1.create_namespaced_config_map("default", {"metadata": {"name": "a"}, "data": {"k": "1"}})
    stale = cm.metadata.resource_version
    await v1.replace_namespaced_config_map(
        "a", "default", {"metadata": {"name": "a", "resourceVersion": stale}, "data": {"k": "2"}}
    )
    with pytest.raises(ApiException) as caught:
        await v1.replace_namespaced_config_map(
            "a", "default", {"metadata": {"name": "a", "resourceVersion": stale}, "data": {"k": "3"}}
        )
    assert caught.value.status == 409
    assert status_of(caught.value)["message"] == (
        'Operation cannot be fulfilled on configmaps "a": the object has been modified; '
        "please apply your changes to the latest version and try again"
    )


async def test_update_that_changes_nothing_keeps_the_resource_version(kubeapi_client: Any) -> None:
    v1 = client.CoreV1Api(kubeapi_client)
    cm = await v1.create_namespaced_config_map("default", {"metadata": {"name": "a"}, "data": {"k": "1"}})
    same = await v1.patch_namespaced_config_map("a", "default", {"data": {"k": "1"}})
    assert same.metadata.resource_version == cm.metadata.resource_version


async def test_custom_resource_update_needs_a_resource_version(kubeapi_client: Any) -> None:
    await client.ApiextensionsV1Api(kubeapi_client).create_custom_resource_definition(widget_crd())
    custom = client.CustomObjectsApi(kubeapi_client)
    await custom.create_namespaced_custom_object(
        WIDGET_GROUP, WIDGET_VERSION, "default", WIDGET_PLURAL, widget("w", size=1)
    )
    with pytest.raises(ApiException) as caught:
        await custom.replace_namespaced_custom_object(
            WIDGET_GROUP, WIDGET_VERSION, "default", WIDGET_PLURAL, "w", widget("w", size=2)
        )
    assert caught.value.status == 422
    assert "must be specified for an update" in status_of(caught.value)["message"]


async def test_generation_counts_spec_changes_but_not_status_or_metadata(kubeapi_client: Any) -> None:
    await client.ApiextensionsV1Api(kubeapi_client).create_custom_resource_definition(widget_crd())
    custom = client.CustomObjectsApi(kubeapi_client)
    args = (WIDGET_GROUP, WIDGET_VERSION, "default", WIDGET_PLURAL)
    created = await custom.create_namespaced_custom_object(*args, widget("w", size=1))
    assert created["metadata"]["generation"] == 1
    merge = "application/merge-patch+json"
    labelled = await custom.patch_namespaced_custom_object(
        *args, "w", {"metadata": {"labels": {"a": "b"}}}, _content_type=merge
    )
    assert labelled["metadata"]["generation"] == 1
    status = await custom.patch_namespaced_custom_object_status(
        *args, "w", {"status": {"replicas": 3}}, _content_type=merge
    )
    assert status["metadata"]["generation"] == 1
    changed = await custom.patch_namespaced_custom_object(
        *args, "w", {"spec": {"size": 2}}, _content_type=merge
    )
    assert changed["metadata"]["generation"] == 2


async def test_generation_counts_every_change_without_a_status_subresource(kubeapi_client: Any) -> None:
    crd = widget_crd(scale=False)
    del crd["spec"]["versions"][0]["subresources"]
    await client.ApiextensionsV1Api(kubeapi_client).create_custom_resource_definition(crd)
    custom = client.CustomObjectsApi(kubeapi_client)
    args = (WIDGET_GROUP, WIDGET_VERSION, "default", WIDGET_PLURAL)
    await custom.create_namespaced_custom_object(*args, widget("w", size=1))
    patched = await custom.patch_namespaced_custom_object(
        *args, "w", {"status": {"replicas": 3}}, _content_type="application/merge-patch+json"
    )
    assert patched["metadata"]["generation"] == 2
    assert patched["status"] == {"replicas": 3}


async def test_pods_start_pending_and_namespaces_active(kubeapi_client: Any) -> None:
    v1 = client.CoreV1Api(kubeapi_client)
    pod = await v1.create_namespaced_pod(
        "default", {"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "i"}]}}
    )
    assert pod.status.phase == "Pending"
    namespace = await v1.create_namespace({"metadata": {"name": "team"}})
    assert namespace.status.phase == "Active"
    assert namespace.spec.finalizers == ["kubernetes"]


async def test_cluster_scoped_objects_have_no_namespace(kubeapi_client: Any) -> None:
    namespace = await client.CoreV1Api(kubeapi_client).create_namespace(
        {"metadata": {"name": "team", "namespace": "ignored"}}
    )
    assert namespace.metadata.namespace is None


async def test_crd_is_established_with_its_accepted_names(kubeapi_client: Any) -> None:
    crd = await client.ApiextensionsV1Api(kubeapi_client).create_custom_resource_definition(widget_crd())
    conditions = {c.type: c.status for c in crd.status.conditions}
    assert conditions == {"NamesAccepted": "True", "Established": "True"}
    assert crd.status.accepted_names.list_kind == "WidgetList"
    assert crd.status.stored_versions == ["v1"]


async def test_crd_name_must_be_plural_dot_group(kubeapi_client: Any) -> None:
    crd = widget_crd()
    crd["metadata"]["name"] = "wrong.example.com"
    with pytest.raises(ApiException) as caught:
        await client.ApiextensionsV1Api(kubeapi_client).create_custom_resource_definition(crd)
    assert caught.value.status == 422


async def test_every_served_crd_version_shares_the_objects(kubeapi_client: Any) -> None:
    crd = widget_crd()
    v2 = json.loads(json.dumps(crd["spec"]["versions"][0]))
    v2.update(name="v2", storage=False)
    crd["spec"]["versions"].append(v2)
    await client.ApiextensionsV1Api(kubeapi_client).create_custom_resource_definition(crd)
    custom = client.CustomObjectsApi(kubeapi_client)
    body = widget("w", size=1)
    body["apiVersion"] = "example.com/v2"
    await custom.create_namespaced_custom_object(WIDGET_GROUP, "v2", "default", WIDGET_PLURAL, body)
    as_v1 = await custom.get_namespaced_custom_object(WIDGET_GROUP, "v1", "default", WIDGET_PLURAL, "w")
    listed = await custom.list_namespaced_custom_object(WIDGET_GROUP, "v2", "default", WIDGET_PLURAL)
    assert as_v1["apiVersion"] == "example.com/v1"
    assert [i["apiVersion"] for i in listed["items"]] == ["example.com/v2"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"metadata": {"name": "Not_Valid"}}, "metadata.name"),
        ({"metadata": {"name": "a", "labels": {"app": "x" * 64}}}, "metadata.labels"),
        ({"metadata": {"name": "a", "labels": {"bad key!": "x"}}}, "metadata.labels"),
        ({"metadata": {"name": "a", "annotations": {"big": "x" * (256 * 1024)}}}, "metadata.annotations"),
    ],
)
async def test_object_meta_is_validated(kubeapi_client: Any, body: dict[str, Any], field: str) -> None:
    with pytest.raises(ApiException) as caught:
        await client.CoreV1Api(kubeapi_client).create_namespaced_config_map("default", body)
    assert caught.value.status == 422
    assert status_of(caught.value)["details"]["causes"][0]["field"] == field


async def test_namespace_names_are_dns_labels(kubeapi_client: Any) -> None:
    with pytest.raises(ApiException) as caught:
        await client.CoreV1Api(kubeapi_client).create_namespace({"metadata": {"name": "has.dot"}})
    assert "RFC 1123 label" in status_of(caught.value)["message"]


async def test_labels_are_validated_on_update_too(kubeapi_client: Any) -> None:
    v1 = client.CoreV1Api(kubeapi_client)
    await v1.create_namespaced_config_map("default", {"metadata": {"name": "a"}})
    with pytest.raises(ApiException) as caught:
        await v1.patch_namespaced_config_map("a", "default", {"metadata": {"labels": {"app": "-x"}}})
    assert caught.value.status == 422


async def test_owner_references_are_validated(kubeapi_client: Any) -> None:
    v1 = client.CoreV1Api(kubeapi_client)
    ref = {"apiVersion": "v1", "kind": "ConfigMap", "name": "o", "uid": "u1", "controller": True}
    two_controllers = [ref, {**ref, "name": "p", "uid": "u2"}]
    with pytest.raises(ApiException) as caught:
        await v1.create_namespaced_config_map(
            "default", {"metadata": {"name": "a", "ownerReferences": two_controllers}}
        )
    assert "Only one reference can have Controller set to true" in status_of(caught.value)["message"]
    with pytest.raises(ApiException) as caught:
        await v1.create_namespaced_config_map(
            "default", {"metadata": {"name": "a", "ownerReferences": [{**ref, "uid": ""}]}}
        )
    assert status_of(caught.value)["details"]["causes"][0]["field"] == "metadata.ownerReferences.uid"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda crd: crd["spec"].pop("versions"), "spec.versions"),
        (lambda crd: crd["spec"]["versions"][0].update(storage=False), "spec.versions"),
        (lambda crd: crd["spec"]["names"].pop("kind"), "spec.names.kind"),
        (lambda crd: crd["spec"].update(scope="Everywhere"), "spec.scope"),
    ],
)
async def test_crds_that_cannot_be_served_are_422(kubeapi_client: Any, change: Any, field: str) -> None:
    crd = widget_crd()
    change(crd)
    with pytest.raises(ApiException) as caught:
        await client.ApiextensionsV1Api(kubeapi_client).create_custom_resource_definition(crd)
    assert caught.value.status == 422
    assert status_of(caught.value)["details"]["causes"][0]["field"] == field


@pytest.mark.parametrize(
    "body",
    [
        {"metadata": {"name": "a", "labels": ["x"]}},
        {"metadata": {"name": "a", "finalizers": "x"}},
        {"metadata": {"name": 5}},
        {"metadata": {"name": "a"}, "data": {"k": 1}},
    ],
)
async def test_objects_that_do_not_decode_are_400(kubeapi_client: Any, body: dict[str, Any]) -> None:
    with pytest.raises(ApiException) as caught:
        await client.CoreV1Api(kubeapi_client).create_namespaced_config_map("default", body)
    assert caught.value.status == 400
    assert status_of(caught.value)["message"].startswith(
        'ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal'
    )
