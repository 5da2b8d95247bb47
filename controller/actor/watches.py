"""What the controller watches and caches, and which actors a change concerns.

One ``Watch`` per resource: its selectors (so the API server sends only what concerns actors), its trim (only
the fields the controller reads, from the ``*_FIELDS`` lists of the status engine plus what server-side
apply's skip needs), its indexes, and its key mapper from a change to the keys of the actors to reconcile.

Decisions:
- Events are watched as ``involvedObject.kind=Pod,type=Warning`` and kept 10 minutes: every event the status
  reads (scheduler, mount and pull failures) is a Warning about a Pod, and older ones are ignored (contract
  §4). An Event concerns the actor of the pod it is about.
- HPAs are matched to actors by KEDA's naming (``keda-hpa-<name>``), since KEDA owns them, not the actor.
- The ScaledObject CRD is watched by name so that installing KEDA reconciles the actors at once.
- An actor's change that only adds this controller's finalizer (the echo of its own patch, while the
  reconcile that sent it goes on) concerns nobody; any other change concerns the actor. An actor created,
  deleted or moved to another transport also concerns the actors of the same name in other namespaces: the
  RabbitMQ queue they would share may change hands (:mod:`controller.actor.claims`).
- Secrets are not watched: the controller reads only the few its transports reference, on demand
  (:mod:`controller.actor.secrets`), rather than caching every Secret of the cluster.
"""

from __future__ import annotations

from collections.abc import Iterable

from controller.actor import resources as r
from controller.actor.claims import transport_of
from controller.actor.observed import ACTOR_FIELDS, HPA_FIELDS, SCALED_OBJECT_FIELDS, WORKLOAD_FIELDS
from controller.actor.pods import EVENT_FIELDS, POD_FIELDS, RECENT
from controller.actor.scaling import hpa_name
from controller.api import constants as c
from controller.kube.apply import apply_paths
from controller.kube.cache import Cache, Change, Retention, label_keys, own_key, owner_keys
from controller.kube.objects import equal_except, involved_object_index, trimmer
from controller.kube.resources import Obj, make_key
from controller.manager import Watch

DIGEST_ANNOTATION = "asya.sh/applied-digest"
BY_NAMESPACE = "namespace"
BY_NAME = "name"
BY_ACTOR = "actor"
BY_INVOLVED = "involved"

_HPA_PREFIX = hpa_name("")
_MANAGED = f"{c.LABEL_MANAGED_BY}={c.FIELD_MANAGER}"
_OWNED: tuple[str | tuple[str, ...], ...] = (*apply_paths(DIGEST_ANNOTATION), "metadata.ownerReferences")
# Who owns spec.replicas (the hand-over to the autoscaler, contract §2.1).
_REPLICAS_OWNERS: tuple[str | tuple[str, ...], ...] = (
    "metadata.managedFields.manager",
    "metadata.managedFields.operation",
    "metadata.managedFields.subresource",
    ("metadata", "managedFields", "fieldsV1", "f:spec", "f:replicas"),
)


def _namespace(obj: Obj) -> Iterable[str]:
    namespace = (obj.get("metadata") or {}).get("namespace")
    return (namespace,) if isinstance(namespace, str) else ()


def _actor_of_pod(obj: Obj) -> Iterable[str]:
    meta = obj.get("metadata") or {}
    actor = (meta.get("labels") or {}).get(c.LABEL_ASYA)
    return (make_key(meta.get("namespace"), actor),) if isinstance(actor, str) and actor else ()


def _finalizers(obj: Obj) -> list[object]:
    meta = obj.get("metadata") or {}
    finalizers = meta.get("finalizers") if isinstance(meta, dict) else None
    return finalizers if isinstance(finalizers, list) else []


def _name(obj: Obj) -> Iterable[str]:
    name = (obj.get("metadata") or {}).get("name")
    return (name,) if isinstance(name, str) else ()


def _actor_keys(change: Change, cache: Cache) -> Iterable[str]:
    old, new = change.old, change.new
    if (
        old is not None
        and new is not None
        and c.FINALIZER in _finalizers(new)
        and c.FINALIZER not in _finalizers(old)
        and equal_except(old, new, ("metadata", "finalizers"))
    ):
        return ()
    keys = set(own_key(change, cache))
    if old is None or new is None or transport_of(old) != transport_of(new):
        # An actor of the same name elsewhere may gain or lose the queue they would share
        # (controller.actor.claims).
        name = (change.obj.get("metadata") or {}).get("name")
        if isinstance(name, str):
            keys |= cache.store(r.ASYNC_ACTORS).keys_by_index(BY_NAME, name)
    return sorted(keys)


