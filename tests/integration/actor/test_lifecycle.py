"""End to end: an actor's life over time on a simulated cluster, with the real controller and RabbitMQ.

States that need time or history: Degraded (the 5-minute clock kept in the status, across a restart of the
controller, and the requeue at its mark), ScalingDown while surplus pods shut down, changes to the spec
(workload kind, pod template), conditions whose message changes while their status holds, and the way out:
Terminating, deletion of everything the actor owned, and deletion of a namespace full of actors.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio

from controller.actor import resources as r
from controller.api.models import format_time
from controller.kube.client import MERGE_PATCH
from controller.kube.resources import Resource
from tests.integration.actor.harness import (
    condition,
    create,
    events_of,
    queue_exists,
    rabbitmq_transport,
    status_of,
    transport_env,
)
from tests.integration.actor.scenario import (
    Stage,
    all_pods,
    live_pods,
    patch_actor,
    reconcile_errors,
    scenario_actor,
    stage,
    wait_for,
)
from tests.kubeapi.sim import FAIL_ANNOTATION
from tests.services.polling import eventually
from tests.services.rabbitmq import VirtualHost

pytestmark = pytest.mark.asyncio(loop_scope="module")

DEGRADED_AFTER = timedelta(minutes=5)
NAMESPACES = Resource(group="", version="v1", plural="namespaces", kind="Namespace", namespaced=False)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def scene(module_vhost: VirtualHost) -> AsyncIterator[Stage]:
    async with stage(env=transport_env(rabbitmq_transport(module_vhost))) as running:
        yield running


def whole_seconds_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


async def one_pod_stops_being_ready(scene: Stage, ns: str, name: str) -> None:
    """One replica's readiness probe starts failing (its own dependency went away, say)."""
    pod = (await live_pods(scene.kube, ns, name))[0]
    await scene.kube.request(
        "PATCH",
        r.PODS.path(namespace=ns, name=pod["metadata"]["name"]),
        body={"metadata": {"annotations": {FAIL_ANNOTATION: "never-ready"}}},
        content_type=MERGE_PATCH,
    )


async def test_degraded_shows_at_the_mark_by_a_requeue_and_after_a_restart(scene: Stage) -> None:
    ns = await scene.namespace("degraded")
    await create(scene.kube, scenario_actor("partial", ns, replicas=3))
    await wait_for(scene.kube, ns, "partial", "Running")
    await one_pod_stops_being_ready(scene, ns, "partial")
    status = await wait_for(scene.kube, ns, "partial", "ScalingUp")
    assert (status["replicas"], status["totalReplicas"], status["desiredReplicas"]) == (2, 3, 3)
    assert "unreadySince" in status

    await scene.cluster.events_written()  # the probe's Unhealthy Event, so that nothing else is pending
    # The state began nearly five minutes ago, as a long-running one would have it: the mark is 3 s ahead.
    began = whole_seconds_now() - DEGRADED_AFTER + timedelta(seconds=3)
    await patch_actor(
        scene.kube, ns, "partial", {"status": {"unreadySince": format_time(began)}}, status=True
    )
    patched = time.time()
    assert (await status_of(scene.kube, "partial", ns))["status"] == "ScalingUp"
    degraded = await wait_for(scene.kube, ns, "partial", "Degraded", within=15)
    assert degraded["unreadySince"] == format_time(began)
    ready = condition(degraded, "Ready")
    assert (ready["status"], ready["message"]) == ("False", f"2/3 pods ready since {format_time(began)}")
    # Nothing else happened in the namespace meanwhile: the controller came back by itself, at the mark.
    writes = [w for w in scene.api.requests if w.write and w.namespace == ns and w.time > patched]
    assert [(w.verb, w.resource, w.subresource, w.name) for w in writes] == [
        ("patch", "asyncactors", "status", "partial")
    ]
    assert writes[0].time >= (began + DEGRADED_AFTER).timestamp()

    # A fresh clock is ScalingUp again; a new controller process keeps the clock it finds in the status.
    await patch_actor(
        scene.kube, ns, "partial", {"status": {"unreadySince": format_time(whole_seconds_now())}}, status=True
    )
    await wait_for(scene.kube, ns, "partial", "ScalingUp")
    long_ago = whole_seconds_now() - 2 * DEGRADED_AFTER
    async with scene.controller_stopped():
        await patch_actor(
            scene.kube, ns, "partial", {"status": {"unreadySince": format_time(long_ago)}}, status=True
        )
    restarted = await wait_for(scene.kube, ns, "partial", "Degraded")
    assert restarted["unreadySince"] == format_time(long_ago)


