"""What the kubelet keeps per node and per pod, and what it reads off a container's spec.

- `NodeInfo`: a node's address, its pod IPs (`10.244.<node>.<n>`, as a pod CIDR per node) and the images it
  has pulled (so the next pod with `IfNotPresent` gets `Container image "…" already present on machine`).
- `Runtime`: a pod's record (see `podstatus`), its failure modes and pending timers.
- `pull_policy`: the API server's default — `Always` for `:latest` or no tag, else `IfNotPresent`.
- `probe_output`: what a failing probe prints, per probe type (`HTTP probe failed with statuscode: 503`,
  `dial tcp <ip>:<port>: connect: connection refused`; nothing for an exec probe that prints nothing).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tests.kubeapi.sim import failures
from tests.kubeapi.sim.informer import Key
from tests.kubeapi.sim.podstatus import ContainerRecord, PodRecord


@dataclass(slots=True)
class NodeInfo:
    name: str
    index: int
    host_ip: str
    images: set[str] = field(default_factory=set)
    next_ip: int = 2

    def allocate_ip(self) -> str:
        address = f"10.244.{self.index}.{self.next_ip}"
        self.next_ip = self.next_ip + 1 if self.next_ip < 254 else 2
        return address


@dataclass(slots=True)
class Runtime:
    """What the kubelet tracks for one pod besides its reported status."""

    key: Key
    pod: dict[str, Any]
    record: PodRecord
    node: NodeInfo
    faults: dict[str, set[str]]
    timers: list[asyncio.TimerHandle] = field(default_factory=list)
    mount_failures: int = 0
    pull_failures: dict[str, int] = field(default_factory=dict)
    stopping: bool = False
    alive: bool = True

    def modes(self, container: str) -> set[str]:
        return self.faults.get(container, set())


def field_path(container: ContainerRecord) -> str:
    return f"spec.{'initContainers' if container.init else 'containers'}{{{container.name}}}"


def pull_policy(container: Mapping[str, Any]) -> str:
    if container.get("imagePullPolicy"):
        return str(container["imagePullPolicy"])
    ref = failures.parse_image(container.get("image", ""))
    tag = ref.tag if isinstance(ref, failures.ImageRef) else ""
    digest = ref.digest if isinstance(ref, failures.ImageRef) else ""
    return "Always" if tag == "latest" and not digest else "IfNotPresent"


def probe_output(container: Mapping[str, Any], probe: str, pod_ip: str) -> str:
    spec = container.get(f"{probe.lower()}Probe") or {}
    if "httpGet" in spec:
        return "HTTP probe failed with statuscode: 503"
    if "tcpSocket" in spec:
        return f"dial tcp {pod_ip}:{spec['tcpSocket'].get('port')}: connect: connection refused"
    if "grpc" in spec:
        return f'timeout: failed to connect service ":{spec["grpc"].get("port")}" within 1s'
    return ""
