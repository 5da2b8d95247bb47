"""The admission rules of an AsyncActor (contract §1.1), each as a CEL expression and a message.

The CRD carries the expressions as ``x-kubernetes-validations`` at the schema level named by ``Rule.level``
(``self`` is the object at that level). The controller checks the same rules again in
``controller.actor.validation`` with the same messages, because an old CRD or another API server may not
enforce them. Each message says what to change.

The expressions assume the CRD's defaults are in place, as they always are when an API server evaluates them.
"""

from __future__ import annotations

from dataclasses import dataclass

from controller.api.constants import MAX_NAME_LENGTH, RESERVED_VOLUMES, RUNTIME_CONTAINER, SIDECAR_CONTAINER


@dataclass(frozen=True)
class Rule:
    level: str
    """Dotted path of the schema node that carries the rule (``""`` is the object's root)."""
    rule: str
    message: str

    def schema(self) -> dict[str, str]:
        """The ``x-kubernetes-validations`` item."""
        return {"rule": self.rule, "message": self.message}


def _cel_list(values: tuple[str, ...]) -> str:
    return "[" + ", ".join(f"'{value}'" for value in values) + "]"


POD_SPEC = "spec.workload.template.spec"

ONE_RUNTIME_CONTAINER = Rule(
    level=POD_SPEC,
    rule=f"self.containers.filter(c, c.name == '{RUNTIME_CONTAINER}').size() == 1",
    message=(
        f"exactly one container in {POD_SPEC}.containers must be named {RUNTIME_CONTAINER}: "
        "it is the container that runs your handler"
    ),
)

SIDECAR_NAME_RESERVED = Rule(
    level=POD_SPEC,
    rule=(
        f"!self.containers.exists(c, c.name == '{SIDECAR_CONTAINER}') && "
        f"(!has(self.initContainers) || !self.initContainers.exists(c, c.name == '{SIDECAR_CONTAINER}'))"
    ),
    message=(
        f"the container name {SIDECAR_CONTAINER} is reserved: the controller adds that container itself; "
        "rename your container or init container"
    ),
)

RUNTIME_COMMAND_RESERVED = Rule(
    level=POD_SPEC,
    rule=(
        f"self.containers.all(c, c.name != '{RUNTIME_CONTAINER}' || !has(c.command) || c.command.size() == 0)"
    ),
    message=(
        f"the {RUNTIME_CONTAINER} container must not set command: the controller sets it to start the Asya "
        "runtime; remove command and name your handler in the ASYA_HANDLER env var"
    ),
)

VOLUME_NAMES_RESERVED = Rule(
    level=POD_SPEC,
    rule=f"!has(self.volumes) || self.volumes.all(v, !(v.name in {_cel_list(RESERVED_VOLUMES)}))",
    message=(
        f"the volume names {', '.join(RESERVED_VOLUMES[:-1])} and {RESERVED_VOLUMES[-1]} are reserved "
        "for the controller's own volumes; rename your volume"
    ),
)

MIN_NOT_ABOVE_MAX = Rule(
    level="spec.scaling",
    rule="self.minReplicas <= self.maxReplicas",
    message=(
        "spec.scaling.minReplicas must not be greater than spec.scaling.maxReplicas; "
        "lower minReplicas or raise maxReplicas"
    ),
)

FORMULA_NEEDS_TARGET = Rule(
    level="spec.scaling.advanced",
    rule="!has(self.formula) || has(self.target)",
    message=(
        "spec.scaling.advanced.formula needs spec.scaling.advanced.target: "
        "set target to the value the formula's result is scaled against"
    ),
)

NAME_LENGTH = Rule(
    level="",
    rule=f"self.metadata.name.size() <= {MAX_NAME_LENGTH}",
    message=(
        f"metadata.name must be at most {MAX_NAME_LENGTH} characters, because it becomes a label value "
        "and part of the queue name; choose a shorter name"
    ),
)

ALL_RULES = (
    ONE_RUNTIME_CONTAINER,
    SIDECAR_NAME_RESERVED,
    RUNTIME_COMMAND_RESERVED,
    VOLUME_NAMES_RESERVED,
    MIN_NOT_ABOVE_MAX,
    FORMULA_NEEDS_TARGET,
    NAME_LENGTH,
)
