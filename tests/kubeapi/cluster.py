"""The emulated API server's object semantics, independent of HTTP: get, list, create, update, patch, apply.

Every write goes through :meth:`Cluster._finish_update` or :meth:`Cluster._finish_create`, which own the
rules that hold for all verbs:

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
- LIST: sorted by namespace/name (etcd's key order); ``limit`` pages with continue tokens that serve the rest
  as of the first page's resourceVersion (from the history; 410 ``Expired`` once it is compacted away) and
  ``remainingItemCount`` without selectors; ``resourceVersionMatch=Exact`` serves a past version. Unlike
  the watch cache of a real server, ``resourceVersion=0`` does not make it ignore ``limit``.

ObjectMeta is validated as on a real server (``validation``: names, labels, annotation size).

Built-in objects get the defaults of ``defaults`` on every write (pods also ``status.phase: Pending``,
namespaces ``spec.finalizers: [kubernetes]`` and ``status.phase: Active``).

Simplifications: built-in objects are not otherwise validated or defaulted; ``fieldValidation`` is
accepted and ignored for built-in types; dry-run runs every check and stores nothing.
"""

from __future__ import annotations

import base64
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.kubeapi import defaults, errors, seams, validation
from tests.kubeapi.apply import apply as apply_merge
from tests.kubeapi.builtins import builtin_types
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
from tests.kubeapi.resources import CRD_FINALIZER, Registry, ResourceType
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
_EXPIRED_CONTINUE = (
    "The provided continue parameter is too old to display a consistent list result. You can start "
    "a new list "
    "without the continue parameter, or use the continue token in this response to retrieve the remainder of "
    "the results. Continuing with the provided token results in an inconsistent list - objects that were "
    "created, modified, or deleted between the time the first chunk was returned and now may show "
    "up in the list."
)


@dataclass(slots=True)
class ListResult:
    objects: list[dict[str, Any]]
    resource_version: int
    continue_token: str | None
    remaining: int | None


def _list_options_invalid(field: str, reason: str, message: str) -> errors.StatusError:
    return errors.invalid("ListOptions", "meta.k8s.io", "", [(field, reason, message)])


