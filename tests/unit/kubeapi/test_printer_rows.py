"""Cells of the other built-in resources, as kube-apiserver's printers fill them."""

from __future__ import annotations

from typing import Any

import pytest

from tests.kubeapi.printer_rows import human_duration, selector_string
from tests.unit.kubeapi.samples import ago, cells


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
