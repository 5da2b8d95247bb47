"""Lease leader election against the emulator: one leader, takeover after expiry, handover on release."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable

import pytest_asyncio

from controller.kube.client import KubeClient
from controller.kube.leader import LEASES, LeaderElector, LeaderSettings
from controller.metrics import Metrics
from tests.integration.kube.helpers import eventually
from tests.kubeapi import KubeAPI

LEASE = 1.0
SHORT = {"lease_duration": LEASE, "renew_deadline": 0.6, "retry_period": 0.1}


class Candidate:
    def __init__(self, client: KubeClient, identity: str) -> None:
        self.transitions: list[tuple[str, float]] = []
        self.metrics = Metrics(controller="test")
        self.elector = LeaderElector(
            client=client,
            settings=LeaderSettings(name="lock", namespace="default", identity=identity, **SHORT),
            on_started=lambda: self.transitions.append(("started", time.monotonic())),
            on_stopped=lambda: self.transitions.append(("stopped", time.monotonic())),
            metrics=self.metrics,
        )
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.task = asyncio.create_task(self.elector.run())

    async def kill(self) -> None:
        """Stop campaigning without releasing, as a process killed outright would."""
        assert self.task is not None
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)

    def leading_since(self) -> float | None:
        return self.transitions[-1][1] if self.transitions and self.transitions[-1][0] == "started" else None


@pytest_asyncio.fixture
async def candidates(kubeapi: KubeAPI) -> AsyncIterator[Callable[[str], Candidate]]:
    made: list[tuple[Candidate, KubeClient]] = []

    def make(identity: str) -> Candidate:
        client = KubeClient(_configuration(kubeapi))
        candidate = Candidate(client, identity)
        made.append((candidate, client))
        candidate.start()
        return candidate

    yield make
    for candidate, client in made:
        await candidate.kill()
        await client.close()


def _configuration(api: KubeAPI) -> object:
    from kubernetes_asyncio import client

    return client.Configuration(host=api.url)


async def one_leader(*candidates: Candidate) -> Candidate:
    async def check() -> None:
        assert sum(c.elector.is_leader for c in candidates) == 1

    await eventually(check)
    return next(c for c in candidates if c.elector.is_leader)


async def test_of_two_candidates_exactly_one_leads(
    candidates: Callable[[str], Candidate], client: KubeClient
) -> None:
    a, b = candidates("a"), candidates("b")
    leader = await one_leader(a, b)
    await asyncio.sleep(2 * LEASE)  # renewals keep it: no flapping over several lease durations
    assert await one_leader(a, b) is leader
    assert [kind for kind, _ in leader.transitions] == ["started"]
    lease = await client.request("GET", LEASES.path(namespace="default", name="lock"))
    assert lease["spec"]["holderIdentity"] == leader.elector.settings.identity
    assert b'leader_election_master_status{name="lock"} 1.0' in leader.metrics.exposition()


async def test_a_killed_leader_is_replaced_once_the_lease_expires(
    candidates: Callable[[str], Candidate],
) -> None:
    a, b = candidates("a"), candidates("b")
    leader = await one_leader(a, b)
    standby = b if leader is a else a
    await leader.kill()
    killed_at = time.monotonic()
    await one_leader(standby)
    took = standby.leading_since()
    assert took is not None
    assert took - killed_at >= 0.5 * LEASE  # it waited for the lease to expire…
    assert took - killed_at <= 3 * LEASE  # …and not much longer (generous: a shared machine)


async def test_a_released_lease_is_taken_over_at_once(
    candidates: Callable[[str], Candidate], client: KubeClient
) -> None:
    a, b = candidates("a"), candidates("b")
    leader = await one_leader(a, b)
    standby = b if leader is a else a
    await leader.kill()
    await leader.elector.release()
    released_at = time.monotonic()
    await one_leader(standby)
    took = standby.leading_since()
    assert took is not None
    assert took - released_at < 0.5 * LEASE
    lease = await client.request("GET", LEASES.path(namespace="default", name="lock"))
    assert lease["spec"]["leaseTransitions"] == 1


async def test_a_leader_that_cannot_renew_steps_down_before_the_lease_expires(
    kubeapi: KubeAPI, candidates: Callable[[str], Candidate]
) -> None:
    a = candidates("a")
    await one_leader(a)
    kubeapi.faults.fail(503, resource="leases")
    cut_off = time.monotonic()

    async def stepped_down() -> None:
        assert a.transitions[-1][0] == "stopped"

    await eventually(stepped_down)
    assert a.transitions[-1][1] - cut_off < LEASE
    assert b'leader_election_master_status{name="lock"} 0.0' in a.metrics.exposition()
