"""The Event recorder against the emulator: creation, aggregated repeats, recreation, redaction."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest_asyncio
import structlog

from controller.kube.client import KubeClient
from controller.kube.events import EventRecorder, EventSettings
from controller.metrics import Metrics
from tests.integration.kube.helpers import CONFIGMAPS, configmap, eventually
from tests.kubeapi import KubeAPI


@pytest_asyncio.fixture
async def subject(client: KubeClient) -> dict[str, Any]:
    return await client.request("POST", CONFIGMAPS.path(namespace="default"), body=configmap("subject"))


@pytest_asyncio.fixture
async def recorder(client: KubeClient, metrics: Metrics) -> AsyncIterator[EventRecorder]:
    recorder = EventRecorder(
        client=client,
        settings=EventSettings(component="tester", instance="pod-1", update_interval=0.3),
        metrics=metrics,
    )
    task = asyncio.create_task(recorder.run())
    yield recorder
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def the_event(client: KubeClient) -> dict[str, Any]:
    """The one Event in the namespace (an AssertionError while there is none, or several)."""
    listed = await client.request("GET", "/api/v1/namespaces/default/events")
    assert len(listed["items"]) == 1, listed["items"]
    return dict(listed["items"][0])


async def test_an_event_is_created_on_the_object(
    client: KubeClient, recorder: EventRecorder, subject: dict[str, Any]
) -> None:
    recorder.normal(subject, "Created", "workload created")

    async def check() -> None:
        event = await the_event(client)
        assert (event["type"], event["reason"], event["message"], event["count"]) == (
            "Normal",
            "Created",
            "workload created",
            1,
        )
        assert event["involvedObject"]["uid"] == subject["metadata"]["uid"]
        assert event["involvedObject"]["kind"] == "ConfigMap"
        assert event["source"] == {"component": "tester", "host": "pod-1"}
        assert event["reportingComponent"] == "tester"

    await eventually(check)


async def test_a_crash_loop_of_repeats_is_one_event_with_a_count(
    kubeapi: KubeAPI, client: KubeClient, recorder: EventRecorder, subject: dict[str, Any]
) -> None:
    for _ in range(50):
        recorder.warning(subject, "RuntimeError", "the runtime exited with code 1")
        await asyncio.sleep(0.01)

    async def check() -> None:
        event = await the_event(client)
        assert event["count"] == 50

    await eventually(check)
    writes = kubeapi.requests.count(writes=True, resource="events")
    assert writes <= 4  # one create, then at most one patch per 0.3 s over about 0.5 s


async def test_flush_writes_repeats_held_back_by_the_interval(
    kubeapi: KubeAPI, client: KubeClient, subject: dict[str, Any]
) -> None:
    recorder = EventRecorder(client=client, settings=EventSettings(update_interval=3600))
    recorder.warning(subject, "Failed", "boom")
    await recorder.flush()
    recorder.warning(subject, "Failed", "boom")
    recorder.warning(subject, "Failed", "boom")
    await recorder.flush()
    event = await the_event(client)
    assert event["count"] == 3
    assert kubeapi.requests.count(verb="patch", resource="events") == 1


async def test_a_repeat_of_an_expired_event_creates_it_again_with_the_count(
    client: KubeClient, subject: dict[str, Any]
) -> None:
    recorder = EventRecorder(client=client, settings=EventSettings(update_interval=0))
    recorder.warning(subject, "Failed", "boom")
    await recorder.flush()
    event = await the_event(client)
    await client.request("DELETE", f"/api/v1/namespaces/default/events/{event['metadata']['name']}")
    recorder.warning(subject, "Failed", "boom")
    await recorder.flush()
    again = await the_event(client)
    assert again["count"] == 2
    assert again["metadata"]["name"] != event["metadata"]["name"]


async def test_secrets_in_messages_never_reach_the_api(client: KubeClient, subject: dict[str, Any]) -> None:
    recorder = EventRecorder(client=client)
    recorder.warning(
        subject, "QueueError", "cannot connect to amqp://guest:hunter2@rabbit:5672 (password=hunter2)"
    )
    await recorder.flush()
    event = await the_event(client)
    assert "hunter2" not in event["message"]
    assert "amqp://guest:[REDACTED]@rabbit:5672" in event["message"]


async def test_write_failures_are_counted_not_raised(
    kubeapi: KubeAPI, client: KubeClient, metrics: Metrics, subject: dict[str, Any]
) -> None:
    recorder = EventRecorder(client=client, metrics=metrics)
    kubeapi.faults.fail(500, resource="events")
    recorder.warning(subject, "Failed", "boom")
    await recorder.flush()
    assert b'controller_kube_events_total{controller="test",result="failed"} 1.0' in metrics.exposition()


async def test_writes_beyond_the_pending_bound_are_dropped_and_counted(
    client: KubeClient, metrics: Metrics, subject: dict[str, Any]
) -> None:
    recorder = EventRecorder(client=client, settings=EventSettings(max_pending=2), metrics=metrics)
    with structlog.testing.capture_logs() as logged:
        for i in range(5):
            recorder.warning(subject, "Failed", f"boom {i}")
    assert b'controller_kube_events_total{controller="test",result="dropped"} 3.0' in metrics.exposition()
    drops = [entry for entry in logged if entry["event"].startswith("too many Events pending")]
    assert [entry["dropped"] for entry in drops] == [1]  # one warning per interval, not one per drop


async def test_a_warning_about_dropped_writes_counts_those_since_the_last_one(
    client: KubeClient, subject: dict[str, Any]
) -> None:
    now = [1000.0]
    settings = EventSettings(max_pending=1, drop_log_interval=10.0)
    recorder = EventRecorder(client=client, settings=settings, clock=lambda: now[0])
    with structlog.testing.capture_logs() as logged:
        for i in range(4):  # the first is pending, three are dropped: one warning
            recorder.warning(subject, "Failed", f"boom {i}")
        now[0] += 10.0
        recorder.warning(subject, "Failed", "boom 4")
    drops = [entry for entry in logged if entry["event"].startswith("too many Events pending")]
    assert [entry["dropped"] for entry in drops] == [1, 3]


async def test_up_to_writers_events_are_written_at_once(
    kubeapi: KubeAPI, client: KubeClient, subject: dict[str, Any]
) -> None:
    """Each write waits 1.5 s on the API: four written together are answered together, where one at a
    time would be answered 1.5 s apart (4.5 s from first to last)."""
    kubeapi.faults.delay(1.5, verb="create", resource="events")
    recorder = EventRecorder(client=client, settings=EventSettings(writers=4))
    for i in range(4):
        recorder.warning(subject, "Failed", f"boom {i}")
    await recorder.flush()
    answered = [request.time for request in kubeapi.requests.filter(verb="create", resource="events")]
    assert len(answered) == 4
    assert max(answered) - min(answered) < 1.5
    listed = await client.request("GET", "/api/v1/namespaces/default/events")
    assert sorted(event["message"] for event in listed["items"]) == [f"boom {i}" for i in range(4)]
