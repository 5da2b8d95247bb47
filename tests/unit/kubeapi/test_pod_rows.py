"""Pod rows: READY, STATUS and RESTARTS as kube-apiserver's printPod computes them."""

from __future__ import annotations

from typing import Any

import pytest

from tests.kubeapi.printers import printer_for
from tests.unit.kubeapi.samples import NOW, ago, cells


def pod(
    *,
    phase: str = "Running",
    containers: int = 1,
    statuses: list[dict[str, Any]] | None = None,
    init: list[dict[str, Any]] | None = None,
    init_statuses: list[dict[str, Any]] | None = None,
    conditions: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "metadata": {"name": "p", "creationTimestamp": ago(300)},
        "spec": {"containers": [{"name": f"c{i}", "image": "img"} for i in range(containers)]},
        "status": {"phase": phase},
    }
    if init is not None:
        body["spec"]["initContainers"] = init
    if statuses is not None:
        body["status"]["containerStatuses"] = statuses
    if init_statuses is not None:
        body["status"]["initContainerStatuses"] = init_statuses
    if conditions is not None:
        body["status"]["conditions"] = conditions
    for key, value in extra.items():
        section, _, field = key.partition("__")
        body[section][field] = value
    return body


def running(ready: bool = True, restarts: int = 0, **more: Any) -> dict[str, Any]:
    return {"name": "c0", "ready": ready, "restartCount": restarts, "state": {"running": {}}, **more}


def waiting(reason: str, restarts: int = 0, **more: Any) -> dict[str, Any]:
    return {
        "name": "c0",
        "ready": False,
        "restartCount": restarts,
        "state": {"waiting": {"reason": reason}},
        **more,
    }


def terminated(reason: str = "", code: int = 0, name: str = "c0", **more: Any) -> dict[str, Any]:
    state: dict[str, Any] = {"exitCode": code}
    if reason:
        state["reason"] = reason
    return {"name": name, "ready": False, "restartCount": 0, "state": {"terminated": state}, **more}


LAST_CRASH = {"lastState": {"terminated": {"exitCode": 1, "finishedAt": ago(40)}}}
SIDECAR = {"name": "sidecar", "restartPolicy": "Always"}


