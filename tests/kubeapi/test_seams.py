"""The admission and Table seams are called where schema admission and Table rendering plug in.

These tests stand in test doubles for the two seam functions (their real bodies arrive with the schema
and tables modules) to check the plumbing: once per custom-resource write with the right subresource and
fieldValidation, warnings back as headers, and Table output for GET, LIST and kubectl.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from kubernetes_asyncio import client

from tests.kubeapi import KubeAPI, errors, seams
from tests.kubeapi.testing import WIDGET_GROUP, WIDGET_PLURAL, WIDGET_VERSION, widget, widget_crd

ARGS = (WIDGET_GROUP, WIDGET_VERSION, "default", WIDGET_PLURAL)
MERGE = "application/merge-patch+json"


@pytest.fixture
def admitted(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []

    def admit(**kwargs: Any) -> dict[str, Any]:
        calls.append(kwargs)
        if kwargs["obj"].get("spec", {}).get("size") == -1:
            raise errors.invalid(
                "Widget", WIDGET_GROUP, "w", [("spec.size", "FieldValueInvalid", "Invalid value: -1")]
            )
        if kwargs["obj"].get("spec", {}).get("size") == 99:
            seams.warn('unknown field "spec.extra"')
        obj: dict[str, Any] = kwargs["obj"]
        return obj

    monkeypatch.setattr(seams, "admit_custom_resource", admit)
    return calls


async def test_every_custom_resource_write_is_admitted_once(
    kubeapi_client: Any, admitted: list[dict[str, Any]]
) -> None:
    await client.ApiextensionsV1Api(kubeapi_client).create_custom_resource_definition(widget_crd())
    custom = client.CustomObjectsApi(kubeapi_client)
    created = await custom.create_namespaced_custom_object(
        *ARGS, widget("w", size=1), field_validation="Strict"
    )
    created["spec"]["size"] = 2
    await custom.replace_namespaced_custom_object(*ARGS, "w", created)
    await custom.patch_namespaced_custom_object(*ARGS, "w", {"spec": {"size": 3}}, _content_type=MERGE)
    await custom.patch_namespaced_custom_object_status(
        *ARGS, "w", {"status": {"replicas": 1}}, _content_type=MERGE
    )
    await custom.patch_namespaced_custom_object(
        *ARGS,
        "w",
        widget("w", size=4),
        field_manager="m",
        force=True,
        _content_type="application/apply-patch+yaml",
    )
    await custom.patch_namespaced_custom_object_scale(
        *ARGS, "w", {"spec": {"replicas": 2}}, _content_type=MERGE
    )
    assert [(c["subresource"], c["old"] is None) for c in admitted] == [
        ("", True),
        ("", False),
        ("", False),
        ("status", False),
        ("", False),
        ("scale", False),
    ]
    assert admitted[0]["field_validation"] == "Strict"
    assert admitted[1]["field_validation"] == ""
    assert admitted[0]["rt"].raw_schema["properties"]["spec"]["properties"]["size"] == {"type": "integer"}


async def test_admission_can_reject_and_warn(kubeapi_client: Any, admitted: list[dict[str, Any]]) -> None:
    await client.ApiextensionsV1Api(kubeapi_client).create_custom_resource_definition(widget_crd())
    custom = client.CustomObjectsApi(kubeapi_client)
    with pytest.raises(client.exceptions.ApiException) as caught:
        await custom.create_namespaced_custom_object(*ARGS, widget("w", size=-1))
    assert caught.value.status == 422
    _, _, headers = await custom.create_namespaced_custom_object_with_http_info(*ARGS, widget("w", size=99))
    assert headers.getall("Warning") == ['299 - "unknown field \\"spec.extra\\""']


def _table(
    rt: Any, objects: list[dict[str, Any]], list_meta: dict[str, Any] | None, include_object: str
) -> Any:
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": list_meta or {},
        "columnDefinitions": [
            {"name": "Name", "type": "string", "format": "name"},
            {"name": "Size", "type": "integer"},
        ],
        "rows": [
            {
                "cells": [o["metadata"]["name"], o["spec"]["size"]],
                "object": {
                    "kind": "PartialObjectMetadata",
                    "apiVersion": "meta.k8s.io/v1",
                    "metadata": o["metadata"],
                },
            }
            for o in objects
        ],
    }


async def test_kubectl_prints_what_the_table_seam_renders(
    kubeapi: KubeAPI, kubeapi_client: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(seams, "render_table", lambda **kw: _table(**kw) if kw["rt"].custom else None)
    await client.ApiextensionsV1Api(kubeapi_client).create_custom_resource_definition(widget_crd())
    await client.CustomObjectsApi(kubeapi_client).create_namespaced_custom_object(*ARGS, widget("w", size=7))
    process = await asyncio.create_subprocess_exec(
        shutil.which("kubectl") or "kubectl",
        "--cache-dir",
        str(tmp_path),
        "get",
        "widgets",
        env={**os.environ, "KUBECONFIG": str(kubeapi.kubeconfig_path)},
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await asyncio.wait_for(process.communicate(), 60)
    assert out.decode().split() == ["NAME", "SIZE", "w", "7"]


async def test_unknown_fields_follow_field_validation(kubeapi_client: Any) -> None:
    """Strict refuses with the server's 400, Warn (or no parameter) warns and prunes, Ignore prunes."""
    await client.ApiextensionsV1Api(kubeapi_client).create_custom_resource_definition(widget_crd())
    custom = client.CustomObjectsApi(kubeapi_client)
    body = widget("w", size=1, extra=True)
    with pytest.raises(client.exceptions.ApiException) as caught:
        await custom.create_namespaced_custom_object(*ARGS, body, field_validation="Strict")
    assert caught.value.status == 400
    assert json.loads(caught.value.body)["message"] == (
        'Widget in version "v1" cannot be handled as a Widget: '
        'strict decoding error: unknown field "spec.extra"'
    )
    created, _, headers = await custom.create_namespaced_custom_object_with_http_info(*ARGS, body)
    assert headers.getall("Warning") == ['299 - "unknown field \\"spec.extra\\""']
    assert created["spec"] == {"size": 1}
    ignored = widget("v", size=1, extra=True)
    _, _, headers = await custom.create_namespaced_custom_object_with_http_info(
        *ARGS, ignored, field_validation="Ignore"
    )
    assert "Warning" not in headers
