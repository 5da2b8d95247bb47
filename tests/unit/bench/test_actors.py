"""The benchmark's pod changes, status comparisons, percentiles and watch board."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from controller.actor import resources as r
from controller.actor.pods import classify_pod
from controller.kube.resources import Obj
from tests.bench.pods import pod as realistic_pod
from tests.bench.rig.actors import (
    RUNTIME,
    Board,
    crashed,
    percentile,
    pod_ready,
    recovered,
    status_changes,
    status_is,
)

NOW = datetime(2026, 1, 1, 10, 5, tzinfo=UTC)


def ready_pod() -> Obj:
    body = realistic_pod(1)
    for container in (*body["spec"]["containers"], *body["status"]["containerStatuses"]):
        if container["name"] == "runtime":
            container["name"] = RUNTIME
    return body


def test_a_crashed_pod_is_failing_with_the_runtime_in_crash_loop() -> None:
    pod = ready_pod()
    pod["status"] = {**pod["status"], **crashed(pod["status"], pod="p", now="2026-01-01T10:04:00Z")}

    state = classify_pod(pod, [], now=NOW)

    assert state is not None
    assert state.phase == "failing"
    assert [(c.container, c.reason) for c in state.causes] == [(RUNTIME, "CrashLoopBackOff")]


def test_a_recovered_pod_is_running_again() -> None:
    pod = ready_pod()
    broken = crashed(pod["status"], pod="p", now="2026-01-01T10:04:00Z")
    pod["status"] = {**pod["status"], **recovered(broken, now="2026-01-01T10:04:30Z")}

    state = classify_pod(pod, [], now=NOW)

    assert state is not None
    assert state.phase == "running"


def test_percentile_is_the_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert (percentile(values, 50), percentile(values, 99), percentile(values, 100)) == (50.0, 99.0, 100.0)
    assert percentile([3.0], 99) == 3.0
    with pytest.raises(ValueError, match="no values"):
        percentile([], 50)


def test_status_changes_name_the_fields_and_conditions_that_differ() -> None:
    before = {"ns/a": {"status": {"status": "Running", "conditions": [{"type": "Ready", "status": "True"}]}}}
    after = {
        "ns/a": {
            "status": {
                "status": "Running",
                "processingMessages": 0,
                "conditions": [{"type": "Ready", "status": "False"}],
            }
        },
        "ns/b": {"status": {"status": "Creating"}},  # only in one view: not compared
    }

    changes = status_changes(before, after)

    assert changes == [
        "ns/a: condition Ready {'type': 'Ready', 'status': 'True'} → {'type': 'Ready', 'status': 'False'}",
        "ns/a: processingMessages None → 0",
    ]
    assert status_changes(after, after) == []


def test_status_is_requires_the_status_to_describe_the_current_generation() -> None:
    running = status_is("Running")
    obj: Obj = {"metadata": {"generation": 2}, "status": {"status": "Running", "observedGeneration": 1}}
    assert not running(obj)
    obj["status"]["observedGeneration"] = 2
    assert running(obj)
    assert not running(None)


def actor(name: str, status: str, generation: int = 1) -> Obj:
    return {
        "metadata": {"name": name, "namespace": "ns", "generation": generation},
        "status": {"status": status, "observedGeneration": generation},
    }


async def test_a_waiter_resolves_on_the_first_later_arrival_that_meets_it() -> None:
    board = Board()
    board.upsert(r.ASYNC_ACTORS, actor("a", "Running"))
    failing = board.when("ns", "a", status_is("RuntimeError"))
    running = board.when("ns", "a", status_is("Running"))  # already Running: waits for the next arrival

    board.upsert(r.ASYNC_ACTORS, actor("a", "Creating"))
    assert not failing.done()
    assert not running.done()
    board.upsert(r.ASYNC_ACTORS, actor("a", "RuntimeError"))
    assert failing.done()
    assert not running.done()
    board.upsert(r.ASYNC_ACTORS, actor("a", "Running"))
    assert running.done()
    assert running.result() >= failing.result()


async def test_a_group_resolves_when_all_meet_at_once_and_absence_can_be_awaited() -> None:
    board = Board()
    board.upsert(r.ASYNC_ACTORS, actor("a", "Running"))
    board.upsert(r.ASYNC_ACTORS, actor("b", "Creating"))
    all_running = board.when_all(["ns/a", "ns/b"], status_is("Running"))
    gone = board.when_all(["ns/a"], lambda obj: obj is None)

    board.upsert(r.ASYNC_ACTORS, actor("a", "Degraded"))
    board.upsert(r.ASYNC_ACTORS, actor("b", "Running"))
    assert not all_running.done()
    board.upsert(r.ASYNC_ACTORS, actor("a", "Running"))
    assert all_running.done()

    board.replace(r.ASYNC_ACTORS, [actor("b", "Running")])  # a relist without a: a was deleted
    assert gone.done()
    assert list(board.objects) == ["ns/b"]
    assert board.when_all([], status_is("Running")).done()


def pod_object(name: str, ready: bool) -> Obj:
    conditions = [{"type": "PodScheduled", "status": "True"}, {"type": "Ready", "status": str(ready)}]
    return {"metadata": {"name": name, "namespace": "ns"}, "status": {"conditions": conditions}}


async def test_a_count_resolves_when_that_many_objects_meet_it_at_once() -> None:
    board = Board()
    board.upsert(r.PODS, pod_object("p1", ready=True))
    two_ready = board.when_count(pod_ready, 2)
    assert board.when_count(pod_ready, 1).done()

    board.upsert(r.PODS, pod_object("p2", ready=False))
    board.upsert(r.PODS, pod_object("p1", ready=False))
    board.upsert(r.PODS, pod_object("p2", ready=True))
    assert not two_ready.done()
    board.upsert(r.PODS, pod_object("p3", ready=True))
    assert two_ready.done()
    assert not pod_ready(None)
