"""Leader election with a coordination.k8s.io/v1 Lease (client-go's ``tools/leaderelection``).

Contract:
- Defaults 15 s lease / 10 s renew deadline / 2 s retry, validated as client-go does: ``lease_duration >
  renew_deadline > 1.2 * retry_period``.
- A candidate tries every ``retry_period`` (jittered up to 1.2 times). It takes the Lease when it is free (no
  holder, as after a release), its own, or *expired*: not changed, as observed on this replica's own clock,
  for the Lease's ``leaseDurationSeconds``. Observing on the local clock (not trusting ``renewTime``) makes
  the election immune to clock skew between replicas, as in client-go.
- Writes are optimistic (a PUT carrying the resourceVersion read); losing a race is just a failed attempt.
- The leader renews every ``retry_period``. When no renewal succeeded for ``renew_deadline`` it steps down
  (``on_stopped``) and becomes a candidate again; ``renew_deadline < lease_duration`` guarantees it stops
  before anyone else may start.
- Cancelling ``run`` stops campaigning without calling ``on_stopped`` (the caller is shutting down and stops
  its own work); ``release()`` afterwards empties the holder and shortens the Lease to 1 s, so a standby takes
  over at its next attempt instead of waiting out the lease.
- ``leader_election_master_status{name}`` is 1 while leading.
"""

from __future__ import annotations

import asyncio
import random
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from controller.kube.client import ApiError, KubeClient
from controller.kube.resources import Obj, Resource
from controller.logs import get_logger
from controller.metrics import Metrics

log = get_logger(__name__)

LEASES = Resource(group="coordination.k8s.io", version="v1", plural="leases", kind="Lease")
JITTER = 1.2


def default_identity() -> str:
    """``<hostname>_<random>``: unique per process, readable in ``kubectl get lease``."""
    return f"{socket.gethostname()}_{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True, kw_only=True)
class LeaderSettings:
    name: str
    """Name of the Lease."""
    namespace: str
    """Namespace of the Lease (the controller's own)."""
    identity: str = field(default_factory=default_identity)
    lease_duration: float = 15.0
    renew_deadline: float = 10.0
    retry_period: float = 2.0

    def __post_init__(self) -> None:
        if not self.lease_duration > self.renew_deadline > JITTER * self.retry_period > 0:
            raise ValueError(
                "leader election needs lease_duration > renew_deadline > 1.2 * retry_period > 0, got "
                f"{self.lease_duration} / {self.renew_deadline} / {self.retry_period}"
            )


def now_micro() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def lease_holder(spec: Obj) -> str:
    return str(spec.get("holderIdentity") or "")


def may_acquire(
    spec: Obj | None, *, identity: str, observed_at: float, now: float, default_duration: float
) -> bool:
    """Whether ``identity`` may take a Lease whose ``spec`` it has seen unchanged since ``observed_at``."""
    if spec is None:
        return True
    holder = lease_holder(spec)
    if not holder or holder == identity:
        return True
    duration = spec.get("leaseDurationSeconds")
    lease = float(duration) if isinstance(duration, int | float) and duration > 0 else default_duration
    return now >= observed_at + lease


def next_spec(spec: Obj | None, *, identity: str, lease_duration: float, stamp: str) -> Obj:
    """The spec that makes ``identity`` the holder as of ``stamp``, counting a change of holder (as
    client-go does, also after a release)."""
    old = spec or {}
    transitions = int(old.get("leaseTransitions") or 0)
    new: Obj = {
        "holderIdentity": identity,
        "leaseDurationSeconds": max(1, round(lease_duration)),
        "renewTime": stamp,
        "acquireTime": old.get("acquireTime") or stamp,
        "leaseTransitions": transitions,
    }
    if lease_holder(old) != identity:
        new["acquireTime"] = stamp
        new["leaseTransitions"] = transitions + (1 if spec is not None else 0)
    return new


