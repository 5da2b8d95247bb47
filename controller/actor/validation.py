"""The controller's own check of an AsyncActor's spec (pure).

An old CRD, or an API server that does not evaluate CEL, may let through what the CRD would refuse, so the
controller checks the admission rules of ``controller.api.rules`` again, with the same messages. It also
checks what only it can: that the spec reads as an ``AsyncActorSpec`` at all (types, bounds, required
fields; each problem as one short message naming the field path), and that no label of the pod template
conflicts with a selector label the controller sets (the selector is immutable, so a conflict would leave
a workload that never selects its own pods).

``validate_actor`` returns the problems as messages for a person; an empty list means the spec is valid.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from controller.api import rules
from controller.api.constants import (
    LABEL_APP,
    LABEL_ASYA,
    LABEL_WORKLOAD,
    MAX_NAME_LENGTH,
    RESERVED_VOLUMES,
    RUNTIME_CONTAINER,
    SIDECAR_CONTAINER,
)
from controller.api.models import AsyncActorSpec


def validate_actor(*, name: str, spec: Mapping[str, Any] | None) -> list[str]:
    """Every problem of the actor ``name`` with this ``spec``, as messages; ``[]`` when it is valid."""
    problems = [rules.NAME_LENGTH.message] if len(name) > MAX_NAME_LENGTH else []
    if not isinstance(spec, Mapping):
        return [*problems, "spec: the AsyncActor has no spec object"]
    try:
        actor = AsyncActorSpec.model_validate(dict(spec))
    except ValidationError as error:
        return problems + [_describe(detail) for detail in error.errors()]
    problems += [rule.message for rule, broken in _SPEC_RULES if broken(actor)]
    return problems + selector_label_conflicts(name=name, spec=actor)


def selector_labels(*, name: str, spec: AsyncActorSpec) -> dict[str, str]:
    """The labels that select the actor's pods (contract §2.1); they never change for a workload."""
    return {LABEL_APP: name, LABEL_ASYA: name, LABEL_WORKLOAD: spec.workload.kind.lower()}


def selector_label_conflicts(*, name: str, spec: AsyncActorSpec) -> list[str]:
    """A message for each pod template label that would change a selector label."""
    labels = (spec.workload.template.metadata or {}).get("labels") or {}
    return [
        f"the label {key}={labels[key]} in spec.workload.template.metadata.labels conflicts with the "
        f"selector label {key}={value} that the controller sets; remove it or set it to {value}"
        for key, value in selector_labels(name=name, spec=spec).items()
        if key in labels and labels[key] != value
    ]


def _describe(detail: ErrorDetails) -> str:
    path = "spec" + "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in detail["loc"])
    message = detail["msg"]
    return f"{path}: {message[:1].lower()}{message[1:]}"


def _pod(actor: AsyncActorSpec) -> dict[str, Any]:
    return actor.workload.template.spec


def _containers(actor: AsyncActorSpec, key: str = "containers") -> list[dict[str, Any]]:
    containers: list[dict[str, Any]] = _pod(actor).get(key) or []
    return containers


def _runtime_count_wrong(actor: AsyncActorSpec) -> bool:
    return [c["name"] for c in _containers(actor)].count(RUNTIME_CONTAINER) != 1


def _sidecar_named(actor: AsyncActorSpec) -> bool:
    everyone = _containers(actor) + _containers(actor, "initContainers")
    return any(c["name"] == SIDECAR_CONTAINER for c in everyone)


def _runtime_command_set(actor: AsyncActorSpec) -> bool:
    return any(c["name"] == RUNTIME_CONTAINER and c.get("command") for c in _containers(actor))


def _reserved_volume(actor: AsyncActorSpec) -> bool:
    return any(volume["name"] in RESERVED_VOLUMES for volume in _pod(actor).get("volumes") or [])


def _min_above_max(actor: AsyncActorSpec) -> bool:
    return actor.scaling.min_replicas > actor.scaling.max_replicas


def _formula_without_target(actor: AsyncActorSpec) -> bool:
    advanced = actor.scaling.advanced
    return advanced is not None and advanced.formula is not None and advanced.target is None


_SPEC_RULES: tuple[tuple[rules.Rule, Callable[[AsyncActorSpec], bool]], ...] = (
    (rules.ONE_RUNTIME_CONTAINER, _runtime_count_wrong),
    (rules.SIDECAR_NAME_RESERVED, _sidecar_named),
    (rules.RUNTIME_COMMAND_RESERVED, _runtime_command_set),
    (rules.VOLUME_NAMES_RESERVED, _reserved_volume),
    (rules.MIN_NOT_ABOVE_MAX, _min_above_max),
    (rules.FORMULA_NEEDS_TARGET, _formula_without_target),
)
