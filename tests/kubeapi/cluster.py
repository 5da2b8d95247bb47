"""The emulated API server's object semantics, independent of HTTP: get, list, create, update, patch, apply.

Every write goes through :meth:`Cluster.create` or :meth:`Cluster._finish_update` (PUT, every patch type,
apply, /status, /scale, and the emulator's own controllers; DELETE is ``deletion``'s), which own the rules
that hold for all verbs:

- ``uid``, ``creationTimestamp``, ``generation`` (1 on create; +1 when anything but ``metadata`` — and
  ``status`` for resources with a status subresource — changes, and when graceful deletion starts), and one
  global resourceVersion per write. A write that changes nothing (managedFields timestamps aside) is not
  stored: no new resourceVersion, no watch event, as on a real server.
- Optimistic concurrency: a ``metadata.resourceVersion`` in a PUT, patch or apply body must be current
  (409 Conflict with the server's message). PUT without one is allowed for built-in types and refused with
  422 for custom resources (``AllowUnconditionalUpdate``).
- The status split: writes to the main resource keep the stored ``.status`` where a status subresource
  exists; writes to ``/status`` change only ``.status`` (their metadata changes are ignored, as for custom
  resources on a real server).
- Finalizers: none may be added once ``deletionTimestamp`` is set; removing the last one from an object whose
  ``deletionGracePeriodSeconds`` is 0 deletes it (the DELETED event carries the final state).
- Namespaced objects need an existing namespace (404) that is not terminating (403).
- Custom resources pass through ``seams.admit_custom_resource`` once per write.
- LIST semantics live in ``listing``, CRD checks and initial state in ``crds``, the Scale view in ``scale``.

ObjectMeta is validated as on a real server (``validation``: names, labels, annotation size).

Built-in objects get the defaults of ``defaults`` on every write (pods also ``status.phase: Pending``,
namespaces ``spec.finalizers: [kubernetes]`` and ``status.phase: Active``).

Simplifications: built-in objects are not otherwise validated or defaulted; ``fieldValidation`` is
accepted and ignored for built-in types; dry-run runs every check and stores nothing.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

from tests.kubeapi import crds, defaults, errors, listing, seams, validation
from tests.kubeapi.apply import apply as apply_merge
from tests.kubeapi.builtins import builtin_types
from tests.kubeapi.listing import ListResult
from tests.kubeapi.managed import Entry, entries_of, to_managed_fields, track_update
from tests.kubeapi.meta import (
    clone,
    generated_name,
    get_path,
    new_uid,
    rfc3339,
    set_path,
    spec_changed,
    without_volatile,
)
from tests.kubeapi.patch import json_patch, merge_patch, strategic_merge
from tests.kubeapi.resources import Registry, ResourceType
from tests.kubeapi.selectors import Matcher, combine, field_matcher, label_matcher
from tests.kubeapi.store import Store

DEFAULT_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
NS_KEY = ("", "namespaces")
CRD_KEY = ("apiextensions.k8s.io", "customresourcedefinitions")
PATCH_TYPES = {
    "application/json-patch+json": "json",
    "application/merge-patch+json": "merge",
    "application/strategic-merge-patch+json": "strategic",
    "application/apply-patch+yaml": "apply",
    "application/apply-patch+cbor": "apply",
}
_CUSTOM_PATCH_TYPES = [
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/apply-patch+yaml",
]


class Cluster:
    def __init__(self, *, history: int = 1000, clock: Callable[[], float] = time.time, seed: int = 0) -> None:
        self.store = Store(history=history)
        self.registry = Registry(builtin_types())
        self.clock = clock
        self.rng = random.Random(seed)
        self._next_ip = 8  # 10.96.0.1 is the kubernetes Service's on a real cluster
        namespaces = self.type_of(NS_KEY)
        for name in DEFAULT_NAMESPACES:
            self.create(namespaces, "", {"metadata": {"name": name}}, manager="kube-apiserver")

    # Helpers

    def timestamp(self, offset: float = 0.0) -> str:
        return rfc3339(self.clock() + offset)

    def type_of(self, key: tuple[str, str]) -> ResourceType:
        rt = self.registry.by_key(key)
        assert rt is not None, key
        return rt

    def present(self, rt: ResourceType, obj: dict[str, Any]) -> dict[str, Any]:
        """``obj`` as served at ``rt``'s version (only ``apiVersion`` differs between versions)."""
        if rt.convert_out is not None:
            return rt.convert_out(obj)
        if obj.get("apiVersion") == rt.api_version:
            return obj
        return {**obj, "apiVersion": rt.api_version}

    def _require_namespace(self, rt: ResourceType, namespace: str, name: str, *, creating: bool) -> None:
        if not rt.namespaced:
            return
        ns = self.store.get(NS_KEY, "", namespace)
        if ns is None:
            raise errors.not_found("namespaces", "", namespace)
        if creating and ns["metadata"].get("deletionTimestamp"):
            why = f"unable to create new content in namespace {namespace} because it is being terminated"
            cause = {
                "reason": "NamespaceTerminating",
                "message": f"namespace {namespace} is being terminated",
                "field": "metadata.namespace",
            }
            raise errors.forbidden(rt.plural, rt.group, name, why, causes=[cause])

    def _crd_of(self, rt: ResourceType) -> dict[str, Any] | None:
        return self.store.get(CRD_KEY, "", rt.crd_name) if rt.custom else None

    # Reads

    def get(self, rt: ResourceType, namespace: str, name: str) -> dict[str, Any]:
        obj = self.store.get(rt.key, namespace if rt.namespaced else "", name)
        if obj is None:
            raise errors.not_found(rt.plural, rt.group, name)
        return obj

    def matcher(self, rt: ResourceType, *, labels: str | None, fields: str | None) -> Matcher | None:
        return combine(
            label_matcher(labels), field_matcher(fields, supported=rt.selectable, aliases=rt.field_aliases)
        )

    def list_objects(
        self,
        rt: ResourceType,
        namespace: str | None,
        *,
        labels: str | None = None,
        fields: str | None = None,
        limit: int | None = None,
        continue_token: str | None = None,
        resource_version: str | None = None,
        resource_version_match: str | None = None,
    ) -> ListResult:
        """LIST (``listing``): selectors, pagination and resourceVersion semantics."""
        return listing.list_objects(
            self.store,
            rt,
            namespace,
            match=self.matcher(rt, labels=labels, fields=fields),
            limit=limit,
            continue_token=continue_token,
            resource_version=resource_version,
            resource_version_match=resource_version_match,
        )

    # Create

    def create(
        self,
        rt: ResourceType,
        namespace: str,
        body: Any,
        *,
        manager: str,
        dry_run: bool = False,
        entries: list[Entry] | None = None,
    ) -> dict[str, Any]:
        obj = self._checked_body(rt, body)
        meta = obj["metadata"] = dict(obj.get("metadata") or {})
        if meta.get("resourceVersion"):
            raise errors.bad_request("resourceVersion should not be set on objects to be created")
        if rt.namespaced:
            if meta.get("namespace") and meta["namespace"] != namespace:
                raise errors.bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request"
                )
            meta["namespace"] = namespace
        else:
            meta.pop("namespace", None)
        name = meta.get("name") or ""
        if not name:
            if not meta.get("generateName"):
                raise errors.invalid(
                    rt.kind,
                    rt.group,
                    "",
                    [
                        (
                            "metadata.name",
                            "FieldValueRequired",
                            "Required value: name or generateName is required",
                        )
                    ],
                )
            name = generated_name(meta["generateName"], self.rng)
            while self.store.get(rt.key, namespace if rt.namespaced else "", name) is not None:
                name = generated_name(meta["generateName"], self.rng)
            meta["name"] = name
        causes = validation.name_causes(name, plural=rt.plural) + validation.meta_causes(meta)
        if causes:
            raise errors.invalid(rt.kind, rt.group, name, causes)
        self._require_namespace(rt, namespace, name, creating=True)
        crd = self._crd_of(rt)
        if crd is not None and crd["metadata"].get("deletionTimestamp"):
            raise errors.StatusError(
                405, "MethodNotAllowed", "create not allowed while custom resource definition is terminating"
            )
        if self.store.get(rt.key, meta.get("namespace", ""), name) is not None:
            raise errors.already_exists(rt.plural, rt.group, name)
        for server_field in ("deletionTimestamp", "deletionGracePeriodSeconds", "selfLink"):
            meta.pop(server_field, None)
        meta["uid"] = new_uid()
        meta["creationTimestamp"] = self.timestamp()
        if rt.generation:
            meta["generation"] = 1
        else:
            meta.pop("generation", None)
        obj = self._default(rt, self._prepare_create(rt, obj))
        if rt.custom:
            obj = seams.admit_custom_resource(
                rt=rt, obj=obj, old=None, subresource="", field_validation=seams.field_validation.get()
            )
        if entries is None:
            given = meta.get("managedFields")
            base = entries_of(obj) if given not in (None, []) else []
            entries = track_update(
                old=None,
                new=obj,
                schema=rt.schema,
                entries=base,
                manager=manager,
                subresource="",
                api_version=rt.api_version,
                now=self.timestamp(),
            )
        self._set_managed(obj, entries)
        if dry_run:
            return self.present(rt, obj)
        self.store.commit(rt.key, "ADDED", obj, None)
        if rt.key == CRD_KEY:
            self.registry.set_crd(obj)
        return self.present(rt, obj)

    def _checked_body(self, rt: ResourceType, body: Any, *, to_storage: bool = True) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise errors.bad_request("the body of the request is not a JSON object")
        kind, api_version = body.get("kind"), body.get("apiVersion")
        if not isinstance(kind, str | None) or not isinstance(api_version, str | None):
            raise errors.bad_request("Object 'Kind' is missing or not a string")
        if kind and kind != rt.kind:
            raise errors.bad_request(
                f"the kind of the provided object ({kind}) does not match the kind "
                f"of the resource ({rt.kind})"
            )
        if api_version and api_version != rt.api_version:
            raise errors.bad_request(
                f"the API version in the data ({api_version}) does not match the expected API "
                f"version ({rt.api_version})"
            )
        problem = validation.decode_error(body, kind=rt.kind, custom=rt.custom)
        if problem:
            raise errors.bad_request(
                f'{rt.kind} in version "{rt.version}" cannot be handled as a {rt.kind}: {problem}'
            )
        obj = dict(body)
        obj["kind"] = rt.kind
        if rt.convert_in is not None:
            obj["apiVersion"] = rt.api_version
            return rt.convert_in(obj) if to_storage else obj
        obj["apiVersion"] = rt.storage_api_version if to_storage else rt.api_version
        return obj

    def _default(
        self, rt: ResourceType, obj: dict[str, Any], old: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Built-in defaulting (``defaults``), which the server applies to every object it decodes."""
        if rt.custom:
            return obj
        return defaults.for_type(rt.key, obj, old, cluster_ip=self._cluster_ip)

    def _cluster_ip(self) -> str:
        self._next_ip += 1
        return f"10.96.{self._next_ip // 254 % 256}.{self._next_ip % 254 + 1}"

    def _prepare_create(self, rt: ResourceType, obj: dict[str, Any]) -> dict[str, Any]:
        if rt.status:
            obj.pop("status", None)
        if rt.key == ("", "pods"):
            obj["status"] = {"phase": "Pending"}
        elif rt.key == NS_KEY:
            obj["spec"] = {"finalizers": ["kubernetes"]}
            obj["status"] = {"phase": "Active"}
        elif rt.key == CRD_KEY:
            obj = crds.prepare_crd(rt, obj, now=self.timestamp())
        return obj

    # Update (PUT), patch, apply

    def replace(
        self,
        rt: ResourceType,
        namespace: str,
        name: str,
        body: Any,
        *,
        manager: str,
        subresource: str = "",
        dry_run: bool = False,
    ) -> dict[str, Any]:
        old = self.get(rt, namespace, name)
        new = self._checked_body(rt, body)
        meta = new.get("metadata")
        if not isinstance(meta, dict):
            meta = new["metadata"] = {}
        if meta.get("name", name) != name:
            raise errors.bad_request(
                f"the name of the object ({meta.get('name')}) does not match the name on the URL ({name})"
            )
        if rt.namespaced and meta.get("namespace", namespace) != namespace:
            raise errors.bad_request(
                "the namespace of the provided object does not match the namespace sent on the request"
            )
        if not meta.get("resourceVersion") and rt.custom:
            raise errors.invalid(
                rt.kind,
                rt.group,
                name,
                [
                    (
                        "metadata.resourceVersion",
                        "FieldValueInvalid",
                        "Invalid value: 0x0: must be specified for an update",
                    )
                ],
            )
        return self._finish_update(rt, old, new, manager=manager, subresource=subresource, dry_run=dry_run)

    def patch(
        self,
        rt: ResourceType,
        namespace: str,
        name: str,
        body: Any,
        *,
        patch_type: str,
        manager: str,
        subresource: str = "",
        force: bool = False,
        dry_run: bool = False,
    ) -> tuple[dict[str, Any], bool]:
        """The patched object and whether it was created (only an apply creates)."""
        if patch_type == "apply":
            return self.apply(
                rt,
                namespace,
                name,
                body,
                manager=manager,
                subresource=subresource,
                force=force,
                dry_run=dry_run,
            )
        if patch_type == "strategic" and rt.custom:
            raise errors.unsupported_media_type("application/strategic-merge-patch+json", _CUSTOM_PATCH_TYPES)
        old = self.get(rt, namespace, name)
        target = self.present(rt, old)
        if patch_type == "json":
            new = json_patch(target, body)
        elif not isinstance(body, dict):
            raise errors.bad_request("error decoding patch: the patch is not a JSON object")
        elif patch_type == "merge":
            new = merge_patch(target, body)
        else:
            new = strategic_merge(target, body, rt.schema)
        if not isinstance(new, dict):
            raise errors.bad_request("the patched object is not a JSON object")
        new = self._checked_body(rt, new)
        return self._finish_update(
            rt, old, new, manager=manager, subresource=subresource, dry_run=dry_run
        ), False

    def apply(
        self,
        rt: ResourceType,
        namespace: str,
        name: str,
        body: Any,
        *,
        manager: str,
        subresource: str = "",
        force: bool = False,
        dry_run: bool = False,
    ) -> tuple[dict[str, Any], bool]:
        if not manager:
            raise errors.invalid(
                "PatchOptions",
                "meta.k8s.io",
                "",
                [("fieldManager", "FieldValueRequired", "Required value: is required for apply patch")],
            )
        if not isinstance(body, dict):
            raise errors.bad_request("error decoding YAML: the applied configuration is not an object")
        for required in ("apiVersion", "kind"):
            if not body.get(required):
                raise errors.invalid(
                    rt.kind,
                    rt.group,
                    name,
                    [(required, "FieldValueRequired", f"Required value: {required} must be set")],
                )
        applied = self._checked_body(rt, body, to_storage=False)
        meta: dict[str, Any] = applied["metadata"] if isinstance(applied.get("metadata"), dict) else {}
        if meta.get("name", name) != name:
            raise errors.bad_request(
                f"the name of the object ({meta.get('name')}) does not match the name on the URL ({name})"
            )
        if "managedFields" in meta:
            raise errors.bad_request("metadata.managedFields must be nil")
        applied = self._applied_part(rt, applied, subresource)
        now = self.timestamp()
        old = self.store.get(rt.key, namespace if rt.namespaced else "", name)
        if old is None:
            if subresource:
                raise errors.not_found(rt.plural, rt.group, name)
            self._require_namespace(rt, namespace, name, creating=True)
            merged, entries = apply_merge(
                live={},
                applied=applied,
                schema=rt.schema,
                entries=[],
                manager=manager,
                subresource="",
                force=force,
                api_version=rt.api_version,
                now=now,
            )
            merged.setdefault("metadata", {})["name"] = name
            return self.create(rt, namespace, merged, manager=manager, dry_run=dry_run, entries=entries), True
        expected = meta.get("resourceVersion")
        if expected and expected != old["metadata"]["resourceVersion"]:
            raise errors.conflict(rt.plural, rt.group, name, errors.STALE)
        merged, entries = apply_merge(
            live=self.present(rt, old),
            applied=applied,
            schema=rt.schema,
            entries=entries_of(old),
            manager=manager,
            subresource=subresource,
            force=force,
            api_version=rt.api_version,
            now=now,
        )
        merged = self._checked_body(rt, merged)
        merged["metadata"] = {**merged["metadata"], "resourceVersion": old["metadata"]["resourceVersion"]}
        result = self._finish_update(
            rt, old, merged, manager=manager, subresource=subresource, dry_run=dry_run, entries=entries
        )
        return result, False

    def _applied_part(self, rt: ResourceType, applied: dict[str, Any], subresource: str) -> dict[str, Any]:
        """The fields an apply may set: status is reset on the main resource, only status counts on
        /status."""
        if subresource == "status":
            meta = applied.get("metadata") or {}
            kept = {k: meta[k] for k in ("name", "namespace") if k in meta}
            part = {"apiVersion": applied["apiVersion"], "kind": applied["kind"], "metadata": kept}
            if "status" in applied:
                part["status"] = applied["status"]
            return part
        if rt.status and not subresource:
            return {k: v for k, v in applied.items() if k != "status"}
        return applied

    def _finish_update(
        self,
        rt: ResourceType,
        old: dict[str, Any],
        new: dict[str, Any],
        *,
        manager: str,
        subresource: str,
        dry_run: bool = False,
        entries: list[Entry] | None = None,
    ) -> dict[str, Any]:
        name = old["metadata"]["name"]
        old_meta = old["metadata"]
        meta = dict(new.get("metadata") or {})
        expected = meta.get("resourceVersion")
        if expected and expected != old_meta["resourceVersion"]:
            raise errors.conflict(rt.plural, rt.group, name, errors.STALE)
        if subresource in ("status", "scale"):
            kept = {**old, "metadata": dict(old_meta)}
            if subresource == "status":
                if "status" in new:
                    kept["status"] = new["status"]
                else:
                    kept.pop("status", None)
            else:
                kept = set_path(
                    kept,
                    rt.scale.spec_replicas if rt.scale else ".spec.replicas",
                    get_path(new, rt.scale.spec_replicas if rt.scale else ".spec.replicas"),
                )
            requested_fields = meta.get("managedFields")
            new, meta = kept, kept["metadata"]
            if requested_fields is not None:
                meta["managedFields"] = requested_fields
        else:
            new = dict(new)
            if rt.status:
                if "status" in old:
                    new["status"] = old["status"]
                else:
                    new.pop("status", None)
        new["metadata"] = meta
        for server_field in (
            "uid",
            "creationTimestamp",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "generation",
            "name",
            "namespace",
        ):
            if server_field in old_meta:
                meta[server_field] = old_meta[server_field]
            else:
                meta.pop(server_field, None)
        meta["resourceVersion"] = old_meta["resourceVersion"]
        if old_meta.get("deletionTimestamp"):
            added = set(meta.get("finalizers") or ()) - set(old_meta.get("finalizers") or ())
            if added:
                raise errors.invalid(
                    rt.kind,
                    rt.group,
                    name,
                    [
                        (
                            "metadata.finalizers",
                            "FieldValueForbidden",
                            "Forbidden: no new finalizers can be added if the object is being deleted, "
                            f"found new finalizers {sorted(added)!r}".replace("'", '"'),
                        )
                    ],
                )
        causes = validation.meta_causes(meta)
        if causes:
            raise errors.invalid(rt.kind, rt.group, name, causes)
        new = self._default(rt, new, old)
        meta = new["metadata"]
        if rt.key == CRD_KEY and subresource == "":
            crds.validate_crd(rt, new)
        if rt.custom:  # defaulting happens before the generation is compared, as on decode in the server
            new = seams.admit_custom_resource(
                rt=rt,
                obj=new,
                old=old,
                subresource=subresource,
                field_validation=seams.field_validation.get(),
            )
            meta = new["metadata"]
        if rt.generation and spec_changed(old, new, ignore_status=rt.status):
            meta["generation"] = int(old_meta.get("generation", 0)) + 1
        if entries is None:
            requested = meta.get("managedFields")
            if requested in (None, []):
                base = entries_of(old)
            elif requested == [{}]:
                base = None
            else:
                base = entries_of(new)
            entries = (
                []
                if base is None
                else track_update(
                    old=old,
                    new=new,
                    schema=rt.schema,
                    entries=base,
                    manager=manager,
                    subresource=subresource,
                    api_version=rt.api_version,
                    now=self.timestamp(),
                )
            )
        if without_volatile(new) == without_volatile(old) and _same_entries(entries, entries_of(old)):
            return self.present(rt, old)
        self._set_managed(new, entries)
        if dry_run:
            return self.present(rt, new)
        deleting = (
            old_meta.get("deletionTimestamp")
            and not meta.get("finalizers")
            and old_meta.get("finalizers")
            and not old_meta.get("deletionGracePeriodSeconds")
        )
        self.store.commit(rt.key, "DELETED" if deleting else "MODIFIED", new, old)
        if rt.key == CRD_KEY:
            if deleting:
                self.forget_crd(new)
            else:
                self.registry.set_crd(new)
        return self.present(rt, new)

    def _set_managed(self, obj: dict[str, Any], entries: list[Entry]) -> None:
        managed = to_managed_fields(entries)
        if managed:
            obj["metadata"]["managedFields"] = managed
        else:
            obj["metadata"].pop("managedFields", None)

    def forget_crd(self, crd: dict[str, Any]) -> None:
        name = crd["metadata"]["name"]
        keys = {rt.key for rt in self.registry.crd_types(name)}
        self.registry.remove_crd(name)
        for key in keys:
            self.store.drop(key)

    # Writes made by the emulator's own controllers

    def controller_update(
        self,
        rt: ResourceType,
        obj: dict[str, Any],
        change: Callable[[dict[str, Any]], dict[str, Any]],
        *,
        manager: str = "kube-controller-manager",
    ) -> dict[str, Any]:
        new = change(clone(obj))
        return self._finish_update(rt, obj, new, manager=manager, subresource="")


def _same_entries(a: list[Entry], b: list[Entry]) -> bool:
    return sorted((e.ident, sorted(e.paths)) for e in a if e.paths) == sorted(
        (e.ident, sorted(e.paths)) for e in b if e.paths
    )
