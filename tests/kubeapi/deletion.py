"""DELETE and deletecollection: preconditions, finalizers, graceful pod deletion, propagation policies.

The rule, per object (k8s.io/apiserver generic store ``Delete`` and ``BeforeDelete``):

1. Preconditions (``preconditions.uid`` / ``preconditions.resourceVersion``) that do not hold → 409 Conflict
   ``Precondition failed: UID in precondition: A, UID in object meta: B``.
2. Propagation: ``propagationPolicy`` (or the deprecated ``orphanDependents``) ``Foreground`` adds the
   ``foregroundDeletion`` finalizer, ``Orphan`` adds ``orphan``; ``Background`` (the default for every type
   served here) adds nothing. Dependents are handled by the garbage collector (``controllers``).
3. Grace period — **pods only**: ``gracePeriodSeconds`` from the request, else
   ``spec.terminationGracePeriodSeconds``, else 30; it is 0 when the pod is not scheduled (no
   ``spec.nodeName``) or has finished (``status.phase`` Succeeded/Failed). Every other type deletes with 0.
4. With grace 0 and no finalizers the object is removed at once: DELETED event, and the response is the
   object for types with ``ReturnDeletedObject`` (pods, services, service accounts, namespaces, CRDs, custom
   resources) or a ``Status`` ``Success`` otherwise.
5. Otherwise the object stays: ``deletionTimestamp`` = now + grace, ``deletionGracePeriodSeconds`` = grace,
   ``generation`` + 1 where tracked, a MODIFIED event, and the response (200) is the object.
   - A pod with grace > 0 is **never removed by the emulator**: whoever plays the kubelet stops its containers
     and then sends DELETE with ``gracePeriodSeconds=0`` (preferably with a uid precondition); that removes it
     if it has no finalizers, otherwise it waits for them with ``deletionGracePeriodSeconds: 0``.
   - Removing the last finalizer (update or patch) deletes an object whose ``deletionGracePeriodSeconds``
     is 0.
6. DELETE of an object already being deleted may only shorten a pod's grace period; otherwise it returns the
   object unchanged.

Namespaces are deleted through their own path: they go ``Terminating`` and the namespace controller
(``controllers``) empties and then removes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tests.kubeapi import errors
from tests.kubeapi.cluster import CRD_KEY, NS_KEY
from tests.kubeapi.listing import sort_key
from tests.kubeapi.meta import clone
from tests.kubeapi.resources import ResourceType

if TYPE_CHECKING:
    from tests.kubeapi.cluster import Cluster

FOREGROUND = "foregroundDeletion"
ORPHAN = "orphan"


@dataclass(frozen=True, slots=True)
class DeleteOptions:
    grace_period_seconds: int | None = None
    propagation_policy: str | None = None
    orphan_dependents: bool | None = None
    uid: str | None = None
    resource_version: str | None = None
    dry_run: bool = False

    @classmethod
    def parse(cls, body: Any, query: dict[str, str]) -> DeleteOptions:
        body = body if isinstance(body, dict) else {}
        pre = body.get("preconditions") or {}

        def pick(name: str) -> Any:
            return body[name] if body.get(name) is not None else query.get(name)

        grace = pick("gracePeriodSeconds")
        orphan = pick("orphanDependents")
        policy = pick("propagationPolicy")
        if policy not in (None, "Orphan", "Background", "Foreground"):
            raise errors.invalid(
                "DeleteOptions",
                "meta.k8s.io",
                "",
                [
                    (
                        "propagationPolicy",
                        "FieldValueNotSupported",
                        f'Unsupported value: "{policy}": supported values: "Foreground", '
                        '"Background", "Orphan", "nil"',
                    )
                ],
            )
        dry = pick("dryRun")
        try:
            grace_seconds = None if grace is None else int(grace)
        except (TypeError, ValueError):
            raise errors.bad_request(f'gracePeriodSeconds: Invalid value: "{grace}"') from None
        return cls(
            grace_period_seconds=grace_seconds,
            propagation_policy=policy,
            orphan_dependents=None if orphan is None else str(orphan).lower() == "true",
            uid=pre.get("uid"),
            resource_version=pre.get("resourceVersion"),
            dry_run=bool(dry) and dry != [] and dry != "",
        )

    def policy(self) -> str:
        if self.propagation_policy:
            return self.propagation_policy
        if self.orphan_dependents is not None:
            return ORPHAN.capitalize() if self.orphan_dependents else "Background"
        return "Background"


def _precondition_failed(rt: ResourceType, name: str, what: str, want: str, have: str) -> errors.StatusError:
    return errors.conflict(
        rt.plural,
        rt.group,
        name,
        f"Precondition failed: {what} in precondition: {want}, {what} in object meta: {have}",
    )


def pod_grace(pod: dict[str, Any], requested: int | None) -> int:
    spec = pod.get("spec") or {}
    if not spec.get("nodeName") or (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
        return 0
    if requested is not None:
        return max(requested, 0)
    value = spec.get("terminationGracePeriodSeconds")
    return 30 if value is None else int(value)


def delete(
    cluster: Cluster, rt: ResourceType, namespace: str, name: str, options: DeleteOptions
) -> dict[str, Any]:
    """Delete one object; the response body (the object or a Status)."""
    old = cluster.get(rt, namespace, name)
    meta = old["metadata"]
    if options.uid and options.uid != meta["uid"]:
        raise _precondition_failed(rt, name, "UID", options.uid, meta["uid"])
    if options.resource_version and options.resource_version != meta["resourceVersion"]:
        raise _precondition_failed(
            rt, name, "ResourceVersion", options.resource_version, meta["resourceVersion"]
        )
    grace = pod_grace(old, options.grace_period_seconds) if rt.graceful else 0
    if meta.get("deletionTimestamp"):
        current = meta.get("deletionGracePeriodSeconds") or 0
        if not (rt.graceful and grace < current):
            return cluster.present(rt, old)
    finalizers = list(meta.get("finalizers") or [])
    if rt.key == NS_KEY:
        return _terminate_namespace(cluster, rt, old, options)
    policy = options.policy()
    if policy == "Foreground" and FOREGROUND not in finalizers:
        finalizers.append(FOREGROUND)
    if policy == "Orphan" and ORPHAN not in finalizers:
        finalizers.append(ORPHAN)
    if grace == 0 and not finalizers:
        final = clone(old)
        if not options.dry_run:
            cluster.store.commit(rt.key, "DELETED", final, old)  # the final state gets the delete's version
            if rt.key == CRD_KEY:
                cluster.forget_crd(final)
        if rt.returns_deleted:
            return cluster.present(rt, final)
        return errors.success(rt.plural, rt.group, name, meta["uid"])
    new = clone(old)
    new_meta = new["metadata"]
    new_meta["deletionTimestamp"] = cluster.timestamp(grace)
    new_meta["deletionGracePeriodSeconds"] = grace
    new_meta["finalizers"] = finalizers
    if rt.generation and not meta.get("deletionTimestamp"):
        new_meta["generation"] = int(meta.get("generation", 0)) + 1
    if options.dry_run:
        return cluster.present(rt, new)
    if grace == 0 and not finalizers:
        cluster.store.commit(rt.key, "DELETED", new, old)
    else:
        cluster.store.commit(rt.key, "MODIFIED", new, old)
    return cluster.present(rt, new)


def _terminate_namespace(
    cluster: Cluster, rt: ResourceType, old: dict[str, Any], options: DeleteOptions
) -> dict[str, Any]:
    new = clone(old)
    new["metadata"]["deletionTimestamp"] = cluster.timestamp()
    new["metadata"]["deletionGracePeriodSeconds"] = 0
    new["status"] = {**(new.get("status") or {}), "phase": "Terminating"}
    if not options.dry_run:
        cluster.store.commit(rt.key, "MODIFIED", new, old)
    return cluster.present(rt, new)


def delete_collection(
    cluster: Cluster,
    rt: ResourceType,
    namespace: str | None,
    *,
    labels: str | None,
    fields: str | None,
    options: DeleteOptions,
) -> dict[str, Any]:
    """Delete every matching object; the response is the list of what was deleted (or is being deleted)."""
    listed = cluster.list_objects(rt, namespace, labels=labels, fields=fields)
    items = []
    for obj in sorted(listed.objects, key=sort_key):
        meta = obj["metadata"]
        try:
            result = delete(cluster, rt, meta.get("namespace", ""), meta["name"], options)
        except errors.StatusError as exc:
            if exc.code == 404:
                continue
            raise
        items.append(result if result.get("kind") != "Status" else cluster.present(rt, obj))
    return {
        "kind": rt.list_kind,
        "apiVersion": rt.api_version,
        "metadata": {"resourceVersion": str(cluster.store.rv)},
        "items": items,
    }
