"""Built-in default columns, cell by cell as kube-apiserver's printers fill them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.kubeapi.printers import human_duration, printer_for, selector_string

NOW = datetime(2026, 5, 1, 12, 0, 0, tzinfo=UTC)


def ago(seconds: float) -> str:
    return (NOW - timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


def cells(group: str, resource: str, obj: dict[str, Any]) -> list[Any]:
    row, _ = printer_for(group, resource).row(obj, NOW)
    return row


def column_names(group: str, resource: str, *, wide: bool = False) -> list[str]:
    return [c["name"] for c in printer_for(group, resource).columns if wide or c["priority"] == 0]


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (-5, "<invalid>"),
        (-1, "0s"),
        (0, "0s"),
        (119, "119s"),
        (120, "2m"),
        (125, "2m5s"),
        (600, "10m"),
        (10799, "179m"),
        (3 * 3600, "3h"),
        (3 * 3600 + 1800, "3h30m"),
        (47 * 3600, "47h"),
        (2 * 86400, "2d"),
        (2 * 86400 + 5 * 3600, "2d5h"),
        (400 * 86400, "400d"),
        (2 * 365 * 86400, "2y"),
        (2 * 365 * 86400 + 10 * 86400, "2y10d"),
        (9 * 365 * 86400, "9y"),
    ],
)
def test_human_duration_matches_apimachinery(seconds: int, text: str) -> None:
    assert human_duration(seconds) == text


# --- pods ---------------------------------------------------------------------------------------------------


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
    assert column_names("", "pods") == ["Name", "Ready", "Status", "Restarts", "Age"]
    assert column_names("", "pods", wide=True)[5:] == ["IP", "Node", "Nominated Node", "Readiness Gates"]
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


# --- other built-ins ----------------------------------------------------------------------------------------


def meta(name: str = "x", **more: Any) -> dict[str, Any]:
    return {"name": name, "creationTimestamp": ago(90), **more}


@pytest.mark.parametrize(
    ("group", "resource", "obj", "expected"),
    [
        ("", "namespaces", {"metadata": meta()}, ["x", "Active", "90s"]),
        ("", "namespaces", {"metadata": meta(deletionTimestamp=ago(1))}, ["x", "Terminating", "90s"]),
        (
            "",
            "configmaps",
            {"metadata": meta(), "data": {"a": "1"}, "binaryData": {"b": ""}},
            ["x", 2, "90s"],
        ),
        ("", "secrets", {"metadata": meta(), "data": {"a": "MQ=="}}, ["x", "Opaque", 1, "90s"]),
        ("", "serviceaccounts", {"metadata": meta()}, ["x", 0, "90s"]),
        (
            "",
            "services",
            {
                "metadata": meta(),
                "spec": {"clusterIP": "None", "ports": [{"port": 8080}], "selector": {"app": "x", "a": "b"}},
            },
            ["x", "ClusterIP", "None", "<none>", "8080/TCP", "90s", "a=b,app=x"],
        ),
        (
            "",
            "services",
            {
                "metadata": meta(),
                "spec": {
                    "type": "NodePort",
                    "clusterIPs": ["10.0.0.1"],
                    "ports": [{"port": 80, "nodePort": 30080}],
                },
            },
            ["x", "NodePort", "10.0.0.1", "<none>", "80:30080/TCP", "90s", "<none>"],
        ),
        (
            "apps",
            "deployments",
            {
                "metadata": meta(),
                "spec": {
                    "selector": {"matchLabels": {"app": "x"}},
                    "template": {
                        "spec": {"containers": [{"name": "a", "image": "i:1"}, {"name": "b", "image": "j"}]}
                    },
                },
                "status": {"readyReplicas": 1, "updatedReplicas": 1, "availableReplicas": 1},
            },
            ["x", "1/1", 1, 1, "90s", "a,b", "i:1,j", "app=x"],
        ),
        (
            "apps",
            "statefulsets",
            {
                "metadata": meta(),
                "spec": {"replicas": 3, "template": {"spec": {"containers": [{"name": "a", "image": "i"}]}}},
            },
            ["x", "0/3", "90s", "a", "i"],
        ),
        (
            "coordination.k8s.io",
            "leases",
            {"metadata": meta(), "spec": {"holderIdentity": "pod-1"}},
            ["x", "pod-1", "90s"],
        ),
        (
            "apiextensions.k8s.io",
            "customresourcedefinitions",
            {"metadata": {"name": "a.b", "creationTimestamp": "2026-01-02T03:04:05Z"}},
            ["a.b", "2026-01-02T03:04:05Z"],
        ),
        ("example.com", "widgets", {"metadata": meta()}, ["x", "90s"]),
    ],
)
def test_builtin_cells(group: str, resource: str, obj: dict[str, Any], expected: list[Any]) -> None:
    assert cells(group, resource, obj) == expected


@pytest.mark.parametrize(
    ("group", "resource", "names"),
    [
        ("", "namespaces", ["Name", "Status", "Age"]),
        ("apps", "deployments", ["Name", "Ready", "Up-to-date", "Available", "Age"]),
        ("apps", "statefulsets", ["Name", "Ready", "Age"]),
        ("", "configmaps", ["Name", "Data", "Age"]),
        ("", "secrets", ["Name", "Type", "Data", "Age"]),
        ("", "services", ["Name", "Type", "Cluster-IP", "External-IP", "Port(s)", "Age"]),
        ("", "events", ["Last Seen", "Type", "Reason", "Object", "Message"]),
        (
            "autoscaling",
            "horizontalpodautoscalers",
            ["Name", "Reference", "Targets", "MinPods", "MaxPods", "Replicas", "Age"],
        ),
        ("coordination.k8s.io", "leases", ["Name", "Holder", "Age"]),
        ("apiextensions.k8s.io", "customresourcedefinitions", ["Name", "Created At"]),
    ],
)
def test_default_column_names(group: str, resource: str, names: list[str]) -> None:
    assert column_names(group, resource) == names


def test_event_cells_name_the_object_and_source() -> None:
    event = {
        "metadata": meta("p.1"),
        "type": "Warning",
        "reason": "BackOff",
        "message": " Back-off restarting failed container ",
        "involvedObject": {"kind": "Pod", "name": "p", "fieldPath": "spec.containers{c0}"},
        "source": {"component": "kubelet", "host": "node-1"},
        "firstTimestamp": ago(600),
        "lastTimestamp": ago(30),
        "count": 7,
    }
    assert cells("", "events", event) == [
        "30s",
        "Warning",
        "BackOff",
        "pod/p",
        "spec.containers{c0}",
        "kubelet, node-1",
        "Back-off restarting failed container",
        "10m",
        7,
        "p.1",
    ]


def test_a_new_style_event_uses_event_time_and_counts_one() -> None:
    event = {"metadata": meta("e"), "eventTime": "2026-05-01T11:59:00.000000Z", "reportingComponent": "ctl"}
    row = cells("", "events", event)
    assert (row[0], row[5], row[7], row[8]) == ("60s", "ctl", "60s", 1)


def test_hpa_targets_show_keda_external_metrics() -> None:
    hpa = {
        "metadata": meta("keda-hpa-echo"),
        "spec": {
            "scaleTargetRef": {"kind": "Deployment", "name": "echo"},
            "minReplicas": 1,
            "maxReplicas": 10,
            "metrics": [
                {
                    "type": "External",
                    "external": {
                        "metric": {"name": "s0-queue"},
                        "target": {"type": "AverageValue", "averageValue": "5"},
                    },
                },
                {
                    "type": "Resource",
                    "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}},
                },
                {"type": "Pods", "pods": {"metric": {"name": "m"}, "target": {"averageValue": "1"}}},
            ],
        },
        "status": {
            "currentReplicas": 2,
            "currentMetrics": [{"type": "External", "external": {"current": {"averageValue": "3"}}}],
        },
    }
    assert cells("autoscaling", "horizontalpodautoscalers", hpa) == [
        "keda-hpa-echo",
        "Deployment/echo",
        "3/5 (avg), cpu: <unknown>/80% + 1 more...",
        "1",
        10,
        2,
        "90s",
    ]


@pytest.mark.parametrize(
    ("selector", "text"),
    [
        (None, ""),
        ({}, ""),
        ({"matchLabels": {"b": "2", "a": "1"}}, "a=1,b=2"),
        (
            {
                "matchExpressions": [
                    {"key": "z", "operator": "Exists"},
                    {"key": "e", "operator": "In", "values": ["y", "x"]},
                ]
            },
            "e in (x,y),z",
        ),
        ({"matchExpressions": [{"key": "k", "operator": "DoesNotExist"}]}, "!k"),
        ({"matchExpressions": [{"key": "k", "operator": "NotIn", "values": ["a"]}]}, "k notin (a)"),
    ],
)
def test_selectors_print_as_label_selector_strings(selector: dict[str, Any] | None, text: str) -> None:
    assert selector_string(selector) == text
