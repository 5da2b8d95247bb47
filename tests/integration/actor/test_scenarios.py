"""End to end: the real controller on a simulated cluster with a real RabbitMQ node, one status at a time.

Each test makes pods run, start or fail for a realistic cause (a slow start, an image from an unreachable
registry, a crashing handler or sidecar, too little CPU, a missing ConfigMap, Secret or key, ...) and reads
the actor's status as a person would: through the API, ``kubectl get asya -o wide``, ``kubectl wait`` and the
Events ``kubectl describe`` shows. One cluster and one controller serve the whole module; each test works in
its own namespace.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from controller.actor import resources as r
from tests.integration.actor.harness import (
    condition,
    create,
    create_secret,
    events_of,
    rabbitmq_transport,
    transport_env,
)
from tests.integration.actor.scenario import Stage, live_pods, scenario_actor, stage, wait_for
from tests.services.polling import eventually
from tests.services.rabbitmq import VirtualHost

pytestmark = pytest.mark.asyncio(loop_scope="module")

HANDLER = {"name": "ASYA_HANDLER", "value": "handlers.process"}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def scene(module_vhost: VirtualHost) -> AsyncIterator[Stage]:
    async with stage(env=transport_env(rabbitmq_transport(module_vhost))) as running:
        yield running


def workload_ready(status: dict[str, Any]) -> tuple[str, str, str]:
    found = condition(status, "WorkloadReady")
    return found.get("status", ""), found.get("reason", ""), found.get("message", "")


async def shows(
    scene: Stage, body: dict[str, Any], expected: str, *, reason: str = ""
) -> tuple[dict[str, Any], str]:
    """Creates the actor; its status once that is ``expected``, with WorkloadReady False for ``reason``
    (default: the status itself), and that condition's message."""
    meta = body["metadata"]
    await create(scene.kube, body)
    status = await wait_for(scene.kube, meta["namespace"], meta["name"], expected)
    state, found, message = workload_ready(status)
    assert (state, found) == ("False", reason or expected)
    return status, message


def wide_rows(output: str) -> dict[str, dict[str, str]]:
    """``kubectl get -o wide`` as {name: {column: value}}; empty cells are read by column position."""
    lines = output.rstrip("\n").splitlines()
    header = lines[0]
    names = header.split()
    starts = [header.index(f" {name}") + 1 if i else 0 for i, name in enumerate(names)]
    rows = {}
    for line in lines[1:]:
        cells = [line[start:end].strip() for start, end in zip(starts, [*starts[1:], None], strict=True)]
        rows[cells[0]] = dict(zip(names, cells, strict=True))
    return rows


async def test_a_deployment_actor_runs_three_of_three_as_kubectl_shows_it(scene: Stage) -> None:
    ns = await scene.namespace("running-deployment")
    await create(scene.kube, scenario_actor("text-processor", ns, replicas=3))
    waited = await scene.kubectl(
        "wait", "-n", ns, "--for=condition=Ready", "asyncactor/text-processor", "--timeout=30s"
    )
    assert "asyncactor.asya.sh/text-processor condition met" in waited
    status = await wait_for(scene.kube, ns, "text-processor", "Running")
    assert (status["replicas"], status["totalReplicas"], status["desiredReplicas"]) == (3, 3, 3)
    assert (status["pendingReplicas"], status["failingPods"]) == (0, 0)
    assert workload_ready(status) == ("True", "ReplicasReady", "3/3 replicas ready")
    assert len(await live_pods(scene.kube, ns, "text-processor")) == 3

    row = wide_rows(await scene.kubectl("get", "asya", "-n", ns, "-o", "wide"))["text-processor"]
    shown = {k: row[k] for k in ("STATUS", "RUNNING", "PENDING", "FAILING", "TOTAL", "DESIRED")}
    assert shown == {
        "STATUS": "Running",
        "RUNNING": "3",
        "PENDING": "0",
        "FAILING": "0",
        "TOTAL": "3",
        "DESIRED": "3",
    }
    assert (row["READY"], row["WORKLOAD"], row["TRANSPORT"], row["SCALING"]) == (
        "True",
        "Deployment",
        "Ready",
        "Manual",
    )
    assert (row["LAST-SCALE"], row["QUEUED"]) == ("-", "0")


