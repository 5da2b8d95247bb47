"""The registry of served resource types: the built-ins and, while their CRD exists, custom resources.

A :class:`ResourceType` is one (group, version, plural) as discovery lists it. Every served version of one
resource shares a storage bucket keyed by ``(group, plural)``; objects are stored in the storage version and
served in the requested one by rewriting ``apiVersion`` only (the CRD ``conversion: None`` strategy; webhook
conversion is not emulated). Creating or updating a CRD (re)registers its versions from ``spec`` (names,
scope, schema, subresources, printer columns) at once; the CRD's status is written Established and
NamesAccepted in the same write. Name conflicts between CRDs are not detected.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from tests.kubeapi.structure import Schema, with_metadata

ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
SUB_VERBS = ("get", "patch", "update")
CRD_FINALIZER = "customresourcecleanup.apiextensions.k8s.io"


@dataclass(frozen=True, slots=True)
class ScalePaths:
    """Where a scalable resource keeps replicas: dotted paths as in a CRD's ``subresources.scale``."""

    spec_replicas: str
    status_replicas: str
    selector: str | None  # a path to a string selector; None means ``.spec.selector`` as a LabelSelector


@dataclass(eq=False, slots=True)
class ResourceType:
    group: str
    version: str
    plural: str
    kind: str
    schema: Schema
    namespaced: bool = True
    singular: str = ""
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    status: bool = False
    scale: ScalePaths | None = None
    generation: bool = False
    graceful: bool = False
    selectable: frozenset[str] = frozenset({"metadata.name", "metadata.namespace"})
    extra_subresources: tuple[str, ...] = ()
    custom: bool = False
    returns_deleted: bool = False  # DELETE answers with the object rather than a Status (ReturnDeletedObject)
    printer_columns: tuple[Mapping[str, Any], ...] = ()
    storage_version: str = ""
    crd_name: str = ""
    list_kind: str = ""
    raw_schema: Schema | None = field(default=None)  # the CRD version's openAPIV3Schema, for admission
    # Another resource's storage, with converters between its form and this one (events.k8s.io/v1 Events).
    storage: tuple[str, str] | None = None
    convert_in: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    convert_out: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    field_aliases: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.singular = self.singular or self.kind.lower()
        self.storage_version = self.storage_version or self.version
        self.list_kind = self.list_kind or f"{self.kind}List"

    @property
    def key(self) -> tuple[str, str]:
        """The storage bucket: ``(group, plural)``, or the resource whose objects this one converts."""
        return self.storage or (self.group, self.plural)

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def storage_api_version(self) -> str:
        return f"{self.group}/{self.storage_version}" if self.group else self.storage_version

    @property
    def subresources(self) -> tuple[str, ...]:
        subs: tuple[str, ...] = ("status",) if self.status else ()
        subs += ("scale",) if self.scale else ()
        return subs + self.extra_subresources


def _scale_paths(scale: Mapping[str, Any] | None) -> ScalePaths | None:
    if not scale:
        return None
    return ScalePaths(
        spec_replicas=str(scale.get("specReplicasPath", ".spec.replicas")),
        status_replicas=str(scale.get("statusReplicasPath", ".status.replicas")),
        selector=scale.get("labelSelectorPath"),
    )


def types_of_crd(crd: Mapping[str, Any]) -> list[ResourceType]:
    """One ResourceType per served version of a CustomResourceDefinition."""
    spec = crd.get("spec", {})
    names = spec.get("names", {})
    versions = spec.get("versions") or []
    storage = next(
        (v["name"] for v in versions if v.get("storage")), versions[0]["name"] if versions else "v1"
    )
    result = []
    for version in versions:
        if not version.get("served", True):
            continue
        raw = (version.get("schema") or {}).get("openAPIV3Schema") or {"type": "object"}
        subresources = version.get("subresources") or {}
        result.append(
            ResourceType(
                group=spec.get("group", ""),
                version=version["name"],
                plural=names.get("plural", ""),
                kind=names.get("kind", ""),
                singular=names.get("singular", ""),
                list_kind=names.get("listKind", ""),
                schema=with_metadata(raw),
                raw_schema=raw,
                namespaced=spec.get("scope", "Namespaced") == "Namespaced",
                short_names=tuple(names.get("shortNames") or ()),
                categories=tuple(names.get("categories") or ()),
                status="status" in subresources,
                scale=_scale_paths(subresources.get("scale")),
                generation=True,
                custom=True,
                returns_deleted=True,
                printer_columns=tuple(version.get("additionalPrinterColumns") or ()),
                storage_version=storage,
                crd_name=crd.get("metadata", {}).get("name", ""),
            )
        )
    return result


class Registry:
    """Resource types by (group, version, plural), with the groups in discovery order."""

    def __init__(self, types: list[ResourceType]) -> None:
        self._types: dict[tuple[str, str, str], ResourceType] = {}
        self._crds: dict[str, list[ResourceType]] = {}
        for rt in types:
            self._add(rt)

    def _add(self, rt: ResourceType) -> None:
        self._types[(rt.group, rt.version, rt.plural)] = rt

    def lookup(self, group: str, version: str, plural: str) -> ResourceType | None:
        return self._types.get((group, version, plural))

    def by_key(self, key: tuple[str, str]) -> ResourceType | None:
        """The storage version's type of a bucket."""
        candidates = [rt for rt in self._types.values() if rt.key == key]
        for rt in candidates:
            if rt.version == rt.storage_version and rt.storage is None:
                return rt
        return candidates[0] if candidates else None

    def by_kind(self, api_version: str, kind: str) -> ResourceType | None:
        group, _, version = api_version.rpartition("/")
        for rt in self._types.values():
            if rt.group == group and rt.version == version and rt.kind == kind:
                return rt
        for rt in self._types.values():
            if rt.group == group and rt.kind == kind:
                return rt
        return None

    def __iter__(self) -> Iterator[ResourceType]:
        return iter(list(self._types.values()))

    def group_versions(self) -> dict[str, list[str]]:
        """Group name → served versions, core ("") first, in registration order."""
        groups: dict[str, list[str]] = {}
        for rt in self._types.values():
            versions = groups.setdefault(rt.group, [])
            if rt.version not in versions:
                versions.append(rt.version)
        return groups

    def set_crd(self, crd: Mapping[str, Any]) -> None:
        name = crd.get("metadata", {}).get("name", "")
        self.remove_crd(name)
        types = types_of_crd(crd)
        self._crds[name] = types
        for rt in types:
            self._add(rt)

    def remove_crd(self, name: str) -> None:
        for rt in self._crds.pop(name, []):
            self._types.pop((rt.group, rt.version, rt.plural), None)

    def crd_types(self, name: str) -> list[ResourceType]:
        return list(self._crds.get(name, []))