def sort_key(obj: dict[str, Any]) -> str:
    meta = obj["metadata"]
    namespace = meta.get("namespace")
    return f"{namespace}/{meta['name']}" if namespace else str(meta["name"])


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
        match = self.matcher(rt, labels=labels, fields=fields)
        rv_text = resource_version or ""
        if resource_version_match:
            if resource_version_match not in ("NotOlderThan", "Exact"):
                raise _list_options_invalid(
                    "resourceVersionMatch",
                    "FieldValueNotSupported",
                    f'Unsupported value: "{resource_version_match}": supported values: "Exact", '
                    '"NotOlderThan", ""',
                )
            if continue_token:
                raise _list_options_invalid(
                    "resourceVersionMatch",
                    "FieldValueForbidden",
                    "Forbidden: resourceVersionMatch is forbidden when continue is provided",
                )
            if not rv_text:
                raise _list_options_invalid(
                    "resourceVersionMatch",
                    "FieldValueForbidden",
                    "Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided",
                )
            if resource_version_match == "Exact" and rv_text == "0":
                raise _list_options_invalid(
                    "resourceVersionMatch",
                    "FieldValueForbidden",
                    'Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0"',
                )
        start = ""
        if continue_token:
            if rv_text not in ("", "0"):
                raise errors.bad_request("specifying resource version is not allowed when using continue")
            snapshot_rv, start = _decode_continue(continue_token)
            state = self.store.state_at(rt.key, snapshot_rv)
            if state is None:
                raise errors.expired(_EXPIRED_CONTINUE)
            candidates = list(state.values())
        else:
            snapshot_rv = self.store.rv
            rv = _parse_rv(rv_text)
            if rv > self.store.rv:
                raise errors.StatusError(
                    504,
                    "Timeout",
                    f"Too large resource version: {rv}, current: {self.store.rv}",
                    details={
                        "causes": [
                            {"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}
                        ],
                        "retryAfterSeconds": 1,
                    },
                )
            if resource_version_match == "Exact":
                state = self.store.state_at(rt.key, rv)
                if state is None:
                    raise errors.expired("The resourceVersion for the provided list is too old.")
                candidates, snapshot_rv = list(state.values()), rv
            else:
                candidates = self.store.objects(rt.key)
        if rt.namespaced and namespace:
            candidates = [o for o in candidates if o["metadata"].get("namespace") == namespace]
        ordered = sorted(((sort_key(o), o) for o in candidates), key=lambda pair: pair[0])
        if start:
            ordered = [pair for pair in ordered if pair[0] > start]
        selected = [pair for pair in ordered if match is None or match(pair[1])]
        token = remaining = None
        if limit and limit > 0 and len(selected) > limit:
            token = _encode_continue(snapshot_rv, selected[limit - 1][0])
            if match is None:
                remaining = len(selected) - limit
            selected = selected[:limit]
        return ListResult([o for _, o in selected], snapshot_rv, token, remaining)

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
        kind = rt.key
        if kind == ("apps", "deployments"):
            return defaults.deployment(obj)
        if kind == ("apps", "statefulsets"):
            return defaults.stateful_set(obj)
        if kind == ("apps", "replicasets"):
            return defaults.replica_set(obj)
        if kind == ("", "pods"):
            return defaults.pod(obj)
        if kind == ("", "services"):
            return defaults.service(obj, cluster_ip=self._cluster_ip, old=old)
        if kind == NS_KEY:
            return defaults.namespace(obj)
        return obj

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
            obj = self._prepare_crd(rt, obj)
        return obj

    def _prepare_crd(self, rt: ResourceType, obj: dict[str, Any]) -> dict[str, Any]:
        _validate_crd(rt, obj)
        spec = obj.get("spec") or {}
        names = dict(spec.get("names") or {})
        names.setdefault("singular", str(names.get("kind", "")).lower())
        names.setdefault("listKind", f"{names.get('kind', '')}List")
        versions = spec.get("versions") or []
        storage = [v["name"] for v in versions if v.get("storage")]
        now = self.timestamp()
        meta = obj["metadata"]
        finalizers = list(meta.get("finalizers") or [])
        if CRD_FINALIZER not in finalizers:
            finalizers.append(CRD_FINALIZER)
        meta["finalizers"] = finalizers
        obj["status"] = {
            "acceptedNames": names,
            "conditions": [
                {
                    "type": "NamesAccepted",
                    "status": "True",
                    "lastTransitionTime": now,
                    "reason": "NoConflicts",
                    "message": "no conflicts found",
                },
                {
                    "type": "Established",
                    "status": "True",
                    "lastTransitionTime": now,
                    "reason": "InitialNamesAccepted",
                    "message": "the initial names have been accepted",
                },
            ],
            "storedVersions": storage,
        }
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
            _validate_crd(rt, new)
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

    def scale_of(self, rt: ResourceType, obj: dict[str, Any]) -> dict[str, Any]:
        """The autoscaling/v1 Scale of a scalable object."""
        assert rt.scale is not None
        meta = obj["metadata"]
        if rt.scale.selector:
            selector = get_path(obj, rt.scale.selector) or ""
        else:
            selector = _selector_string(get_path(obj, ".spec.selector") or {})
        status: dict[str, Any] = {"replicas": get_path(obj, rt.scale.status_replicas) or 0}
        if selector:
            status["selector"] = selector
        return {
            "kind": "Scale",
            "apiVersion": "autoscaling/v1",
            "metadata": {
                k: meta[k]
                for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
                if k in meta
            },
            "spec": {"replicas": get_path(obj, rt.scale.spec_replicas) or 0},
            "status": status,
        }

    def update_scale(
        self,
        rt: ResourceType,
        namespace: str,
        name: str,
        body: Any,
        *,
        patch_type: str | None,
        manager: str,
        force: bool = False,
        dry_run: bool = False,
    ) -> dict[str, Any]:
        """PUT or PATCH of /scale: the new ``spec.replicas`` lands on the parent, owned under ``scale``."""
        assert rt.scale is not None
        old = self.get(rt, namespace, name)
        current = self.scale_of(rt, old)
        if patch_type == "apply":
            replicas = get_path(body, ".spec.replicas") if isinstance(body, dict) else None
            fragment: dict[str, Any] = {
                "apiVersion": rt.api_version,
                "kind": rt.kind,
                "metadata": {"name": name},
            }
            if replicas is not None:
                fragment = set_path(fragment, rt.scale.spec_replicas, replicas)
            result, _ = self.apply(
                rt,
                namespace,
                name,
                fragment,
                manager=manager,
                subresource="scale",
                force=force,
                dry_run=dry_run,
            )
            return self.scale_of(rt, result)
        if patch_type is None:
            scale = body
        elif patch_type == "json":
            scale = json_patch(current, body)
        elif patch_type == "merge":
            scale = merge_patch(current, body)
        else:
            scale = strategic_merge(current, body, {})
        if not isinstance(scale, dict):
            raise errors.bad_request("the body of the request is not a Scale")
        expected = get_path(scale, ".metadata.resourceVersion")
        if expected and expected != old["metadata"]["resourceVersion"]:
            raise errors.conflict(rt.plural, rt.group, name, errors.STALE)
        replicas = get_path(scale, ".spec.replicas")
        new = set_path(old, rt.scale.spec_replicas, replicas if replicas is not None else 0)
        result = self._finish_update(rt, old, new, manager=manager, subresource="scale", dry_run=dry_run)
        return self.scale_of(rt, result)


def _same_entries(a: list[Entry], b: list[Entry]) -> bool:
    return sorted((e.ident, sorted(e.paths)) for e in a if e.paths) == sorted(
        (e.ident, sorted(e.paths)) for e in b if e.paths
    )


def _selector_string(selector: dict[str, Any]) -> str:
    parts = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for expr in selector.get("matchExpressions") or ():
        op, key, values = expr.get("operator"), expr.get("key"), ",".join(sorted(expr.get("values") or ()))
        if op == "In":
            parts.append(f"{key} in ({values})")
        elif op == "NotIn":
            parts.append(f"{key} notin ({values})")
        elif op == "Exists":
            parts.append(str(key))
        elif op == "DoesNotExist":
            parts.append(f"!{key}")
    return ",".join(parts)


def _parse_rv(text: str) -> int:
    if text in ("", "0"):
        return 0
    try:
        value = int(text)
    except ValueError:
        raise errors.bad_request(f'resourceVersion: Invalid value: "{text}": strconv.ParseUint') from None
    return value


def _encode_continue(rv: int, start: str) -> str:
    raw = json.dumps({"v": "meta.k8s.io/v1", "rv": rv, "start": start + "\x00"}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_continue(token: str) -> tuple[int, str]:
    try:
        padded = token + "=" * (-len(token) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded))
        return int(data["rv"]), str(data["start"]).rstrip("\x00")
    except (ValueError, KeyError, TypeError):
        raise errors.bad_request(
            "continue key is not valid: incorrect encoded start resourceVersion"
        ) from None


def _validate_crd(rt: ResourceType, crd: dict[str, Any]) -> None:
    """The checks of a CRD without which it could not be served (a real server checks far more)."""
    spec: dict[str, Any] = crd["spec"] if isinstance(crd.get("spec"), dict) else {}
    names: dict[str, Any] = spec["names"] if isinstance(spec.get("names"), dict) else {}
    name = crd["metadata"]["name"]
    causes: list[tuple[str, str, str]] = []
    for field, value in (
        ("spec.group", spec.get("group")),
        ("spec.names.plural", names.get("plural")),
        ("spec.names.kind", names.get("kind")),
    ):
        if not value or not isinstance(value, str):
            causes.append((field, "FieldValueRequired", "Required value"))
    if spec.get("scope") not in ("Namespaced", "Cluster"):
        causes.append(
            (
                "spec.scope",
                "FieldValueNotSupported",
                f'Unsupported value: "{spec.get("scope")}": supported values: "Cluster", "Namespaced"',
            )
        )
    versions = spec.get("versions")
    if not isinstance(versions, list) or not versions:
        causes.append(("spec.versions", "FieldValueInvalid", "Invalid value: must have at least one version"))
    elif not all(isinstance(v, dict) and isinstance(v.get("name"), str) and v["name"] for v in versions):
        causes.append(("spec.versions[0].name", "FieldValueRequired", "Required value"))
    elif sum(1 for v in versions if v.get("storage")) != 1:
        causes.append(
            (
                "spec.versions",
                "FieldValueInvalid",
                "Invalid value: must have exactly one version marked as storage version",
            )
        )
    if not causes and name != f"{names['plural']}.{spec['group']}":
        causes.append(
            (
                "metadata.name",
                "FieldValueInvalid",
                f'Invalid value: "{name}": must be spec.names.plural+"."+spec.group',
            )
        )
    if causes:
        raise errors.invalid(rt.kind, rt.group, name, causes)
