"""Kubernetes resource quantities (`100m`, `1.5`, `512Mi`, `2G`, `1e3`) as numbers, and pod resource requests.

Follows `k8s.io/apimachinery/pkg/api/resource` for parsing: binary suffixes Ki…Ei, decimal suffixes
n u m k M G T P E, and exponents. CPU is returned in cores, memory in bytes.

Pod requests follow the scheduler's `computePodResourceRequest`: the sum over app containers, raised to
the largest single init container when that is bigger. A container with a limit but no request requests
its limit (the API server's defaulting).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {"n": 1e-9, "u": 1e-6, "m": 1e-3, "": 1.0, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12}
_DECIMAL |= {"P": 1e15, "E": 1e18}
_PATTERN = re.compile(r"^([+-]?(?:\d+\.?\d*|\.\d+))(Ki|Mi|Gi|Ti|Pi|Ei|[eE][+-]?\d+|[numkMGTPE]?)$")


def parse_quantity(value: str | int | float) -> float:
    """The number a quantity stands for; raises ValueError for text that is not a quantity."""
    if isinstance(value, int | float):
        return float(value)
    match = _PATTERN.match(value.strip())
    if not match:
        raise ValueError(f"quantities must match the regular expression {_PATTERN.pattern!r}: {value!r}")
    number, suffix = float(match.group(1)), match.group(2)
    if suffix in _BINARY:
        return number * _BINARY[suffix]
    if suffix[:1] in ("e", "E"):
        return number * 10.0 ** int(suffix[1:])
    return number * _DECIMAL[suffix]


@dataclass(frozen=True, slots=True)
class Resources:
    """CPU in cores and memory in bytes."""

    cpu: float = 0.0
    memory: float = 0.0

    def __add__(self, other: Resources) -> Resources:
        return Resources(self.cpu + other.cpu, self.memory + other.memory)

    def __sub__(self, other: Resources) -> Resources:
        return Resources(self.cpu - other.cpu, self.memory - other.memory)

    def max(self, other: Resources) -> Resources:
        return Resources(max(self.cpu, other.cpu), max(self.memory, other.memory))


def container_requests(container: Mapping[str, Any]) -> Resources:
    """A container's requests, falling back to its limits as the API server defaults them."""
    resources = container.get("resources") or {}
    requests = {**(resources.get("limits") or {}), **(resources.get("requests") or {})}
    cpu = requests.get("cpu")
    memory = requests.get("memory")
    return Resources(
        cpu=parse_quantity(cpu) if cpu is not None else 0.0,
        memory=parse_quantity(memory) if memory is not None else 0.0,
    )


def pod_requests(spec: Mapping[str, Any]) -> Resources:
    """What the scheduler reserves on a node for a pod."""
    total = Resources()
    for container in spec.get("containers") or []:
        total = total + container_requests(container)
    for container in spec.get("initContainers") or []:
        total = total.max(container_requests(container))
    return total
