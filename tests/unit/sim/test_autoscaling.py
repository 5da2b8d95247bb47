"""KEDA's 0 <-> 1 decisions and the HPA's 1 <-> N arithmetic."""

from __future__ import annotations

from typing import Any

from tests.kubeapi.sim.autoscaling import (
    DEFAULT_DOWN,
    DEFAULT_UP,
    HpaMemory,
    Proposal,
    Rules,
    hpa_replicas,
    keda_replicas,
    metric_proposal,
    record_scale,
    rules,
)

CONTRACT_UP = rules(
    {
        "stabilizationWindowSeconds": 0,
        "selectPolicy": "Max",
        "policies": [
            {"type": "Pods", "value": 10, "periodSeconds": 60},
            {"type": "Percent", "value": 100, "periodSeconds": 60},
        ],
    },
    DEFAULT_UP,
)
CONTRACT_DOWN = rules(
    {
        "stabilizationWindowSeconds": 300,
        "selectPolicy": "Max",
        "policies": [{"type": "Pods", "value": 1, "periodSeconds": 60}],
    },
    DEFAULT_DOWN,
)


def decide(**kw: object) -> int | None:
    args = {
        "current": 0,
        "active": False,
        "minimum": 0,
        "idle": None,
        "cooldown": 300.0,
        "last_active": None,
        "now": 1000.0,
    }
    return keda_replicas(**{**args, **kw})  # type: ignore[arg-type]


def test_activation_scales_from_zero_to_one_or_to_min() -> None:
    assert decide(active=True) == 1
    assert decide(active=True, minimum=3) == 3
    assert decide(active=True, current=4) is None


def test_inactive_scales_to_zero_only_after_the_cooldown() -> None:
    assert decide(current=2, last_active=900.0) is None
    assert decide(current=2, last_active=600.0) == 0
    assert decide(current=2, last_active=None) == 0


def test_inactive_with_a_minimum_keeps_the_minimum() -> None:
    assert decide(current=2, minimum=2, last_active=0.0) is None
    assert decide(current=1, minimum=2) == 2


def test_proposal_is_queue_over_target_rounded_up_within_tolerance() -> None:
    assert metric_proposal(23, 5, 1) == 5
    assert metric_proposal(0, 5, 3) == 0
    assert metric_proposal(10.5, 5, 2) == 2


def hpa(memory: HpaMemory, proposal: int, current: int, now: float, **overrides: Any) -> Proposal:
    """One HPA sync with the contract's behavior and bounds 1..10 unless overridden."""
    args: dict[str, Any] = {
        "minimum": 1,
        "maximum": 10,
        "up": CONTRACT_UP,
        "down": CONTRACT_DOWN,
        **overrides,
    }
    return hpa_replicas(proposal=proposal, current=current, memory=memory, now=now, **args)


def test_scale_up_is_bounded_by_max_and_by_the_rate_policies() -> None:
    result = hpa(HpaMemory(), 30, 1, 0.0, maximum=50)
    assert (result.replicas, result.limited) == (11, "ScaleUpLimit")
    result = hpa(HpaMemory(), 30, 1, 0.0, maximum=5)
    assert (result.replicas, result.limited) == (5, "TooManyReplicas")


def test_scale_down_waits_for_the_stabilization_window_then_one_pod_per_period() -> None:
    memory = HpaMemory()
    hpa(memory, 5, 5, 0.0)
    held = hpa(memory, 1, 5, 100.0)
    assert held.replicas == 5
    assert held.stabilized
    step = hpa(memory, 1, 5, 301.0)
    assert (step.replicas, step.limited) == (4, "ScaleDownLimit")
    record_scale(memory, 5, 4, 301.0, horizon=600)
    assert hpa(memory, 1, 4, 330.0).replicas == 4


def test_windows_and_periods_scale_with_the_time_knob() -> None:
    memory = HpaMemory()
    fast = {"up": DEFAULT_UP, "down": Rules(300, "Max", DEFAULT_DOWN.policies), "scale": 0.01}
    hpa(memory, 5, 5, 0.0, **fast)
    assert hpa(memory, 1, 5, 3.1, **fast).replicas == 1
