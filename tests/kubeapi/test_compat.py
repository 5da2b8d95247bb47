"""Other kubernetes-asyncio machinery that controllers use works against the emulator unchanged."""

from __future__ import annotations

import asyncio
from typing import Any

from kubernetes_asyncio import client
from kubernetes_asyncio.dynamic import DynamicClient
from kubernetes_asyncio.leaderelection import electionconfig, leaderelection
from kubernetes_asyncio.leaderelection.resourcelock.leaselock import LeaseLock

from tests.kubeapi.testing import eventually, widget, widget_crd


async def test_dynamic_client_discovers_and_server_side_applies(kubeapi_client: Any) -> None:
    await client.ApiextensionsV1Api(kubeapi_client).create_custom_resource_definition(widget_crd())
    async with DynamicClient(kubeapi_client) as dynamic:
        widgets = await dynamic.resources.get(api_version="example.com/v1", kind="Widget")
        await dynamic.server_side_apply(
            widgets, body=widget("w", size=2), namespace="default", field_manager="dyn"
        )
        fetched = await dynamic.get(widgets, name="w", namespace="default")
        deployments = await dynamic.resources.get(api_version="apps/v1", kind="Deployment")
        listed = await dynamic.get(deployments, namespace="default")
    assert fetched.spec.size == 2
    assert fetched.metadata.managedFields[0].manager == "dyn"
    assert listed.items == []


async def test_lease_leader_election_acquires_and_renews(kubeapi_client: Any) -> None:
    leading = asyncio.Event()

    async def started() -> None:
        leading.set()

    async def stopped() -> None:
        pass

    lock = LeaseLock("asya-operator", "default", "replica-1", kubeapi_client)
    config = electionconfig.Config(
        lock,
        lease_duration=4,
        renew_deadline=3,
        retry_period=1,
        onstarted_leading=started,
        onstopped_leading=stopped,
    )
    election = asyncio.create_task(leaderelection.LeaderElection(config).run())
    try:
        await asyncio.wait_for(leading.wait(), 10)
        leases = client.CoordinationV1Api(kubeapi_client)
        lease = await leases.read_namespaced_lease("asya-operator", "default")
        assert lease.spec.holder_identity == "replica-1"

        async def renewed() -> None:
            current = await leases.read_namespaced_lease("asya-operator", "default")
            assert current.spec.renew_time > lease.spec.renew_time

        await eventually(renewed)
    finally:
        election.cancel()
        await asyncio.gather(election, return_exceptions=True)
