"""The pod status the simulated kubelet writes has the real kubelet's shape."""

from __future__ import annotations

from tests.kubeapi.sim.podstatus import ContainerRecord, PodRecord, qos_class

T0, T1, T2 = "2026-01-01T00:00:00Z", "2026-01-01T00:00:01Z", "2026-01-01T00:00:02Z"


def record() -> PodRecord:
    return PodRecord(
        uid="u-1",
        name="web-abc",
        namespace="ns",
        node="node-1",
        host_ip="172.18.0.2",
        pod_ip="10.244.1.2",
        start_time=T0,
        scheduled_at=T0,
        qos="BestEffort",
        containers=[ContainerRecord("app", "nginx:1.25")],
    )


def test_a_starting_pod_is_pending_with_its_container_creating() -> None:
    status = record().status(T0)
    assert status["phase"] == "Pending"
    assert [c["type"] for c in status["conditions"]] == [
        "PodReadyToStartContainers",
        "Initialized",
        "Ready",
        "ContainersReady",
        "PodScheduled",
    ]
    ready = next(c for c in status["conditions"] if c["type"] == "Ready")
    assert ready["status"] == "False"
    assert ready["reason"] == "ContainersNotReady"
    assert ready["message"] == "containers with unready status: [app]"
    assert status["containerStatuses"][0]["state"] == {"waiting": {"reason": "ContainerCreating"}}
    assert "podIP" not in status


def test_a_ready_pod_runs_with_qualified_image_and_ids() -> None:
    pod = record()
    pod.status(T0)
    pod.sandbox_ready = True
    pod.containers[0].run(T1, pod_uid=pod.uid, started=True)
    pod.containers[0].ready = True
    status = pod.status(T2)
    assert status["phase"] == "Running"
    assert all(c["status"] == "True" for c in status["conditions"])
    container = status["containerStatuses"][0]
    assert container["image"] == "docker.io/library/nginx:1.25"
    assert container["imageID"].startswith("docker.io/library/nginx@sha256:")
    assert container["containerID"].startswith("containerd://")
    assert container["state"] == {"running": {"startedAt": T1}}
    assert status["podIP"] == "10.244.1.2"


def test_transition_time_changes_only_when_a_condition_flips() -> None:
    pod = record()
    pod.status(T0)
    pod.sandbox_ready = True
    status = pod.status(T1)
    times = {c["type"]: c["lastTransitionTime"] for c in status["conditions"]}
    assert times["PodReadyToStartContainers"] == T1
    assert times["Ready"] == T0


def test_a_restart_keeps_the_last_termination_and_counts() -> None:
    container = ContainerRecord("app", "nginx")
    container.run(T0, pod_uid="u", started=True)
    container.terminate(T1, reason="Error", exit_code=1)
    container.restart()
    container.run(T1, pod_uid="u", started=True)
    container.terminate(T2, reason="Error", exit_code=1)
    container.hold_back("CrashLoopBackOff", "back-off 10s restarting failed container=app pod=p_ns(u)")
    rendered = container.render()
    assert rendered["restartCount"] == 1
    assert rendered["lastState"]["terminated"]["finishedAt"] == T2
    assert rendered["lastState"]["terminated"]["exitCode"] == 1
    assert rendered["lastState"]["terminated"]["reason"] == "Error"
    assert rendered["state"]["waiting"]["reason"] == "CrashLoopBackOff"


def test_qos_classes() -> None:
    assert qos_class({"containers": [{"name": "a"}]}) == "BestEffort"
    same = {"cpu": "1", "memory": "1Gi"}
    assert (
        qos_class({"containers": [{"name": "a", "resources": {"requests": same, "limits": same}}]})
        == "Guaranteed"
    )
    assert qos_class({"containers": [{"name": "a", "resources": {"requests": {"cpu": "1"}}}]}) == "Burstable"