async def test_a_statefulset_actor_runs_three_of_three_behind_a_headless_service(scene: Stage) -> None:
    ns = await scene.namespace("running-statefulset")
    await create(scene.kube, scenario_actor("ledger", ns, replicas=3, kind="StatefulSet"))
    status = await wait_for(scene.kube, ns, "ledger", "Running")
    assert (status["replicas"], status["totalReplicas"], status["desiredReplicas"]) == (3, 3, 3)
    assert status["workloadRef"]["kind"] == "StatefulSet"
    service = await scene.get(r.SERVICES, ns, "ledger")
    assert service is not None
    assert service["spec"]["clusterIP"] == "None"
    names = sorted(p["metadata"]["name"] for p in await live_pods(scene.kube, ns, "ledger"))
    assert names == ["ledger-0", "ledger-1", "ledger-2"]


async def test_a_new_actor_is_creating_then_scaling_up_while_pods_start_slowly(scene: Stage) -> None:
    ns = await scene.namespace("slow-start")
    async with scene.trail(ns) as trail:
        await create(scene.kube, scenario_actor("warming", ns, replicas=3, fail="slow-start"))
        starting = await wait_for(scene.kube, ns, "warming", "ScalingUp")
        assert starting["replicas"] < starting["desiredReplicas"] == 3
        assert workload_ready(starting)[:2] == ("Unknown", "ReplicasNotReady")
        assert condition(starting, "Ready")["status"] == "False"
        seen = await trail.until("warming", "Running")
    # First seen before its Deployment controller has observed the Deployment.
    assert seen[0] == "Creating"
    assert "ScalingUp" in seen
    assert seen.index("ScalingUp") < seen.index("Running")


async def test_an_image_from_an_unreachable_registry_is_an_image_pull_error_with_an_event(
    scene: Stage,
) -> None:
    ns = await scene.namespace("image-pull")
    image = "registry.invalid.example/asya/handler:1.0"
    status, message = await shows(
        scene, scenario_actor("puller", ns, runtime={"image": image}), "ImagePullError"
    )
    assert "container asya-runtime in" in message
    assert image in message
    assert "no such host" in message
    assert status["failingPods"] == 1
    described = await eventually(
        lambda: scene.kubectl("describe", "asyncactor", "-n", ns, "puller"),
        lambda text: "Warning  ImagePullError" in text,
    )
    assert "asya-controller" in described.split("Events:")[1]


async def test_a_crashing_handler_is_a_runtime_error(scene: Stage) -> None:
    ns = await scene.namespace("runtime-crash")
    status, message = await shows(
        scene, scenario_actor("crasher", ns, fail="crash-loop:asya-runtime"), "RuntimeError"
    )
    assert "container asya-runtime" in message
    assert "CrashLoopBackOff" in message or "restarting" in message
    assert condition(status, "Ready")["message"] == message
    events = await eventually(
        lambda: events_of(scene.kube, "crasher", ns),
        lambda items: any(e["reason"] == "RuntimeError" for e in items),
    )
    assert {e["type"] for e in events if e["reason"] == "RuntimeError"} == {"Warning"}


async def test_a_crashing_sidecar_is_a_sidecar_error(scene: Stage) -> None:
    ns = await scene.namespace("sidecar-crash")
    _status, message = await shows(
        scene, scenario_actor("routed", ns, fail="crash-loop:asya-sidecar"), "SidecarError"
    )
    assert "container asya-sidecar" in message


