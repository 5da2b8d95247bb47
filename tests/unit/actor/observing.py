"""Observations the status engine gets, built from realistic API objects by the real builders."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from controller.actor.observed import (
    ActorState,
    Observed,
    ScalingOutcome,
    TransportOutcome,
    WorkloadState,
    hpa_desired_replicas,
)
from controller.actor.pods import classify_pods
from controller.actor.status import StatusResult
from controller.api.models import Condition
from tests.unit.actor.objects import (
    ACTOR,
    NOW,
    Obj,
    actor_object,
    deployment,
    hpa,
    ready_pod,
    scaled_object,
)


def name(index: int, prefix: str = "") -> str:
    return f"{ACTOR}-7d9c8b6f5-{prefix}{index:03d}"


def ready_pods(count: int, prefix: str = "r") -> list[Obj]:
    return [ready_pod(name(i, prefix)) for i in range(count)]


def observe(
    *,
    actor: Obj | None = None,
    workload: Obj | None = None,
    pods: Iterable[Obj] = (),
    events: Iterable[Obj] = (),
    hpa_obj: Obj | None = None,
    scaled: Obj | None = None,
    scaling: ScalingOutcome | None = None,
    transport: TransportOutcome | None = None,
    validation: Iterable[str] = (),
    workload_error: str | None = None,
    now: datetime = NOW,
) -> Observed:
    """What the reconciler would hand the status engine, built from API objects by the real builders."""
    if scaling is None and scaled is not None:
        scaling = ScalingOutcome.from_scaled_object(scaled)
    return Observed(
        actor=ActorState.from_object(actor or actor_object()),
        workload=WorkloadState.from_object(workload) if workload is not None else None,
        pods=classify_pods(pods, events, now=now),
        hpa_desired_replicas=hpa_desired_replicas(hpa_obj),
        scaling=scaling,
        transport=transport or TransportOutcome.ready(queued=4, processing=1),
        validation_errors=tuple(validation),
        workload_error=workload_error,
        now=now,
    )


def manual(replicas: int, *, pods: Iterable[Obj] = (), events: Iterable[Obj] = (), **kwargs: Any) -> Observed:
    """A manual actor with ``replicas`` whose Deployment is observed."""
    actor = kwargs.pop("actor", None) or actor_object(replicas=replicas)
    workload = deployment(replicas=replicas)
    return observe(actor=actor, workload=workload, pods=pods, events=events, **kwargs)


def keda(
    desired: int, *, pods: Iterable[Obj] = (), workload_replicas: int | None = None, **kwargs: Any
) -> Observed:
    """A KEDA actor whose HPA wants ``desired`` and whose ScaledObject is Ready unless told otherwise."""
    replicas = desired if workload_replicas is None else workload_replicas
    kwargs.setdefault("scaled", scaled_object())
    return observe(
        actor=kwargs.pop("actor", None) or actor_object(scaling=True),
        workload=deployment(replicas=replicas),
        hpa_obj=hpa(desired=desired),
        pods=pods,
        **kwargs,
    )


def later(result: StatusResult, observed: Observed, *, via_api: bool = False) -> Observed:
    """``observed`` with ``result`` as the previous status (read back through the API if ``via_api``)."""
    previous = result.status
    if via_api:
        obj = actor_object(status=result.status.to_body())
        previous = ActorState.from_object(obj).previous
    actor = dataclasses.replace(observed.actor, previous=previous)
    return dataclasses.replace(observed, actor=actor)


def condition(result: StatusResult, kind: str) -> Condition:
    matches = [c for c in result.status.conditions if c.type == kind]
    assert len(matches) == 1, result.status.conditions
    return matches[0]


def conditions(result: StatusResult) -> dict[str, tuple[str, str]]:
    return {c.type: (c.status, c.reason) for c in result.status.conditions}