@pytest.mark.parametrize(
    ("obj", "ready", "status", "restarts"),
    [
        pytest.param(pod(phase="Pending"), "0/1", "Pending", "0", id="pending"),
        pytest.param(
            pod(phase="Pending", statuses=[waiting("ContainerCreating")]), "0/1", "ContainerCreating", "0"
        ),
        pytest.param(pod(statuses=[running()]), "1/1", "Running", "0", id="running"),
        pytest.param(pod(statuses=[running(ready=False)]), "0/1", "Running", "0", id="running not ready"),
        pytest.param(
            pod(statuses=[waiting("CrashLoopBackOff", restarts=5, **LAST_CRASH)]),
            "0/1",
            "CrashLoopBackOff",
            "5 (40s ago)",
            id="crash loop",
        ),
        pytest.param(
            pod(phase="Pending", statuses=[waiting("ImagePullBackOff")]), "0/1", "ImagePullBackOff", "0"
        ),
        pytest.param(pod(phase="Pending", statuses=[waiting("ErrImagePull")]), "0/1", "ErrImagePull", "0"),
        pytest.param(
            pod(phase="Pending", statuses=[waiting("CreateContainerConfigError")]),
            "0/1",
            "CreateContainerConfigError",
            "0",
        ),
        pytest.param(
            pod(
                phase="Pending",
                init=[{"name": "i0"}],
                init_statuses=[{"name": "i0", "restartCount": 0, "state": {"running": {}}}],
                statuses=[waiting("PodInitializing")],
            ),
            "0/1",
            "Init:0/1",
            "0",
            id="init running",
        ),
        pytest.param(
            pod(
                phase="Pending",
                init=[{"name": "i0"}],
                init_statuses=[
                    {"name": "i0", "restartCount": 3, "state": {"waiting": {"reason": "CrashLoopBackOff"}}}
                ],
            ),
            "0/1",
            "Init:CrashLoopBackOff",
            "3",
            id="init crash loop",
        ),
        pytest.param(
            pod(phase="Pending", init=[{"name": "i0"}], init_statuses=[terminated("Error", 1, name="i0")]),
            "0/1",
            "Init:Error",
            "0",
            id="init error",
        ),
        pytest.param(
            pod(phase="Pending", init=[{"name": "i0"}], init_statuses=[terminated("", 2, name="i0")]),
            "0/1",
            "Init:ExitCode:2",
            "0",
            id="init exit code",
        ),
        pytest.param(
            pod(phase="Succeeded", statuses=[terminated("Completed", 0)]),
            "0/1",
            "Completed",
            "0",
            id="completed",
        ),
        pytest.param(pod(phase="Failed", statuses=[terminated("Error", 1)]), "0/1", "Error", "0", id="error"),
        pytest.param(pod(phase="Failed", statuses=[terminated("", 137)]), "0/1", "ExitCode:137", "0"),
        pytest.param(pod(phase="Failed", status__reason="Evicted"), "0/1", "Evicted", "0", id="evicted"),
        pytest.param(
            pod(statuses=[running()], metadata__deletionTimestamp=ago(1)),
            "1/1",
            "Terminating",
            "0",
            id="deleting",
        ),
        pytest.param(
            pod(statuses=[running()], metadata__deletionTimestamp=ago(1), status__reason="NodeLost"),
            "1/1",
            "Unknown",
            "0",
            id="node lost",
        ),
        pytest.param(
            pod(
                containers=2,
                statuses=[terminated("Completed", 0, name="c0"), running(name="c1")],
                conditions=[{"type": "Ready", "status": "False"}],
            ),
            "1/2",
            "NotReady",
            "0",
            id="completed container beside a running one",
        ),
        pytest.param(
            pod(
                init=[SIDECAR],
                init_statuses=[
                    {
                        "name": "sidecar",
                        "ready": True,
                        "started": True,
                        "restartCount": 1,
                        "state": {"running": {}},
                    }
                ],
                statuses=[running()],
            ),
            "2/2",
            "Running",
            "1",
            id="native sidecar",
        ),
        pytest.param(
            pod(
                phase="Pending",
                conditions=[{"type": "PodScheduled", "status": "False", "reason": "SchedulingGated"}],
            ),
            "0/1",
            "SchedulingGated",
            "0",
        ),
        pytest.param(
            pod(
                phase="Pending",
                conditions=[{"type": "PodScheduled", "status": "False", "reason": "Unschedulable"}],
            ),
            "0/1",
            "Pending",
            "0",
            id="unschedulable",
        ),
    ],
)
def test_pod_status_follows_print_pod(obj: dict[str, Any], ready: str, status: str, restarts: str) -> None:
    assert cells("", "pods", obj)[1:4] == [ready, status, restarts]


def test_pod_columns_and_wide_cells() -> None:
    obj = pod(statuses=[running()], spec__nodeName="node-1", status__podIP="10.0.0.5")
    assert cells("", "pods", obj) == [
        "p",
        "1/1",
        "Running",
        "0",
        "5m",
        "10.0.0.5",
        "node-1",
        "<none>",
        "<none>",
    ]


def test_readiness_gates_count_true_conditions() -> None:
    obj = pod(
        statuses=[running()],
        spec__readinessGates=[{"conditionType": "a"}, {"conditionType": "b"}],
        conditions=[{"type": "a", "status": "True"}, {"type": "b", "status": "False"}],
    )
    assert cells("", "pods", obj)[8] == "1/2"


def test_finished_pods_carry_the_completed_row_condition() -> None:
    _, conditions = printer_for("", "pods").row(pod(phase="Succeeded"), NOW)
    assert conditions == [
        {
            "type": "Completed",
            "status": "True",
            "reason": "Succeeded",
            "message": "The pod has completed successfully.",
        }
    ]
