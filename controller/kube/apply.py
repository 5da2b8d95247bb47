"""Server-side apply and delete, skipping writes that would change nothing.

Contract:
- ``apply(resource, body)`` sends ``body`` (the complete intent: apiVersion, kind, metadata.name, and every
  field this controller owns) as ``application/apply-patch+yaml`` with one ``fieldManager`` and
  ``force=true``; fields applied before and now omitted are removed by the API server. ``apply_status``
  does the same on the ``/status`` subresource with a body reduced to identity + ``status``, so it can never
  touch ``spec``. A body carrying ``managedFields`` or a ``resourceVersion`` is refused (ValueError).
- Every applied object carries the annotation ``digest_annotation``: a digest of the rest of the body.
  ``prepare(body)`` computes it once for a body the caller applies again and again unchanged.
- An apply is *skipped* (``None`` returned, ``controller_applies_total{result="skipped"}``) when the cache
  shows the object in place with the same digest, and its ``metadata.generation`` has not moved since this
  process last applied or first saw it (someone editing the spec bumps the generation and gets it put back).
  After a restart the digest on the object is enough: a converged system writes nothing. A status apply is
  skipped when the cached ``status`` already equals the desired one, or when this applier last wrote that
  very status and the cache shows the object as it was just before or just after that write (the watch has
  not delivered the write yet). The caller's trim must therefore keep ``APPLY_PATHS(digest_annotation)``
  (and ``status`` for status applies). Without a cache entry for the resource nothing is skipped.
- ``echoes(change)`` tells a cache change that is only the echo of this applier's last status write (the
  object changed in ``status`` alone, to exactly what was written, besides the write's bookkeeping:
  ``resourceVersion`` and ``managedFields``): it brings nothing a reconcile did not know, so the manager
  does not enqueue it.
- ``delete`` sends a DELETE with ``propagationPolicy`` and optional ``uid``/``resourceVersion``
  preconditions; ``True`` when deleted, ``False`` when it was already gone (404). It is skipped (``False``)
  when the resource's cache store is synced, lacks the object, and this process has not applied it (the
  cache may not show a fresh object yet). Precondition failures raise ``ApiError`` (409).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Literal

from controller.kube.cache import Cache, Change
from controller.kube.client import APPLY_PATCH, ApiError, KubeClient
from controller.kube.objects import equal_except
from controller.kube.resources import Obj, Resource, make_key
from controller.metrics import Metrics

DEFAULT_DIGEST_ANNOTATION = "controller.apply/digest"


def apply_paths(digest_annotation: str = DEFAULT_DIGEST_ANNOTATION) -> tuple[tuple[str, ...], ...]:
    """The paths a cache trim must keep for skipping to work (for ``cache.trimmer``)."""
    return (("metadata", "generation"), ("metadata", "annotations", digest_annotation))


def digest(body: Obj) -> str:
    """A stable digest of ``body`` (key order does not matter)."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def with_digest(body: Obj, annotation: str) -> tuple[Obj, str]:
    """``body`` with ``annotation`` set to the digest of the body without it; and that digest."""
    meta = dict(body.get("metadata") or {})
    annotations = {k: v for k, v in (meta.get("annotations") or {}).items() if k != annotation}
    bare = {
        **body,
        "metadata": {**meta, "annotations": annotations} if annotations else _drop(meta, "annotations"),
    }
    value = digest(bare)
    return {**body, "metadata": {**meta, "annotations": {**annotations, annotation: value}}}, value


def status_body(body: Obj) -> Obj:
    """The identity and ``status`` of ``body``: all a ``/status`` apply may say."""
    meta = body.get("metadata") or {}
    identity = {k: meta[k] for k in ("name", "namespace") if k in meta}
    return {
        "apiVersion": body["apiVersion"],
        "kind": body["kind"],
        "metadata": identity,
        "status": body["status"],
    }


def _drop(mapping: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in mapping.items() if k != key}


def check_body(body: Obj) -> tuple[str | None, str]:
    """``(namespace, name)`` of an apply body; ValueError when it is incomplete or optimistic."""
    meta = body.get("metadata")
    if (
        not body.get("apiVersion")
        or not body.get("kind")
        or not isinstance(meta, dict)
        or not meta.get("name")
    ):
        raise ValueError("an apply body needs apiVersion, kind and metadata.name")
    if "managedFields" in meta or "resourceVersion" in meta:
        raise ValueError("an apply body must not carry managedFields or resourceVersion")
    return meta.get("namespace"), str(meta["name"])


@dataclass(frozen=True, slots=True)
class Prepared:
    """An apply body with its digest annotation (``Applier.prepare``): an object applied again and again
    with the same content (a namespace's runtime ConfigMap, say) costs its digest once."""

    body: Obj
    digest: str


@dataclass(frozen=True, slots=True)
class _StatusWrite:
    """The last status this applier wrote for an object, with the object's versions around the write."""

    status: Obj
    before: str | None
    after: str | None


