"""The status the baseline writes is the one the controller writes for a ready actor."""

from __future__ import annotations

from datetime import UTC, datetime

from controller.actor.pods import classify_pods
from tests.bench.rig.actors import actor_manifest
from tests.bench.rig.baseline import ready_pod, running_status


def test_a_ready_pod_is_running() -> None:
    (state,) = classify_pods([ready_pod("p")], [], now=datetime.now(UTC))
    assert state.phase == "running"


def test_the_baseline_status_shows_running_with_every_replica_for_the_first_generation() -> None:
    actor = actor_manifest("a", namespace="bench", replicas=2)
    actor["metadata"].update(generation=1, uid="u")

    body = running_status(actor, replicas=2, now=datetime.now(UTC))

    assert body["metadata"] == {"name": "a", "namespace": "bench"}
    status = body["status"]
    assert (
        status["status"],
        status["observedGeneration"],
        status["replicas"],
        status["desiredReplicas"],
    ) == (
        "Running",
        1,
        2,
        2,
    )
    assert {c["type"]: c["status"] for c in status["conditions"]}["Ready"] == "True"
