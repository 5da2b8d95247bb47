"""The scheduler's filters, each with the reason a real scheduler reports."""

from __future__ import annotations

from typing import Any

from tests.kubeapi.sim.quantity import Resources
from tests.kubeapi.sim.scheduler import Node, fit_reasons

NODE = Node("n1", cpu=2.0, memory=4 * 2**30, pods=3, labels={"disk": "ssd"})


def pod(cpu: str = "500m", **spec: Any) -> dict[str, Any]:
    return {"spec": {"containers": [{"name": "a", "resources": {"requests": {"cpu": cpu}}}], **spec}}


def test_a_pod_that_fits_has_no_reasons() -> None:
    assert fit_reasons(pod(), NODE, Resources(), 0, forced=False) == []


def test_requests_beyond_what_is_left_are_insufficient() -> None:
    assert fit_reasons(pod("1500m"), NODE, Resources(cpu=1.0), 0, forced=False) == ["Insufficient cpu"]


def test_a_full_node_has_too_many_pods() -> None:
    assert fit_reasons(pod(), NODE, Resources(), 3, forced=False) == ["Too many pods"]


def test_cordoned_tainted_and_unselected_nodes_are_filtered_first() -> None:
    cordoned = Node("n2", cpu=2.0, memory=1.0, unschedulable=True)
    assert fit_reasons(pod(), cordoned, Resources(), 0, forced=False) == ["node(s) were unschedulable"]
    tainted = Node(
        "n3", cpu=2.0, memory=1.0, taints=({"key": "gpu", "value": "yes", "effect": "NoSchedule"},)
    )
    assert fit_reasons(pod(), tainted, Resources(), 0, forced=False) == [
        "node(s) had untolerated taint {gpu: yes}"
    ]
    tolerated = pod(tolerations=[{"key": "gpu", "operator": "Exists"}])
    assert fit_reasons(tolerated, tainted, Resources(), 0, forced=False) == []
    assert fit_reasons(pod(nodeSelector={"disk": "hdd"}), NODE, Resources(), 0, forced=False) == [
        "node(s) didn't match Pod's node affinity/selector"
    ]


def test_the_unschedulable_mode_reports_insufficient_cpu_everywhere() -> None:
    assert fit_reasons(pod("1m"), NODE, Resources(), 0, forced=True) == ["Insufficient cpu"]