class Applier:
    """Applies and deletes for one field manager; see the module docstring."""

    def __init__(
        self,
        *,
        client: KubeClient,
        field_manager: str,
        cache: Cache | None = None,
        digest_annotation: str = DEFAULT_DIGEST_ANNOTATION,
        metrics: Metrics | None = None,
    ) -> None:
        self.client = client
        self.field_manager = field_manager
        self.cache = cache
        self.digest_annotation = digest_annotation
        self.metrics = metrics
        self._generations: dict[tuple[Resource, str], int | None] = {}
        self._status_written: dict[tuple[Resource, str], _StatusWrite] = {}

    def prepare(self, body: Obj) -> Prepared:
        """``body`` with its digest, to apply as often as needed without computing the digest again."""
        check_body(body)
        full, value = with_digest(body, self.digest_annotation)
        return Prepared(body=full, digest=value)

    async def apply(self, resource: Resource, body: Obj | Prepared) -> Obj | None:
        """Apply ``body``; the object the server returned, or ``None`` when skipped as unchanged."""
        prepared = body if isinstance(body, Prepared) else self.prepare(body)
        full, value = prepared.body, prepared.digest
        namespace, name = check_body(full)
        key = make_key(namespace, name)
        cached = self._cached(resource, key)
        if cached is not None:
            meta = cached.get("metadata") or {}
            on_server = (meta.get("annotations") or {}).get(self.digest_annotation)
            generation = meta.get("generation")
            seen = self._generations.setdefault((resource, key), generation)
            if on_server == value and seen == generation:
                self._count("applies", resource, "skipped")
                return None
        result = await self._patch(resource, namespace, name, full, subresource=None)
        self._generations[(resource, key)] = (result.get("metadata") or {}).get("generation")
        self._count("applies", resource, "done")
        return result

    async def apply_status(self, resource: Resource, body: Obj) -> Obj | None:
        """Apply ``body['status']`` to the ``/status`` subresource; ``None`` when skipped as unchanged."""
        namespace, name = check_body(body)
        if not isinstance(body.get("status"), dict):
            raise ValueError("a status apply body needs a status mapping")
        key = make_key(namespace, name)
        reduced = status_body(body)
        status = reduced["status"]
        cached = self._cached(resource, key)
        before: str | None = None
        if cached is not None:
            before = (cached.get("metadata") or {}).get("resourceVersion")
            written = self._status_written.get((resource, key))
            if cached.get("status") == status or (
                written is not None and written.status == status and before in (written.before, written.after)
            ):
                self._count("applies", resource, "skipped")
                return None
        result = await self._patch(resource, namespace, name, reduced, subresource="status")
        after = (result.get("metadata") or {}).get("resourceVersion")
        self._status_written[(resource, key)] = _StatusWrite(status=status, before=before, after=after)
        self._count("applies", resource, "done")
        return result

    def echoes(self, change: Change) -> bool:
        """Whether ``change`` only shows this applier's last status write arriving (module docstring)."""
        if change.type != "MODIFIED" or change.old is None or change.new is None:
            return False
        written = self._status_written.get((change.resource, change.key))
        return (
            written is not None
            and change.new.get("status") == written.status
            and equal_except(change.old, change.new, ("status",), ("metadata", "managedFields"))
        )

    async def delete(
        self,
        resource: Resource,
        *,
        name: str,
        namespace: str | None = None,
        uid: str | None = None,
        resource_version: str | None = None,
        propagation: Literal["Foreground", "Background", "Orphan"] = "Background",
    ) -> bool:
        """Delete the object; ``False`` when it was already gone or known to be (see the module docstring)."""
        key = make_key(namespace, name)
        store = self.cache.stores.get(resource) if self.cache is not None else None
        if (
            store is not None
            and store.synced
            and key not in store
            and (resource, key) not in self._generations
        ):
            self._count("deletes", resource, "skipped")
            return False
        preconditions = {k: v for k, v in (("uid", uid), ("resourceVersion", resource_version)) if v}
        body: Obj = {"apiVersion": "v1", "kind": "DeleteOptions", "propagationPolicy": propagation}
        if preconditions:
            body["preconditions"] = preconditions
        try:
            await self.client.request("DELETE", resource.path(namespace=namespace, name=name), body=body)
        except ApiError as exc:
            if not exc.not_found:
                raise
            self._forget(resource, key)
            self._count("deletes", resource, "absent")
            return False
        self._forget(resource, key)
        self._count("deletes", resource, "done")
        return True

    async def _patch(
        self, resource: Resource, namespace: str | None, name: str, body: Obj, *, subresource: str | None
    ) -> Obj:
        return await self.client.request(
            "PATCH",
            resource.path(namespace=namespace, name=name, subresource=subresource),
            query={"fieldManager": self.field_manager, "force": True},
            body=body,
            content_type=APPLY_PATCH,
        )

    def _forget(self, resource: Resource, key: str) -> None:
        self._generations.pop((resource, key), None)
        self._status_written.pop((resource, key), None)

    def _cached(self, resource: Resource, key: str) -> Obj | None:
        return self.cache.get(resource, key) if self.cache is not None else None

    def _count(self, kind: Literal["applies", "deletes"], resource: Resource, result: str) -> None:
        if self.metrics is not None:
            counter = self.metrics.applies if kind == "applies" else self.metrics.deletes
            counter.labels(controller=self.metrics.controller, resource=resource.name, result=result).inc()