async def test_a_pod_no_node_has_cpu_for_is_pending_resources(scene: Stage) -> None:
    ns = await scene.namespace("pending-resources")
    resources = {"requests": {"cpu": "6", "memory": "1Gi"}}
    status, message = await shows(
        scene, scenario_actor("hungry", ns, runtime={"resources": resources}), "PendingResources"
    )
    assert "0/2 nodes are available: 2 Insufficient cpu." in message
    assert (status["failingPods"], status["replicas"]) == (1, 0)


async def test_a_missing_configmap_volume_is_a_volume_error(scene: Stage) -> None:
    ns = await scene.namespace("volume")
    body = scenario_actor(
        "configured",
        ns,
        runtime={"volumeMounts": [{"name": "cfg", "mountPath": "/etc/app"}]},
        volumes=[{"name": "cfg", "configMap": {"name": "app-config"}}],
    )
    _status, message = await shows(scene, body, "VolumeError")
    assert 'MountVolume.SetUp failed for volume "cfg" : configmap "app-config" not found' in message


async def test_a_missing_key_of_a_secret_in_the_env_is_a_config_error(scene: Stage) -> None:
    ns = await scene.namespace("config-key")
    await create_secret(scene.kube, "db-credentials", namespace=ns, username="app")
    password = {"secretKeyRef": {"name": "db-credentials", "key": "password"}}
    body = scenario_actor(
        "db-writer", ns, runtime={"env": [HANDLER, {"name": "DB_PASSWORD", "valueFrom": password}]}
    )
    _status, message = await shows(scene, body, "ConfigError")
    assert "CreateContainerConfigError" in message
    assert f"couldn't find key password in Secret {ns}/db-credentials" in message


async def test_a_runtime_without_asya_handler_is_a_config_error(scene: Stage) -> None:
    ns = await scene.namespace("config-handler")
    body = scenario_actor(
        "headless", ns, runtime={"env": [{"name": "ASYA_HANDLER_MODE", "value": "payload"}]}
    )
    _status, message = await shows(scene, body, "ConfigError")
    assert "has no ASYA_HANDLER environment variable" in message


async def test_missing_transport_credentials_are_a_config_error_until_the_secret_exists(scene: Stage) -> None:
    ns = await scene.namespace("config-credentials", credentials=False)
    await create(scene.kube, scenario_actor("locked-out", ns))
    status = await wait_for(scene.kube, ns, "locked-out", "ConfigError")
    transport = condition(status, "TransportReady")
    assert (transport["status"], transport["reason"]) == ("Unknown", "SecretNotFound")
    assert "rabbitmq-credentials" in workload_ready(status)[2]
    assert status["transportStatus"] == "NotReady"

    # Creating the Secret is enough: the kubelet retries the pod, the controller its queue check.
    await create_secret(scene.kube, "rabbitmq-credentials", namespace=ns, password="guest")
    recovered = await wait_for(scene.kube, ns, "locked-out", "Running", within=30)
    assert condition(recovered, "TransportReady")["status"] == "True"


async def test_a_crashing_container_of_no_asya_role_is_a_workload_error(scene: Stage) -> None:
    ns = await scene.namespace("workload-pods")
    shipper = {"name": "log-shipper", "image": "fluent/fluent-bit:3.1"}
    body = scenario_actor("shipping", ns, containers=[shipper], fail="crash-loop:log-shipper")
    _status, message = await shows(scene, body, "WorkloadError", reason="PodsFailing")
    assert "container log-shipper" in message


async def test_a_pod_label_that_would_break_the_selector_is_a_workload_error(scene: Stage) -> None:
    ns = await scene.namespace("workload-spec")
    body = scenario_actor("mislabelled", ns)
    body["spec"]["workload"]["template"]["metadata"] = {"labels": {"app": "billing"}}
    _status, message = await shows(scene, body, "WorkloadError", reason="InvalidSpec")
    assert "app=billing" in message
    assert await scene.get(r.DEPLOYMENTS, ns, "mislabelled") is None
