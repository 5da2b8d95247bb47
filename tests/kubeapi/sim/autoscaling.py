"""Replica arithmetic of KEDA's scale loop and of the HorizontalPodAutoscaler, as pure functions.

KEDA (`pkg/scaling/executor/scale_scaledobjects.go` `RequestScale`) owns 0 ↔ 1: when a trigger is active and
the target has 0 replicas it scales to `max(minReplicaCount, 1)`; when no trigger is active, `minReplicaCount`
is 0 and the last activity is older than `cooldownPeriod` (or there never was any, after
`initialCooldownPeriod`), it scales to 0 (or `idleReplicaCount`); below `minReplicaCount` it raises to it.

The HPA (`pkg/controller/podautoscaler/horizontal.go`, `replica_calculator.go`) owns 1 ↔ N: for an external
metric with an `AverageValue` target the proposal is `ceil(metric / target)`, unless the ratio
`metric / (target * current)` is within the 10 % tolerance; then `stabilizeRecommendationWithBehaviors`
(scale-up uses the lowest, scale-down the highest recommendation inside its window) and
`convertDesiredReplicasWithBehaviorRate` (the policies limit the change relative to the replica count at the
start of each policy's period; `selectPolicy: Max` allows the biggest change) and finally min/max. Without a
`behavior`, the HPA's defaults apply (up: no window, 4 pods or 100 % per 15 s; down: 300 s window, 100 % per
15 s). A target at 0 replicas disables the HPA (`ScalingActive=False`, `ScalingDisabled`).

All windows and periods are multiplied by `scale` so tests can run minutes of autoscaling in a second.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

TOLERANCE = 0.1


def keda_replicas(
    *,
    current: int,
    active: bool,
    minimum: int,
    idle: int | None,
    cooldown: float,
    last_active: float | None,
    now: float,
) -> int | None:
    """The replica count KEDA writes through `/scale` on this poll, or None to leave the target alone."""
    if active:
        if current == 0 or (idle is not None and current < minimum):
            return max(minimum, 1)
        return None
    if (idle is not None and current > idle) or (current > 0 and minimum == 0):
        if last_active is None or last_active + cooldown < now:
            return idle if idle is not None else 0
        return None
    if idle is None and current < minimum:
        return minimum
    return None


@dataclass(frozen=True, slots=True)
class Policy:
    type: str  # Pods or Percent
    value: int
    period: float


@dataclass(frozen=True, slots=True)
class Rules:
    window: float
    select: str
    policies: tuple[Policy, ...]


DEFAULT_UP = Rules(0, "Max", (Policy("Pods", 4, 15), Policy("Percent", 100, 15)))
DEFAULT_DOWN = Rules(300, "Max", (Policy("Percent", 100, 15),))


def rules(spec: Mapping[str, Any] | None, default: Rules) -> Rules:
    """HPA scaling rules from an autoscaling/v2 `behavior.scaleUp`/`scaleDown`, with the HPA's defaults."""
    if not spec:
        return default
    policies = tuple(
        Policy(p["type"], int(p["value"]), float(p["periodSeconds"])) for p in spec.get("policies") or []
    )
    return Rules(
        window=float(spec.get("stabilizationWindowSeconds", default.window)),
        select=spec.get("selectPolicy", "Max"),
        policies=policies or default.policies,
    )


@dataclass(slots=True)
class HpaMemory:
    """What an HPA remembers between syncs: past recommendations and past scale events."""

    recommendations: list[tuple[float, int]] = field(default_factory=list)
    up_events: list[tuple[float, int]] = field(default_factory=list)
    down_events: list[tuple[float, int]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Proposal:
    replicas: int
    limited: str  # "", TooManyReplicas, TooFewReplicas, ScaleUpLimit, ScaleDownLimit
    stabilized: bool


def metric_proposal(metric: float, target: float, current: int) -> int:
    """The raw proposal for an external metric with an AverageValue target."""
    if current > 0 and abs(1.0 - metric / (target * current)) <= TOLERANCE:
        return current
    return math.ceil(metric / target)


def _changed_in(events: list[tuple[float, int]], period: float, now: float) -> int:
    return sum(change for moment, change in events if moment > now - period)


def _limit(rules_: Rules, current: int, memory: HpaMemory, now: float, scale: float, *, up: bool) -> int:
    results = []
    for policy in rules_.policies:
        period = policy.period * scale
        added = _changed_in(memory.up_events, period, now)
        start = current - added + _changed_in(memory.down_events, period, now)
        change = policy.value if policy.type == "Pods" else start * policy.value / 100
        results.append(math.ceil(start + change) if up else int(start - change))
    if rules_.select == "Disabled":
        return current
    wants_most_change = rules_.select != "Min"
    if up:
        return max(results) if wants_most_change else min(results)
    return min(results) if wants_most_change else max(results)


def hpa_replicas(
    *,
    proposal: int,
    current: int,
    minimum: int,
    maximum: int,
    up: Rules,
    down: Rules,
    memory: HpaMemory,
    now: float,
    scale: float = 1.0,
) -> Proposal:
    """Stabilizes and rate-limits a proposal, then bounds it; records the recommendation."""
    up_rec = down_rec = proposal
    for moment, recommended in memory.recommendations:
        if moment > now - up.window * scale:
            up_rec = min(up_rec, recommended)
        if moment > now - down.window * scale:
            down_rec = max(down_rec, recommended)
    memory.recommendations = [
        (m, r) for m, r in memory.recommendations if m > now - max(up.window, down.window) * scale
    ]
    memory.recommendations.append((now, proposal))
    desired = min(max(current, up_rec), down_rec)
    stabilized = desired != proposal
    limited = ""
    if desired > current:
        limit = max(_limit(up, current, memory, now, scale, up=True), current)
        if desired > min(limit, maximum):
            limited = "ScaleUpLimit" if limit < maximum else "TooManyReplicas"
            desired = min(limit, maximum)
    elif desired < current:
        limit = min(_limit(down, current, memory, now, scale, up=False), current)
        if desired < max(limit, minimum):
            limited = "ScaleDownLimit" if limit > minimum else "TooFewReplicas"
            desired = max(limit, minimum)
    if desired > maximum:
        desired, limited = maximum, "TooManyReplicas"
    if desired < minimum:
        desired, limited = minimum, "TooFewReplicas"
    return Proposal(desired, limited, stabilized)


def record_scale(memory: HpaMemory, old: int, new: int, now: float, horizon: float) -> None:
    """Remembers a scale event for the rate limits; forgets events older than `horizon` seconds."""
    if new > old:
        memory.up_events.append((now, new - old))
    elif new < old:
        memory.down_events.append((now, old - new))
    memory.up_events = [e for e in memory.up_events if e[0] > now - horizon]
    memory.down_events = [e for e in memory.down_events if e[0] > now - horizon]
