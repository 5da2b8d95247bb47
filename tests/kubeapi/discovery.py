"""Discovery documents and the OpenAPI documents kubectl reads, built from the live registry.

- ``/version``, ``/api`` (APIVersions), ``/apis`` (APIGroupList), ``/apis/<group>`` (APIGroup),
  ``/api/v1`` and ``/apis/<group>/<version>`` (APIResourceList with ``<res>/status`` and ``<res>/scale``
  entries). Aggregated discovery (``apidiscovery.k8s.io/v2``) is served too when the Accept header asks for
  it, so kubectl gets everything in two requests; otherwise the legacy documents let clients fall back.
- ``/openapi/v3``: an index of group-versions and, per group-version, the paths with the query parameters of
  PATCH — kubectl checks that ``fieldValidation`` is supported there before it lets the server validate.
  It carries no schemas: kubectl then computes client-side apply patches from its compiled-in types (built-in
  types) or as JSON merge patches (custom resources), as it does against any server without them.
- ``/openapi/v2``: kubectl only accepts it as protobuf; it is served as a minimal protobuf document (swagger
  version, info, no paths or definitions), enough for kubectl's client-side validation to find no schema.

Simplification: ``storageVersionHash`` is omitted; no ``kubernetes`` Service or ``default`` ServiceAccount.
"""

from __future__ import annotations

import hashlib
from typing import Any

from tests.kubeapi.resources import ALL_VERBS, SUB_VERBS, Registry, ResourceType

VERSION = {
    "major": "1",
    "minor": "32",
    "gitVersion": "v1.32.0",
    "gitCommit": "0000000000000000000000000000000000000000",
    "gitTreeState": "clean",
    "buildDate": "2024-12-11T00:00:00Z",
    "goVersion": "go1.23.3",
    "compiler": "gc",
    "platform": "linux/amd64",
}

AGGREGATED = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"


def wants_aggregated(accept: str) -> bool:
    return any(
        "as=APIGroupDiscoveryList" in part and "v=v2" in part and "v=v2beta1" not in part
        for part in accept.split(",")
    )


def _verbs(rt: ResourceType) -> list[str]:
    return list(ALL_VERBS)


def api_versions(address: str) -> dict[str, Any]:
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": address}],
    }


def _group(name: str, versions: list[str]) -> dict[str, Any]:
    entries = [{"groupVersion": f"{name}/{v}", "version": v} for v in versions]
    return {"name": name, "versions": entries, "preferredVersion": entries[0]}


def api_group_list(registry: Registry) -> dict[str, Any]:
    groups = [_group(name, versions) for name, versions in registry.group_versions().items() if name]
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def api_group(registry: Registry, name: str) -> dict[str, Any] | None:
    versions = registry.group_versions().get(name)
    if not versions or not name:
        return None
    return {"kind": "APIGroup", "apiVersion": "v1", **_group(name, versions)}


def resource_list(registry: Registry, group: str, version: str) -> dict[str, Any] | None:
    types = [rt for rt in registry if rt.group == group and rt.version == version]
    if not types:
        return None
    resources: list[dict[str, Any]] = []
    for rt in types:
        entry: dict[str, Any] = {
            "name": rt.plural,
            "singularName": rt.singular,
            "namespaced": rt.namespaced,
            "kind": rt.kind,
            "verbs": _verbs(rt),
        }
        if rt.short_names:
            entry["shortNames"] = list(rt.short_names)
        if rt.categories:
            entry["categories"] = list(rt.categories)
        resources.append(entry)
        for sub in rt.subresources:
            sub_entry: dict[str, Any] = {
                "name": f"{rt.plural}/{sub}",
                "singularName": "",
                "namespaced": rt.namespaced,
                "kind": rt.kind,
                "verbs": list(SUB_VERBS),
            }
            if sub == "scale":
                sub_entry.update(group="autoscaling", version="v1", kind="Scale")
            if sub == "finalize":
                sub_entry["verbs"] = ["update"]
            resources.append(sub_entry)
    group_version = f"{group}/{version}" if group else version
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": group_version,
        "resources": resources,
    }


def _aggregated_resource(rt: ResourceType) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "resource": rt.plural,
        "responseKind": {"group": rt.group, "version": rt.version, "kind": rt.kind},
        "scope": "Namespaced" if rt.namespaced else "Cluster",
        "singularResource": rt.singular,
        "verbs": _verbs(rt),
    }
    if rt.short_names:
        entry["shortNames"] = list(rt.short_names)
    if rt.categories:
        entry["categories"] = list(rt.categories)
    subs = []
    for sub in rt.subresources:
        kind = (
            {"group": "autoscaling", "version": "v1", "kind": "Scale"}
            if sub == "scale"
            else {"group": rt.group, "version": rt.version, "kind": rt.kind}
        )
        subs.append(
            {
                "subresource": sub,
                "responseKind": kind,
                "verbs": ["update"] if sub == "finalize" else list(SUB_VERBS),
            }
        )
    if subs:
        entry["subresources"] = subs
    return entry