class LeaderElector:
    """Campaigns for the Lease and keeps it; see the module docstring."""

    def __init__(
        self,
        *,
        client: KubeClient,
        settings: LeaderSettings,
        on_started: Callable[[], None],
        on_stopped: Callable[[], None],
        metrics: Metrics | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.client = client
        self.settings = settings
        self.on_started = on_started
        self.on_stopped = on_stopped
        self.metrics = metrics
        self.rng = rng or random.Random()
        self.is_leader = False
        self._holds = False
        self._observed: Obj | None = None
        self._observed_at = 0.0
        self._resource_version: str | None = None
        self._path = LEASES.path(namespace=settings.namespace, name=settings.name)
        self._set_status(False)

    async def run(self) -> None:
        """Campaign, lead, and campaign again after a loss, until cancelled."""
        loop = asyncio.get_running_loop()
        s = self.settings
        try:
            while True:
                if await self._attempt(s.renew_deadline):
                    self._become(True)
                    last_renewal = loop.time()
                    while True:
                        await asyncio.sleep(s.retry_period)
                        remaining = s.renew_deadline - (loop.time() - last_renewal)
                        if remaining > 0 and await self._attempt(remaining):
                            last_renewal = loop.time()
                        elif loop.time() - last_renewal >= s.renew_deadline:
                            log.error("leader election lost: no renewal within the deadline", lease=s.name)
                            self._holds = False
                            self._become(False)
                            break
                await asyncio.sleep(s.retry_period * (1 + (JITTER - 1) * self.rng.random()))
        finally:
            self.is_leader = False
            self._set_status(False)

    async def release(self) -> None:
        """Give the Lease up if held, so a standby takes over at once (called on a clean shutdown)."""
        if not self._holds or self._observed is None:
            return
        self._holds = False
        self.is_leader = False
        self._set_status(False)
        stamp = now_micro()
        spec = {**self._observed, "holderIdentity": None, "leaseDurationSeconds": 1, "renewTime": stamp}
        try:
            await self._put(spec, budget=self.settings.retry_period)
            log.info("lease released", lease=self.settings.name)
        except (ApiError, OSError, TimeoutError) as exc:
            log.warning("could not release the lease; standbys wait for it to expire", error=str(exc))

    def _become(self, leader: bool) -> None:
        if leader == self.is_leader:
            return
        self.is_leader = leader
        self._set_status(leader)
        if leader:
            log.info("became leader", lease=self.settings.name, identity=self.settings.identity)
        callback = self.on_started if leader else self.on_stopped
        try:
            callback()
        except Exception:
            log.exception("leader election callback failed")

    def _set_status(self, leader: bool) -> None:
        if self.metrics is not None:
            self.metrics.leader_status.labels(name=self.settings.name).set(1 if leader else 0)

    def _observe(self, spec: Obj | None, now: float) -> None:
        if spec != self._observed:
            self._observed = spec
            self._observed_at = now

    async def _attempt(self, budget: float) -> bool:
        """One try to acquire or renew; ``False`` on any failure (logged), never raises."""
        try:
            async with asyncio.timeout(budget):
                return await self._try_acquire_or_renew()
        except (ApiError, OSError, TimeoutError) as exc:
            log.info("lease attempt failed", lease=self.settings.name, error=str(exc) or type(exc).__name__)
        except Exception:
            log.exception("lease attempt failed unexpectedly", lease=self.settings.name)
        return False

    async def _try_acquire_or_renew(self) -> bool:
        s = self.settings
        loop = asyncio.get_running_loop()
        timeout = s.renew_deadline
        try:
            lease = await self.client.request("GET", self._path, request_timeout=timeout)
        except ApiError as exc:
            if not exc.not_found:
                raise
            return await self._create(timeout)
        spec: Obj = lease.get("spec") or {}
        self._resource_version = (lease.get("metadata") or {}).get("resourceVersion")
        self._observe(spec, loop.time())
        if not may_acquire(
            spec,
            identity=s.identity,
            observed_at=self._observed_at,
            now=loop.time(),
            default_duration=s.lease_duration,
        ):
            return False
        new = next_spec(spec, identity=s.identity, lease_duration=s.lease_duration, stamp=now_micro())
        try:
            await self._put(new, budget=timeout)
        except ApiError as exc:
            if exc.conflict:
                return False
            raise
        self._observe(new, loop.time())
        self._holds = True
        return True

    async def _create(self, budget: float) -> bool:
        s = self.settings
        spec = next_spec(None, identity=s.identity, lease_duration=s.lease_duration, stamp=now_micro())
        body: dict[str, Any] = {
            "apiVersion": LEASES.api_version,
            "kind": LEASES.kind,
            "metadata": {"name": s.name, "namespace": s.namespace},
            "spec": spec,
        }
        try:
            created = await self.client.request(
                "POST", LEASES.path(namespace=s.namespace), body=body, request_timeout=budget
            )
        except ApiError as exc:
            if exc.conflict:  # someone else created it first
                return False
            raise
        self._resource_version = (created.get("metadata") or {}).get("resourceVersion")
        self._observe(spec, asyncio.get_running_loop().time())
        self._holds = True
        return True

    async def _put(self, spec: Obj, *, budget: float) -> None:
        s = self.settings
        body = {
            "apiVersion": LEASES.api_version,
            "kind": LEASES.kind,
            "metadata": {"name": s.name, "namespace": s.namespace, "resourceVersion": self._resource_version},
            "spec": spec,
        }
        updated = await self.client.request("PUT", self._path, body=body, request_timeout=budget)
        self._resource_version = (updated.get("metadata") or {}).get("resourceVersion")
