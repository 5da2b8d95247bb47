"""The objects the benchmark's cluster process creates straight in the emulator's store."""

from __future__ import annotations

from tests.bench.pods import pod
from tests.bench.rig.cluster import pod_copy, warning_event


def test_a_pod_copy_belongs_to_no_controller_and_no_simulated_node() -> None:
    original = pod(3, namespace="bench")

    copy = pod_copy(
        original, suffix="copy0", drop_label="pod-template-hash", labels={"x": "y"}, node="elsewhere"
    )

    meta = copy["metadata"]
    assert meta["name"] == f"{original['metadata']['name']}-copy0"
    assert meta["labels"] == {"asya.sh/actor": "actor-3", "app.kubernetes.io/name": "actor-3", "x": "y"}
    assert "ownerReferences" not in meta
    assert "uid" not in meta
    assert "resourceVersion" not in meta
    assert copy["spec"]["nodeName"] == "elsewhere"
    assert copy["spec"]["containers"] == original["spec"]["containers"]
    assert "status" not in copy


def test_a_warning_event_is_about_its_pod() -> None:
    event = warning_event(
        namespace="bench", pod="p-1", index=7, reason="Unhealthy", message="m", labels={"k": "v"}
    )

    assert event["metadata"] == {"name": "p-1.bench00007", "namespace": "bench", "labels": {"k": "v"}}
    assert event["involvedObject"] == {"apiVersion": "v1", "kind": "Pod", "namespace": "bench", "name": "p-1"}
    assert (event["type"], event["reason"], event["count"]) == ("Warning", "Unhealthy", 1)
    assert event["firstTimestamp"] == event["lastTimestamp"]
