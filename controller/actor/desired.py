"""Everything the controller wants to exist for one actor, as complete apply bodies. Pure.

``desired_objects`` assembles the workload (with its headless Service for a StatefulSet), the runtime
ConfigMap of the namespace, and, from the actor's transport, the IRSA ServiceAccount and, while scaling is
enabled, the ScaledObject and its TriggerAuthentication. Objects that belong to the actor carry its
controller ownerReference, so that they are garbage collected with it even if the controller is gone.

``replicas_plan`` decides ``spec.replicas`` (contract §2.1): the spec's value while scaling is disabled; while
it is enabled the autoscaler owns the field and the apply omits it. Dropping a field this controller owned
would reset it to the default of 1 if no other manager shares it, so when the live workload shows our
manager still owning ``spec.replicas``, the plan first hands the live value to a separate manager
(``HANDOVER_MANAGER``), which KEDA's and the HPA's ``/scale`` writes then take over.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from controller.actor.scaling import scaled_object
from controller.actor.workload import (
    Actor,
    headless_service,
    pod_template,
    runtime_configmap,
    workload_manifest,
)
from controller.api import constants as c
from controller.api.models import AsyncActorSpec
from controller.kube.resources import Obj
from controller.transports import ActorRef, Transport

HANDOVER_MANAGER = f"{c.FIELD_MANAGER}-replicas-handover"


@dataclass(frozen=True, kw_only=True, slots=True)
class Desired:
    workload: Obj
    service: Obj | None
    configmap: Obj
    service_account: Obj | None
    scaled_object: Obj | None
    trigger_authentication: Obj | None


@dataclass(frozen=True, kw_only=True, slots=True)
class ReplicasPlan:
    replicas: int | None
    """``spec.replicas`` of the apply; ``None`` omits it."""
    handover: int | None = None
    """Give this value to ``HANDOVER_MANAGER`` before the apply that omits the field."""


def _owned(actor: Actor, body: Obj | None) -> Obj | None:
    if body is None:
        return None
    metadata = dict(body.get("metadata") or {})
    metadata["ownerReferences"] = [actor.owner_reference()]
    return {**body, "metadata": metadata}


def desired_objects(
    *,
    actor: Actor,
    spec: AsyncActorSpec,
    transport: Transport,
    replicas: int | None,
    sidecar_image: str | None,
    gateway_url: str | None,
    runtime_script: str,
) -> Desired:
    ref = ActorRef.from_spec(actor.name, actor.namespace, spec)
    service_account = _owned(actor, transport.service_account(ref))
    template = pod_template(
        actor=actor,
        spec=spec,
        transport_env=transport.sidecar_env(ref),
        sidecar_image=sidecar_image,
        gateway_url=gateway_url,
        service_account=service_account["metadata"]["name"] if service_account is not None else None,
    )
    kind = spec.workload.kind
    scaling = spec.scaling.enabled
    return Desired(
        workload=workload_manifest(actor=actor, kind=kind, template=template, replicas=replicas),
        service=headless_service(actor=actor) if kind == "StatefulSet" else None,
        configmap=runtime_configmap(namespace=actor.namespace, script=runtime_script),
        service_account=service_account,
        scaled_object=scaled_object(
            actor=actor,
            spec=spec,
            trigger=transport.keda_trigger(ref, queue_length=spec.scaling.queue_length),
        )
        if scaling
        else None,
        trigger_authentication=_owned(actor, transport.trigger_authentication(ref)) if scaling else None,
    )


def _owns_replicas(entry: Mapping[str, Any]) -> bool:
    fields = entry.get("fieldsV1")
    spec = fields.get("f:spec") if isinstance(fields, Mapping) else None
    return (
        entry.get("manager") == c.FIELD_MANAGER
        and entry.get("operation") == "Apply"
        and not entry.get("subresource")
        and isinstance(spec, Mapping)
        and "f:replicas" in spec
    )


def replicas_plan(spec: AsyncActorSpec, live: Obj | None) -> ReplicasPlan:
    """``spec.replicas`` for the workload apply, given the live workload (``None`` when it does not exist)."""
    if not spec.scaling.enabled:
        return ReplicasPlan(replicas=spec.workload.replicas)
    if live is None:
        return ReplicasPlan(replicas=None)
    metadata = live.get("metadata") or {}
    entries = metadata.get("managedFields") or []
    current = (live.get("spec") or {}).get("replicas")
    if isinstance(current, int) and any(isinstance(e, Mapping) and _owns_replicas(e) for e in entries):
        return ReplicasPlan(replicas=None, handover=current)
    return ReplicasPlan(replicas=None)
