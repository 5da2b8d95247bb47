"""The AsyncActor reconciler: the one place that orchestrates a reconcile and its deletion path.

``reconcile("ns/name")`` is level-triggered and idempotent. It reads the actor and everything about it from
the cache (never from the API), builds the complete desired objects and applies each with server-side apply
(the applier skips what is already in place), checks the queue only when a check is due
(:mod:`controller.actor.queues`), computes the whole status with the pure status engine and writes it only
when it changed, and asks to run again exactly when the status must move by itself (the Degraded mark, the
Last-Scale text) or the next queue check is due.

Lifecycle (contract §5): on first sight the finalizer is added with a patch of ``metadata.finalizers`` only
(optimistic on the resourceVersion). An actor being deleted shows Terminating; its ScaledObject,
TriggerAuthentication, ServiceAccount, workloads and Service are deleted and waited for; its queue gets one
bounded delete attempt (a Warning Event when it fails, never a hang); then the finalizer is removed. An actor
whose spec or transport is invalid deletes cleanly.

Errors a user can fix (invalid spec, transport refused, workload or ScaledObject not applicable) end in the
status, its conditions and a Warning Event; they are not exceptions. Anything else raises and is retried by
the manager with backoff.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from controller.actor import resources as r
from controller.actor.claims import owned_elsewhere_message, queue_owner
from controller.actor.desired import HANDOVER_MANAGER, Desired, desired_objects, replicas_plan
from controller.actor.metrics import ActorMetrics
from controller.actor.observed import (
    ActorState,
    Observed,
    ScalingOutcome,
    TransportOutcome,
    WorkloadState,
    hpa_desired_replicas,
)
from controller.actor.pods import PodState, classify_pods
from controller.actor.queues import QueueChecks
from controller.actor.scaling import hpa_name
from controller.actor.status import WORKLOAD_FAILURES, compute_status
from controller.actor.validated import Validations
from controller.actor.watches import BY_ACTOR, BY_INVOLVED, BY_NAME
from controller.actor.workload import Actor
from controller.api import constants as c
from controller.api.models import AsyncActorSpec
from controller.kube.apply import Applier, Prepared
from controller.kube.cache import Cache
from controller.kube.client import APPLY_PATCH, MERGE_PATCH, ApiError, KubeClient
from controller.kube.events import EventRecorder
from controller.kube.resources import Obj, Resource, make_key, split_key
from controller.logs import get_logger
from controller.manager import Result
from controller.transports import ActorRef, Reason, Transport, TransportError, TransportRegistry

log = get_logger(__name__)

# The statuses that say something is wrong: entering one posts a Warning Event.
ERROR_STATUSES: Final = frozenset({*WORKLOAD_FAILURES, "TransportError", "ScalingError"})
QUEUE_DELETE_TIMEOUT: Final = 10.0
DEPENDENT_POLL: Final = 2.0


@dataclass(frozen=True, kw_only=True)
class ActorSettings:
    runtime_script: str
    sidecar_image: str | None = None
    gateway_url: str | None = None
    queue_check_interval: float = 300.0


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _owned_by(obj: Obj, uid: str) -> bool:
    refs = (obj.get("metadata") or {}).get("ownerReferences") or []
    return any(isinstance(ref, dict) and ref.get("uid") == uid for ref in refs)


class AsyncActorReconciler:
    def __init__(
        self,
        *,
        cache: Cache,
        applier: Applier,
        events: EventRecorder,
        client: KubeClient,
        transports: TransportRegistry,
        settings: ActorSettings,
        metrics: ActorMetrics | None = None,
        clock: Callable[[], datetime] = _utcnow,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.cache = cache
        self.applier = applier
        self.events = events
        self.client = client
        self.transports = transports
        self.settings = settings
        self.metrics = metrics
        self.clock = clock
        self.monotonic = monotonic
        self.queue_checks = QueueChecks(interval=settings.queue_check_interval)
        self._queue_deleted: set[str] = set()
        self._configmaps: dict[str, Prepared] = {}
        self.validations = Validations()

    async def reconcile(self, key: str) -> Result | None:
        obj = self.cache.get(r.ASYNC_ACTORS, key)
        if obj is None:
            self._forget(key)
            return None
        state = ActorState.from_object(obj)
        if state.deletion_timestamp is not None:
            return await self._finalize(key, obj, state)
        if c.FINALIZER not in ((obj.get("metadata") or {}).get("finalizers") or []):
            await self._set_finalizers(obj, add=True)
        return await self._converge(key, obj, state)

    # -- the apply path --

    async def _converge(self, key: str, obj: Obj, state: ActorState) -> Result | None:
        actor = Actor(name=state.name, namespace=state.namespace, uid=_uid(obj))
        errors = self.validations.errors(
            key, uid=actor.uid, generation=_generation(obj), name=state.name, spec=obj.get("spec")
        )
        spec = state.spec
        transport: Transport | None = None
        # An invalid actor gets no queue: its transport is only resolved, so that an unknown name still shows.
        outcome = TransportOutcome.unknown(
            reason="InvalidSpec", message="the spec is not valid; see WorkloadReady"
        )
        if spec is not None:
            try:
                transport = self.transports.get(spec.transport)
            except TransportError as exc:
                outcome = TransportOutcome.failed(reason=exc.reason, message=exc.message)
            else:
                owner = self._queue_owner(actor, transport)
                if owner is not None:
                    message = owned_elsewhere_message(
                        queue=ActorRef.from_spec(actor.name, actor.namespace, spec).queue_name,
                        transport=transport.name,
                        owner=owner,
                        name=actor.name,
                    )
                    outcome = TransportOutcome.failed(
                        reason=Reason.QUEUE_OWNED_BY_OTHER_NAMESPACE, message=message
                    )
                elif not errors:
                    outcome = await self._queue(key, obj, actor, spec, transport)
        if outcome.reason == Reason.QUEUE_OWNED_BY_OTHER_NAMESPACE:
            # Another namespace's queue (RabbitMQ: claims.py; SQS: its tag): no workload, whose pods would
            # take that namespace's messages.
            transport = None
        scaling: ScalingOutcome | None = None
        workload_error: str | None = None
        if spec is not None and transport is not None and not errors:
            workload_error, scaling = await self._apply(obj, actor, spec, transport)
        elif spec is not None and spec.scaling.enabled:
            scaling = self._scaling_from_cache(actor)
        now = self.clock()
        hpa = self.cache.get(r.HPAS, make_key(actor.namespace, hpa_name(actor.name)))
        observed = Observed(
            actor=state,
            transport=outcome,
            now=now,
            workload=self._workload(actor, spec),
            pods=self._pods(actor, now=now),
            hpa_desired_replicas=hpa_desired_replicas(hpa),
            scaling=scaling,
            validation_errors=errors,
            workload_error=workload_error,
        )
        return await self._write_status(key, obj, state, observed)

    def _queue_owner(self, actor: Actor, transport: Transport) -> str | None:
        """The namespace of another actor that owns the RabbitMQ queue this one would share, else None."""
        if transport.type != "rabbitmq":
            return None  # an SQS queue carries its namespace in a tag: the transport itself refuses
        others = self.cache.store(r.ASYNC_ACTORS).by_index(BY_NAME, actor.name)
        owner = queue_owner(others, transport=transport.name)
        return owner if owner is not None and owner != actor.namespace else None

    async def _queue(
        self, key: str, obj: Obj, actor: Actor, spec: AsyncActorSpec, transport: Transport
    ) -> TransportOutcome:
        fingerprint = (transport.name, actor.uid, spec.timeout.processing)
        now = self.monotonic()
        last = self.queue_checks.last(key, fingerprint, now=now)
        if last is not None:
            return last
        ref = ActorRef.from_spec(actor.name, actor.namespace, spec)
        retry_after: float | None = None
        try:
            ensured = await transport.ensure_queue(ref)
        except TransportError as exc:
            outcome = TransportOutcome.failed(reason=exc.reason, message=exc.message)
            retry_after = exc.retry_after
        else:
            if ensured.created:
                self.events.normal(obj, "QueueCreated", f"created queue {ensured.name} ({ensured.address})")
            queued = processing = None
            try:
                figures = ensured.metrics or await transport.queue_metrics(ref)
                queued, processing = figures.queued, figures.processing
            except TransportError as exc:
                log.info("queue figures unavailable", reason=str(exc.reason), message=exc.message)
            outcome = TransportOutcome.ready(queued=queued, processing=processing)
        self.queue_checks.record(key, fingerprint, outcome, now=self.monotonic(), retry_after=retry_after)
        if self.metrics is not None:
            self.metrics.transport_up.labels(transport=transport.name).set(
                1 if outcome.state == "ready" else 0
            )
            self.metrics.queue_figures(
                actor.namespace, actor.name, queued=outcome.queued, processing=outcome.processing
            )
        return outcome

    async def _apply(
        self, obj: Obj, actor: Actor, spec: AsyncActorSpec, transport: Transport
    ) -> tuple[str | None, ScalingOutcome | None]:
        """Apply every desired object; the workload's apply error and the scaling outcome."""
        workload_resource = r.WORKLOADS[spec.workload.kind]
        key = make_key(actor.namespace, actor.name)
        live = self.cache.get(workload_resource, key)
        plan = replicas_plan(spec, live)
        desired = desired_objects(
            actor=actor,
            spec=spec,
            transport=transport,
            replicas=plan.replicas,
            sidecar_image=self.settings.sidecar_image,
            gateway_url=self.settings.gateway_url,
            runtime_script=self.settings.runtime_script,
        )
        workload_error: str | None = None
        try:
            await self.applier.apply(
                r.CONFIGMAPS, self._runtime_configmap(actor.namespace, desired.configmap)
            )
            if desired.service_account is not None:
                await self.applier.apply(r.SERVICE_ACCOUNTS, desired.service_account)
            if plan.handover is not None:
                await self._hand_over_replicas(workload_resource, desired.workload, plan.handover)
            written = await self.applier.apply(workload_resource, desired.workload)
            # An autoscaler's /scale write moves the generation and so brings a re-apply; it changes
            # nothing unless someone edited the spec, and only a change is worth an Event.
            if written is not None and (live is None or _generation(written) != _generation(live)):
                verb = "Updated" if live is not None else "Created"
                self.events.normal(obj, verb, f"{verb.lower()} {spec.workload.kind} {actor.name}")
            if desired.service is not None:
                await self.applier.apply(r.SERVICES, desired.service)
            await self._remove_other_kind(actor, spec)
        except ApiError as exc:
            if exc.status >= 500 or exc.status == 429:
                raise
            workload_error = f"the {spec.workload.kind} could not be applied: {exc.status} {exc.message}"
        scaling = await self._apply_scaling(actor, spec, desired)
        return workload_error, scaling

    def _runtime_configmap(self, namespace: str, body: Obj) -> Prepared:
        """The namespace's runtime ConfigMap, digested once: it holds the whole runtime script, and it is
        the same for every reconcile of every actor of the namespace."""
        prepared = self._configmaps.get(namespace)
        if prepared is None:
            prepared = self._configmaps[namespace] = self.applier.prepare(body)
        return prepared

    async def _hand_over_replicas(self, resource: Resource, workload: Obj, replicas: int) -> None:
        body = {
            "apiVersion": workload["apiVersion"],
            "kind": workload["kind"],
            "metadata": {
                "name": workload["metadata"]["name"],
                "namespace": workload["metadata"]["namespace"],
            },
            "spec": {"replicas": replicas},
        }
        meta = workload["metadata"]
        await self.client.request(
            "PATCH",
            resource.path(namespace=meta["namespace"], name=meta["name"]),
            query={"fieldManager": HANDOVER_MANAGER, "force": True},
            body=body,
            content_type=APPLY_PATCH,
        )

    async def _remove_other_kind(self, actor: Actor, spec: AsyncActorSpec) -> None:
        """After a change of ``workload.kind``, delete the old workload once the new one exists."""
        key = make_key(actor.namespace, actor.name)
        if self.cache.get(r.WORKLOADS[spec.workload.kind], key) is None:
            return
        for kind, resource in r.WORKLOADS.items():
            old = self.cache.get(resource, key)
            if kind != spec.workload.kind and old is not None and _owned_by(old, actor.uid):
                await self.applier.delete(resource, name=actor.name, namespace=actor.namespace, uid=_uid(old))
                if kind == "StatefulSet":
                    await self._delete_owned(r.SERVICES, actor, actor.name)

    async def _apply_scaling(
        self, actor: Actor, spec: AsyncActorSpec, desired: Desired
    ) -> ScalingOutcome | None:
        if not spec.scaling.enabled:
            await self._delete_owned(r.SCALED_OBJECTS, actor, actor.name)
            await self._delete_owned(r.TRIGGER_AUTHENTICATIONS, actor, f"{actor.name}-trigger-auth")
            return None
        if not self._keda_installed():
            return ScalingOutcome.keda_not_installed()
        assert desired.scaled_object is not None
        try:
            if desired.trigger_authentication is not None:
                await self.applier.apply(r.TRIGGER_AUTHENTICATIONS, desired.trigger_authentication)
            written = await self.applier.apply(r.SCALED_OBJECTS, desired.scaled_object)
        except ApiError as exc:
            if exc.status >= 500 or exc.status == 429:
                raise
            exists = self.cache.get(r.SCALED_OBJECTS, make_key(actor.namespace, actor.name)) is not None
            return ScalingOutcome.apply_failed(
                f"the ScaledObject could not be applied: {exc.status} {exc.message}", exists=exists
            )
        return self._scaling_from_cache(actor) or (
            ScalingOutcome.from_scaled_object(written) if written is not None else None
        )

    def _scaling_from_cache(self, actor: Actor) -> ScalingOutcome | None:
        if not self._keda_installed():
            return ScalingOutcome.keda_not_installed()
        cached = self.cache.get(r.SCALED_OBJECTS, make_key(actor.namespace, actor.name))
        return ScalingOutcome.from_scaled_object(cached) if cached is not None else None

    def _keda_installed(self) -> bool:
        return self.cache.get(r.CRDS, r.SCALED_OBJECT_CRD) is not None

    # -- what the status is computed from --

    def _workload(self, actor: Actor, spec: AsyncActorSpec | None) -> WorkloadState | None:
        key = make_key(actor.namespace, actor.name)
        kinds = [spec.workload.kind] if spec is not None else list(r.WORKLOADS)
        for kind in kinds:
            obj = self.cache.get(r.WORKLOADS[kind], key)
            if obj is not None:
                return WorkloadState.from_object(obj)
        return None

    def _pods(self, actor: Actor, *, now: datetime) -> tuple[PodState, ...]:
        pods = self.cache.store(r.PODS).by_index(BY_ACTOR, make_key(actor.namespace, actor.name))
        events_store = self.cache.store(r.EVENTS)
        events = [
            event
            for pod in pods
            for event in events_store.by_index(
                BY_INVOLVED, f"Pod/{actor.namespace}/{(pod.get('metadata') or {}).get('name')}"
            )
        ]
        return classify_pods(pods, events, now=now)

    async def _write_status(self, key: str, obj: Obj, state: ActorState, observed: Observed) -> Result | None:
        result = compute_status(observed)
        body = {
            "apiVersion": c.API_VERSION,
            "kind": c.KIND,
            "metadata": {"name": state.name, "namespace": state.namespace},
            "status": result.status.to_body(),
        }
        await self.applier.apply_status(r.ASYNC_ACTORS, body)
        new, previous = result.status.status, state.previous.status
        if new != previous and new in ERROR_STATUSES:
            ready = next((cond for cond in result.status.conditions if cond.type == "Ready"), None)
            self.events.warning(obj, new, ready.message if ready is not None else new)
        delays = []
        if result.recompute_at is not None:
            delays.append((result.recompute_at - observed.now).total_seconds())
        next_check = self.queue_checks.next_at(key)
        if next_check is not None and state.deletion_timestamp is None:
            delays.append(next_check - self.monotonic())
        if not delays:
            return None
        return Result(requeue_after=max(min(delays), 0.0))

    # -- the deletion path --

    async def _finalize(self, key: str, obj: Obj, state: ActorState) -> Result | None:
        finalizers = (obj.get("metadata") or {}).get("finalizers") or []
        if c.FINALIZER not in finalizers:
            return None
        actor = Actor(name=state.name, namespace=state.namespace, uid=_uid(obj))
        now = self.clock()
        terminating = Observed(
            actor=state,
            transport=TransportOutcome.unknown(reason="Terminating", message="the actor is being deleted"),
            now=now,
            workload=self._workload(actor, state.spec),
            pods=self._pods(actor, now=now),
        )
        await self._write_status(key, obj, state, terminating)
        remaining = 0
        for resource, name in (
            (r.SCALED_OBJECTS, actor.name),
            (r.TRIGGER_AUTHENTICATIONS, f"{actor.name}-trigger-auth"),
            (r.DEPLOYMENTS, actor.name),
            (r.STATEFULSETS, actor.name),
            (r.SERVICES, actor.name),
            (r.SERVICE_ACCOUNTS, f"asya-{actor.name}"),
        ):
            remaining += await self._delete_owned(resource, actor, name)
        if remaining:
            # The watch reports each deletion; the poll only guards against a missed one.
            return Result(requeue_after=DEPENDENT_POLL)
        if actor.uid not in self._queue_deleted:
            self._queue_deleted.add(actor.uid)
            await self._delete_queue(obj, actor, state.spec)
        try:
            await self._set_finalizers(obj, add=False)
        except ApiError as exc:
            if not exc.conflict:
                raise
            # The Terminating status written above moved the version this reconcile read: the next
            # one, with the version the cache has by then, removes the finalizer.
            return Result(requeue=True)
        self._forget(key)
        return None

    async def _delete_owned(self, resource: Resource, actor: Actor, name: str) -> int:
        """Delete the object if it exists and belongs to the actor; 1 while it still exists, else 0."""
        obj = self.cache.get(resource, make_key(actor.namespace, name))
        if obj is None or not _owned_by(obj, actor.uid):
            return 0
        await self.applier.delete(resource, name=name, namespace=actor.namespace, uid=_uid(obj))
        return 1

    async def _delete_queue(self, obj: Obj, actor: Actor, spec: AsyncActorSpec | None) -> None:
        if spec is None:
            return
        try:
            transport = self.transports.get(spec.transport)
            if not transport.deletes_queues or self._queue_owner(actor, transport) is not None:
                return
            ref = ActorRef.from_spec(actor.name, actor.namespace, spec)
            async with asyncio.timeout(QUEUE_DELETE_TIMEOUT):
                deleted = await transport.delete_queue(ref)
        except TransportError as exc:
            self.events.warning(obj, "QueueDeletionFailed", f"the queue was not deleted: {exc.message}")
        except TimeoutError:
            self.events.warning(
                obj,
                "QueueDeletionFailed",
                f"the queue was not deleted: no answer from the broker within {QUEUE_DELETE_TIMEOUT:.0f} s",
            )
        else:
            if deleted:
                self.events.normal(obj, "QueueDeleted", f"deleted queue {ref.queue_name}")

    async def _set_finalizers(self, obj: Obj, *, add: bool) -> None:
        """Add or remove our finalizer: a patch of ``metadata.finalizers`` only, optimistic on the version."""
        meta = obj.get("metadata") or {}
        current = [f for f in (meta.get("finalizers") or []) if f != c.FINALIZER]
        finalizers = [*current, c.FINALIZER] if add else current
        patch = {"metadata": {"finalizers": finalizers, "resourceVersion": meta.get("resourceVersion")}}
        try:
            await self.client.request(
                "PATCH",
                r.ASYNC_ACTORS.path(namespace=meta.get("namespace"), name=meta.get("name")),
                body=patch,
                content_type=MERGE_PATCH,
            )
        except ApiError as exc:
            if exc.not_found and not add:
                return
            raise

    def _forget(self, key: str) -> None:
        self.queue_checks.forget(key)
        self.validations.forget(key)
        if self.metrics is not None:
            namespace, name = split_key(key)
            self.metrics.forget(namespace or "", name)


def _generation(obj: Obj) -> object:
    return (obj.get("metadata") or {}).get("generation")


def _uid(obj: Obj) -> str:
    return str((obj.get("metadata") or {}).get("uid") or "")