async def test_surplus_pods_shutting_down_show_scaling_down_until_gone(scene: Stage) -> None:
    ns = await scene.namespace("scaling-down")
    body = scenario_actor("shrinking", ns, replicas=3, fail="slow-stop", timeout={"gracefulShutdown": 200})
    await create(scene.kube, body)
    await wait_for(scene.kube, ns, "shrinking", "Running")
    await patch_actor(scene.kube, ns, "shrinking", {"spec": {"workload": {"replicas": 1}}})

    async def shrinking() -> tuple[dict[str, Any], int]:
        pods = await all_pods(scene.kube, ns, "shrinking")
        stopping = sum(bool(p["metadata"].get("deletionTimestamp")) for p in pods)
        return await status_of(scene.kube, "shrinking", ns), stopping

    status, _ = await eventually(
        shrinking, lambda seen: seen[1] == 2 and seen[0].get("status") == "ScalingDown", interval=0.1
    )
    assert (status["replicas"], status["totalReplicas"], status["desiredReplicas"]) == (3, 3, 1)
    assert status["lastScaleFormatted"].endswith("ago (down)")
    done = await wait_for(scene.kube, ns, "shrinking", "Running")
    assert (done["replicas"], done["totalReplicas"]) == (1, 1)
    assert len(await all_pods(scene.kube, ns, "shrinking")) == 1


async def test_switching_to_a_statefulset_removes_the_deployment_once_the_statefulset_exists(
    scene: Stage,
) -> None:
    ns = await scene.namespace("kind-change")
    await create(scene.kube, scenario_actor("mover", ns, replicas=2))
    await wait_for(scene.kube, ns, "mover", "Running")
    await patch_actor(scene.kube, ns, "mover", {"spec": {"workload": {"kind": "StatefulSet"}}})

    async def moved() -> dict[str, Any]:
        status = await status_of(scene.kube, "mover", ns)
        names = sorted(p["metadata"]["name"] for p in await all_pods(scene.kube, ns, "mover"))
        deployment = await scene.get(r.DEPLOYMENTS, ns, "mover")
        return {"status": status, "pods": names, "deployment": deployment}

    seen = await eventually(
        moved,
        lambda s: (
            s["status"].get("status") == "Running"
            and s["status"]["workloadRef"]["kind"] == "StatefulSet"
            and s["pods"] == ["mover-0", "mover-1"]
            and s["deployment"] is None
        ),
    )
    assert seen["status"]["replicas"] == 2
    assert await scene.get(r.STATEFULSETS, ns, "mover") is not None
    assert await scene.get(r.SERVICES, ns, "mover") is not None
    writes = [w for w in scene.api.requests if w.write and w.namespace == ns and w.name == "mover"]
    created = next(w.time for w in writes if w.resource == "statefulsets" and w.status < 300)
    removed = next(w.time for w in writes if w.resource == "deployments" and w.verb == "delete")
    assert created <= removed


async def test_an_edited_pod_template_rolls_every_pod(scene: Stage) -> None:
    ns = await scene.namespace("rollout")
    await create(scene.kube, scenario_actor("rolling", ns, replicas=2))
    await wait_for(scene.kube, ns, "rolling", "Running")
    before = {p["metadata"]["uid"] for p in await live_pods(scene.kube, ns, "rolling")}
    env = [
        {"name": "ASYA_HANDLER", "value": "handlers.process_v2"},
        {"name": "ASYA_HANDLER_MODE", "value": "envelope"},
    ]
    body = scenario_actor("rolling", ns, replicas=2, runtime={"env": env})
    await patch_actor(scene.kube, ns, "rolling", {"spec": body["spec"]})

    def handler(pod: dict[str, Any]) -> str:
        runtime = next(c for c in pod["spec"]["containers"] if c["name"] == "asya-runtime")
        return next(e["value"] for e in runtime["env"] if e["name"] == "ASYA_HANDLER")

    async def rolled() -> tuple[dict[str, Any], list[dict[str, Any]]]:
        return await status_of(scene.kube, "rolling", ns), await all_pods(scene.kube, ns, "rolling")

    status, pods = await eventually(
        rolled,
        lambda seen: (
            seen[0].get("status") == "Running"
            and len(seen[1]) == 2
            and all(handler(p) == "handlers.process_v2" for p in seen[1])
        ),
    )
    assert before.isdisjoint(p["metadata"]["uid"] for p in pods)
    assert (status["replicas"], status["observedGeneration"]) == (2, 2)


