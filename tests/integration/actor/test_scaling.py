"""End to end: KEDA scaling of actors on a simulated cluster, with the real controller and RabbitMQ.

KEDA naps an idle actor (Napping, with no requeue loop while it sleeps) and wakes it for real messages
published where the sidecar publishes; switching scaling on hands ``spec.replicas`` over without a reset,
switching it off takes the ScaledObject away and writes the replicas again; an actor that asks for scaling
before KEDA is installed shows ScalingError until KEDA comes, then recovers by itself.
"""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest
import pytest_asyncio

from controller.actor import resources as r
from tests.integration.actor.harness import (
    condition,
    create,
    events_of,
    rabbitmq_transport,
    status_of,
    transport_env,
)
from tests.integration.actor.scenario import (
    Stage,
    all_pods,
    live_pods,
    patch_actor,
    publish,
    reconciles,
    scenario_actor,
    settled,
    sim_config,
    stage,
    wait_for,
)
from tests.services.polling import eventually
from tests.services.rabbitmq import VirtualHost

pytestmark = pytest.mark.asyncio(loop_scope="module")

# KEDA's times are scaled by the simulated cluster (by 0.01): polling every 0.3 s, cooldown 0.6 s.
KEDA = {"minReplicas": 0, "maxReplicas": 10, "queueLength": 5, "pollingInterval": 30, "cooldownPeriod": 60}
REFRESH = timedelta(seconds=15)  # lastScaleFormatted shows seconds in steps of 15 s


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def scene(module_vhost: VirtualHost) -> AsyncIterator[Stage]:
    async with stage(env=transport_env(rabbitmq_transport(module_vhost))) as running:
        yield running


def parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def refreshes_due(last_scale: datetime, start: float, end: float) -> int:
    """How many times the Last-Scale text changes between two wall-clock moments."""
    first = int((start - last_scale.timestamp()) // REFRESH.total_seconds()) + 1
    last = int((end - last_scale.timestamp()) // REFRESH.total_seconds())
    return max(last - first + 1, 0)


async def test_keda_naps_an_idle_actor_without_a_requeue_loop_and_wakes_it_for_messages(
    rabbitmq_vhost: VirtualHost,
) -> None:
    async with stage(env=transport_env(rabbitmq_transport(rabbitmq_vhost))) as scene:
        ns = await scene.namespace("napping")
        await create(scene.kube, scenario_actor("sleeper", ns, scaling=KEDA))
        napping = await wait_for(scene.kube, ns, "sleeper", "Napping")
        assert (napping["desiredReplicas"], napping["scalingMode"]) == (0, "KEDA")
        assert condition(napping, "WorkloadReady")["status"] != "False"
        assert condition(napping, "ScalingReady")["status"] == "True"
        assert condition(napping, "Ready")["status"] == "True"
        assert napping["scaledObjectRef"] == {"name": "sleeper", "namespace": ns}
        await eventually(lambda: all_pods(scene.kube, ns, "sleeper"), lambda pods: pods == [])

        # Asleep, the actor costs nothing: no reconcile but the Last-Scale text's own refreshes.
        last_scale = parse((await status_of(scene.kube, "sleeper", ns))["lastScaleTime"])
        before, start = await settled(scene.controller), time.time()
        row = await scene.kubectl("get", "asya", "-n", ns, "sleeper", "--no-headers", "-o", "wide")
        assert row.split()[1:7] == ["Napping", "0", "0", "0", "0", "0"]
        await eventually(
            lambda: status_of(scene.kube, "sleeper", ns),
            lambda s: s["status"] != "Napping" or time.time() - start > 6,
            interval=0.5,
        )
        end = time.time()
        assert (await status_of(scene.kube, "sleeper", ns))["status"] == "Napping"
        assert reconciles(scene.controller) - before <= refreshes_due(last_scale, start, end)

        await publish(rabbitmq_vhost, "sleeper", 23)
        # KEDA wakes it to 1 replica, the HPA takes it on: 23 messages, 5 per replica.
        woken = await eventually(
            lambda: status_of(scene.kube, "sleeper", ns),
            lambda s: s.get("status") == "Running" and s.get("replicas") == 5,
            within=30,
        )
        assert woken["desiredReplicas"] == 5
        assert woken["lastScaleDirection"] == "up"
        assert re.fullmatch(r"\d+s ago \(up\)", woken["lastScaleFormatted"])
        deployment = await scene.get(r.DEPLOYMENTS, ns, "sleeper")
        assert deployment is not None
        assert deployment["spec"]["replicas"] == 5
        # KEDA and the HPA scaled the Deployment; the controller changed nothing in it and says so.
        reasons = [e["reason"] for e in await events_of(scene.kube, "sleeper", ns)]
        assert reasons.count("Created") == 1
        assert "Updated" not in reasons


async def test_switching_scaling_on_for_a_running_actor_keeps_its_replicas(scene: Stage) -> None:
    ns = await scene.namespace("scaling-on")
    await create(scene.kube, scenario_actor("steady", ns, replicas=3))
    await wait_for(scene.kube, ns, "steady", "Running")
    pods = {p["metadata"]["uid"] for p in await live_pods(scene.kube, ns, "steady")}
    scene.cluster.queues.set("asya-steady", 15)  # 15 messages, 5 per replica: KEDA wants 3 as well
    async with scene.replicas_trail(ns) as replicas:
        await replicas.until("steady", 3)
        await patch_actor(scene.kube, ns, "steady", {"spec": {"scaling": {"enabled": True, **KEDA}}})
        status = await eventually(
            lambda: status_of(scene.kube, "steady", ns),
            lambda s: (
                s.get("scalingMode") == "KEDA"
                and condition(s, "ScalingReady").get("status") == "True"
                and s.get("status") == "Running"
            ),
        )
        hpa = await eventually(
            lambda: scene.get(r.HPAS, ns, "keda-hpa-steady"),
            lambda obj: obj is not None and (obj.get("status") or {}).get("desiredReplicas") == 3,
        )
        assert hpa is not None
    assert replicas.of("steady") == [3]
    assert (status["desiredReplicas"], status["replicas"]) == (3, 3)
    assert {p["metadata"]["uid"] for p in await live_pods(scene.kube, ns, "steady")} == pods
    deployment = await scene.get(r.DEPLOYMENTS, ns, "steady")
    assert deployment is not None
    owners = {
        entry["manager"]
        for entry in deployment["metadata"]["managedFields"]
        if "f:replicas" in (entry.get("fieldsV1") or {}).get("f:spec", {})
    }
    assert "asya-controller" not in owners


async def test_switching_scaling_off_removes_keda_objects_and_writes_replicas_again(scene: Stage) -> None:
    ns = await scene.namespace("scaling-off")
    scene.cluster.queues.set("asya-unscaled", 10)
    await create(scene.kube, scenario_actor("unscaled", ns, scaling=KEDA))
    scaled = await eventually(
        lambda: status_of(scene.kube, "unscaled", ns),
        lambda s: s.get("status") == "Running" and s.get("desiredReplicas") == 2,
    )
    assert scaled["scaledObjectRef"] == {"name": "unscaled", "namespace": ns}
    assert await scene.get(r.TRIGGER_AUTHENTICATIONS, ns, "unscaled-trigger-auth") is not None

    spec = {"scaling": {"enabled": False}, "workload": {"replicas": 4}}
    await patch_actor(scene.kube, ns, "unscaled", {"spec": spec})
    manual = await eventually(
        lambda: status_of(scene.kube, "unscaled", ns),
        lambda s: s.get("status") == "Running" and s.get("replicas") == 4,
    )
    assert (manual["scalingMode"], manual["desiredReplicas"]) == ("Manual", 4)
    assert "scaledObjectRef" not in manual
    assert "ScalingReady" not in {c["type"] for c in manual["conditions"]}
    for resource, name in (
        (r.SCALED_OBJECTS, "unscaled"),
        (r.TRIGGER_AUTHENTICATIONS, "unscaled-trigger-auth"),
    ):
        assert await scene.get(resource, ns, name) is None
    await eventually(lambda: scene.get(r.HPAS, ns, "keda-hpa-unscaled"), lambda obj: obj is None)
    deployment = await scene.get(r.DEPLOYMENTS, ns, "unscaled")
    assert deployment is not None
    assert deployment["spec"]["replicas"] == 4
    owners = {
        entry["manager"]
        for entry in deployment["metadata"]["managedFields"]
        if "f:replicas" in (entry.get("fieldsV1") or {}).get("f:spec", {})
    }
    assert owners == {"asya-controller"}


async def test_scaling_before_keda_is_installed_is_a_scaling_error_until_keda_comes(
    rabbitmq_vhost: VirtualHost,
) -> None:
    env = transport_env(rabbitmq_transport(rabbitmq_vhost))
    async with stage(env=env, sim=sim_config(keda=False)) as scene:
        ns = await scene.namespace("keda-later")
        await create(scene.kube, scenario_actor("eager", ns, scaling={**KEDA, "minReplicas": 1}))
        status = await wait_for(scene.kube, ns, "eager", "ScalingError")
        scaling = condition(status, "ScalingReady")
        assert (scaling["status"], scaling["reason"]) == ("False", "KEDANotInstalled")
        assert "install KEDA" in scaling["message"]
        assert condition(status, "Ready")["message"] == scaling["message"]

        await scene.cluster.install_keda()
        # KEDA's CRDs arriving make the controller's watches of its resources retry at once.
        recovered = await eventually(
            lambda: status_of(scene.kube, "eager", ns),
            lambda s: s.get("status") == "Running" and condition(s, "ScalingReady").get("status") == "True",
            within=45,
        )
        assert recovered["scaledObjectRef"] == {"name": "eager", "namespace": ns}
        assert await scene.get(r.SCALED_OBJECTS, ns, "eager") is not None