def _event_keys(change: Change, cache: Cache) -> Iterable[str]:
    ref = change.obj.get("involvedObject") or {}
    if not isinstance(ref, dict) or ref.get("kind") != "Pod" or not ref.get("name"):
        return ()
    pod = cache.get(r.PODS, make_key(ref.get("namespace"), str(ref["name"])))
    return _actor_of_pod(pod) if pod is not None else ()


def _hpa_keys(change: Change, cache: Cache) -> Iterable[str]:
    meta = change.obj.get("metadata") or {}
    name = meta.get("name")
    if not isinstance(name, str) or not name.startswith(_HPA_PREFIX):
        return ()
    key = make_key(meta.get("namespace"), name.removeprefix(_HPA_PREFIX))
    return (key,) if cache.get(r.ASYNC_ACTORS, key) is not None else ()


def _actors_in_namespace(change: Change, cache: Cache) -> Iterable[str]:
    namespace = (change.obj.get("metadata") or {}).get("namespace")
    if not isinstance(namespace, str):
        return ()
    return cache.store(r.ASYNC_ACTORS).keys_by_index(BY_NAMESPACE, namespace)


def _all_actors(_change: Change, cache: Cache) -> Iterable[str]:
    return list(cache.store(r.ASYNC_ACTORS))


def watches() -> list[Watch]:
    """Every resource the controller caches, for ``Manager(watches=...)``."""
    owned = owner_keys(c.KIND)
    return [
        Watch(
            resource=r.ASYNC_ACTORS,
            trim=trimmer(*ACTOR_FIELDS, "metadata.finalizers", "metadata.creationTimestamp"),
            indexes={BY_NAMESPACE: _namespace, BY_NAME: _name},
            keys=_actor_keys,
        ),
        Watch(
            resource=r.PODS,
            trim=trimmer(*POD_FIELDS, ("metadata", "labels", c.LABEL_ASYA)),
            indexes={BY_ACTOR: _actor_of_pod},
            keys=label_keys(c.LABEL_ASYA),
            label_selector=c.LABEL_ASYA,
        ),
        Watch(
            resource=r.EVENTS,
            trim=trimmer(*EVENT_FIELDS, "involvedObject.namespace"),
            indexes={BY_INVOLVED: involved_object_index},
            keys=_event_keys,
            retention=Retention(max_age=RECENT.total_seconds()),
            field_selector="involvedObject.kind=Pod,type=Warning",
        ),
        *(
            Watch(
                resource=resource,
                trim=trimmer(*WORKLOAD_FIELDS, *_OWNED, *_REPLICAS_OWNERS),
                keys=owned,
                label_selector=_MANAGED,
            )
            for resource in r.WORKLOADS.values()
        ),
        *(
            Watch(resource=resource, trim=trimmer(*_OWNED), keys=owned, label_selector=_MANAGED)
            for resource in (r.SERVICES, r.SERVICE_ACCOUNTS)
        ),
        Watch(
            resource=r.CONFIGMAPS,
            trim=trimmer(*apply_paths(DIGEST_ANNOTATION)),
            keys=_actors_in_namespace,
            label_selector="app.kubernetes.io/name=asya-runtime",
        ),
        Watch(
            resource=r.SCALED_OBJECTS,
            trim=trimmer(*SCALED_OBJECT_FIELDS, *_OWNED),
            keys=owned,
            label_selector=_MANAGED,
            optional=True,
        ),
        Watch(
            resource=r.TRIGGER_AUTHENTICATIONS,
            trim=trimmer(*_OWNED),
            keys=owned,
            label_selector=_MANAGED,
            optional=True,
        ),
        Watch(resource=r.HPAS, trim=trimmer(*HPA_FIELDS), keys=_hpa_keys),
        Watch(
            resource=r.CRDS,
            # The conditions, so that the CRD becoming Established (served) is a change too.
            trim=trimmer("status.conditions"),
            keys=_all_actors,
            field_selector=f"metadata.name={r.SCALED_OBJECT_CRD}",
        ),
    ]