async def test_a_condition_keeps_its_transition_time_while_its_message_changes(scene: Stage) -> None:
    ns = await scene.namespace("conditions")
    resources = {"requests": {"cpu": "6"}}
    async with scene.trail(ns) as trail:
        await create(scene.kube, scenario_actor("oversized", ns, runtime={"resources": resources}))
        first = await wait_for(scene.kube, ns, "oversized", "PendingResources")
        # More replicas of an actor no node can take: still failing, for one more pod.
        await patch_actor(scene.kube, ns, "oversized", {"spec": {"workload": {"replicas": 2}}})
        later = await eventually(
            lambda: status_of(scene.kube, "oversized", ns),
            lambda s: s.get("failingPods") == 2 and s.get("observedGeneration") == 2,
        )
    seen = trail.of("oversized")
    assert seen[seen.index("PendingResources") :] == ["PendingResources"]
    for kind in ("WorkloadReady", "Ready"):
        before, after = condition(first, kind), condition(later, kind)
        assert after["message"] != before["message"]
        assert "(and 1 more failing pods)" in after["message"]
        assert (after["status"], after["reason"]) == (before["status"], before["reason"])
        assert after["lastTransitionTime"] == before["lastTransitionTime"]
        assert (before["observedGeneration"], after["observedGeneration"]) == (1, 2)


async def test_deleting_an_actor_shows_terminating_and_removes_all_it_owned(
    scene: Stage, module_vhost: VirtualHost
) -> None:
    ns = await scene.namespace("deletion")
    body = scenario_actor("retiring", ns, replicas=2, scaling={"minReplicas": 1, "maxReplicas": 3})
    async with scene.trail(ns) as trail:
        await create(scene.kube, body)
        await wait_for(scene.kube, ns, "retiring", "Running")
        for resource, name in (
            (r.SCALED_OBJECTS, "retiring"),
            (r.TRIGGER_AUTHENTICATIONS, "retiring-trigger-auth"),
        ):
            assert await scene.get(resource, ns, name) is not None
        assert await queue_exists(module_vhost, "asya-retiring")

        errors = reconcile_errors(scene.controller)
        await scene.kube.request("DELETE", r.ASYNC_ACTORS.path(namespace=ns, name="retiring"))
        await eventually(lambda: scene.get(r.ASYNC_ACTORS, ns, "retiring"), lambda obj: obj is None)
        assert "retiring" in trail.deleted
    assert reconcile_errors(scene.controller) == errors
    assert trail.of("retiring")[-1] == "Terminating"
    for resource, name in (
        (r.SCALED_OBJECTS, "retiring"),
        (r.TRIGGER_AUTHENTICATIONS, "retiring-trigger-auth"),
        (r.DEPLOYMENTS, "retiring"),
    ):
        assert await scene.get(resource, ns, name) is None, resource
    assert not await queue_exists(module_vhost, "asya-retiring")
    reasons = {e["reason"] for e in await events_of(scene.kube, "retiring", ns)}
    assert "QueueDeleted" in reasons


async def test_deleting_a_namespace_full_of_actors_completes(scene: Stage, module_vhost: VirtualHost) -> None:
    ns = await scene.namespace("doomed")
    scaling = {"minReplicas": 1, "maxReplicas": 2}
    for body in (
        scenario_actor("one", ns, replicas=2),
        scenario_actor("two", ns, kind="StatefulSet", replicas=2),
        scenario_actor("three", ns, scaling=scaling),
        scenario_actor("four", ns, fail="crash-loop:asya-runtime"),
    ):
        await create(scene.kube, body)
    for name in ("one", "two", "three"):
        await wait_for(scene.kube, ns, name, "Running")
    await wait_for(scene.kube, ns, "four", "RuntimeError")

    errors = reconcile_errors(scene.controller)
    await scene.kube.request("DELETE", f"/api/v1/namespaces/{ns}")
    await eventually(lambda: scene.get(NAMESPACES, "", ns), lambda obj: obj is None, within=30)
    assert reconcile_errors(scene.controller) == errors
    for name in ("one", "two", "three", "four"):
        assert not await queue_exists(module_vhost, f"asya-{name}")
