"""The arithmetic of the workload controllers: rollout bounds, deletion order, StatefulSet ordinals."""

from __future__ import annotations

from typing import Any

from tests.kubeapi.sim.deployments import surge_and_unavailable
from tests.kubeapi.sim.replicasets import deletion_rank
from tests.kubeapi.sim.statefulsets import ordinal


def rolling(**strategy: Any) -> dict[str, Any]:
    return {"spec": {"strategy": {"type": "RollingUpdate", "rollingUpdate": strategy}}}


def test_default_rollout_surges_25_percent_up_and_loses_25_percent_down() -> None:
    assert surge_and_unavailable({"spec": {}}, 3) == (1, 0)
    assert surge_and_unavailable({"spec": {}}, 10) == (3, 2)


def test_zero_surge_and_zero_unavailable_still_lets_one_pod_go() -> None:
    assert surge_and_unavailable(rolling(maxSurge=0, maxUnavailable=0), 3) == (0, 1)


def test_absolute_rollout_bounds() -> None:
    assert surge_and_unavailable(rolling(maxSurge=2, maxUnavailable="50%"), 4) == (2, 2)


def pod(
    name: str, *, node: str = "n", phase: str = "Running", ready: bool = True, restarts: int = 0
) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "creationTimestamp": f"2026-01-01T00:00:0{name[-1]}Z"},
        "spec": {"nodeName": node} if node else {},
        "status": {
            "phase": phase,
            "conditions": [
                {
                    "type": "Ready",
                    "status": "True" if ready else "False",
                    "lastTransitionTime": "2026-01-01T00:00:00Z",
                }
            ],
            "containerStatuses": [{"restartCount": restarts}],
        },
    }


def test_scale_down_removes_unscheduled_then_pending_then_unready_pods_first() -> None:
    pods = [
        pod("p1"),
        pod("p2", ready=False),
        pod("p3", phase="Pending", ready=False),
        pod("p4", node="", ready=False),
    ]
    assert [p["metadata"]["name"] for p in sorted(pods, key=deletion_rank)] == ["p4", "p3", "p2", "p1"]


def test_more_restarts_go_before_fewer() -> None:
    pods = [pod("p1", restarts=1), pod("p2", restarts=5)]
    assert [p["metadata"]["name"] for p in sorted(pods, key=deletion_rank)] == ["p2", "p1"]


def test_ordinals_belong_to_their_statefulset_only() -> None:
    assert ordinal({"metadata": {"name": "db-12"}}, "db") == 12
    assert ordinal({"metadata": {"name": "db-x"}}, "db") is None
    assert ordinal({"metadata": {"name": "web-db-1"}}, "db") is None