def aggregated(registry: Registry, *, core: bool) -> dict[str, Any]:
    """The apidiscovery.k8s.io/v2 APIGroupDiscoveryList for ``/api`` (core) or ``/apis`` (the rest)."""
    items = []
    for name, versions in registry.group_versions().items():
        if bool(name) == core:
            continue
        version_entries = []
        for version in versions:
            types = [rt for rt in registry if rt.group == name and rt.version == version]
            version_entries.append(
                {
                    "version": version,
                    "resources": [_aggregated_resource(rt) for rt in types],
                    "freshness": "Current",
                }
            )
        metadata: dict[str, Any] = (
            {"name": name, "creationTimestamp": None} if name else {"creationTimestamp": None}
        )
        items.append({"metadata": metadata, "versions": version_entries})
    return {
        "kind": "APIGroupDiscoveryList",
        "apiVersion": "apidiscovery.k8s.io/v2",
        "metadata": {},
        "items": items,
    }


# OpenAPI

_PATCH_PARAMS = ["dryRun", "fieldManager", "fieldValidation", "force", "pretty"]
_WRITE_PARAMS = ["dryRun", "fieldManager", "fieldValidation", "pretty"]


def _params(names: list[str]) -> list[dict[str, Any]]:
    return [
        {"name": n, "in": "query", "schema": {"type": "boolean" if n == "force" else "string"}} for n in names
    ]


def _gv_path(group: str, version: str) -> str:
    return f"apis/{group}/{version}" if group else f"api/{version}"


def openapi_v3_index(registry: Registry) -> dict[str, Any]:
    paths = {}
    for group, versions in registry.group_versions().items():
        for version in versions:
            path = _gv_path(group, version)
            digest = hashlib.sha256(
                str(openapi_v3_group_version(registry, group, version)).encode()
            ).hexdigest()
            paths[path] = {"serverRelativeURL": f"/openapi/v3/{path}?hash={digest[:32].upper()}"}
    return {"paths": paths}


def openapi_v3_group_version(registry: Registry, group: str, version: str) -> dict[str, Any] | None:
    types = [rt for rt in registry if rt.group == group and rt.version == version]
    if not types:
        return None
    prefix = "/" + _gv_path(group, version)
    paths: dict[str, Any] = {}
    for rt in types:
        scope = f"{prefix}/namespaces/{{namespace}}/{rt.plural}" if rt.namespaced else f"{prefix}/{rt.plural}"
        gvk = [{"group": group, "version": version, "kind": rt.kind}]
        item_ops = {
            "get": {"x-kubernetes-action": "get", "x-kubernetes-group-version-kind": gvk[0]},
            "put": {
                "x-kubernetes-action": "put",
                "parameters": _params(_WRITE_PARAMS),
                "x-kubernetes-group-version-kind": gvk[0],
            },
            "patch": {
                "x-kubernetes-action": "patch",
                "parameters": _params(_PATCH_PARAMS),
                "x-kubernetes-group-version-kind": gvk[0],
            },
            "delete": {"x-kubernetes-action": "delete", "x-kubernetes-group-version-kind": gvk[0]},
        }
        paths[scope] = {
            "get": {"x-kubernetes-action": "list", "x-kubernetes-group-version-kind": gvk[0]},
            "post": {
                "x-kubernetes-action": "post",
                "parameters": _params(_WRITE_PARAMS),
                "x-kubernetes-group-version-kind": gvk[0],
            },
        }
        paths[f"{scope}/{{name}}"] = item_ops
        for sub in rt.subresources:
            paths[f"{scope}/{{name}}/{sub}"] = {k: v for k, v in item_ops.items() if k != "delete"}
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": VERSION["gitVersion"]},
        "paths": paths,
        "components": {"schemas": {}},
    }


def _field(number: int, payload: bytes) -> bytes:
    """A length-delimited protobuf field."""
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def openapi_v2_protobuf() -> bytes:
    """A gnostic ``openapi_v2.Document``: swagger "2.0", info {title, version}, empty paths."""
    info = _field(1, b"Kubernetes") + _field(2, VERSION["gitVersion"].encode())
    return _field(1, b"2.0") + _field(2, info) + _field(8, b"")
