"""events.k8s.io/v1 and core/v1 Events are one set of objects, as on a real server."""

from __future__ import annotations

import asyncio
from typing import Any

from kubernetes_asyncio import client, watch

REGARDING = {"kind": "Pod", "name": "p1", "namespace": "default", "uid": "uid-p1", "apiVersion": "v1"}


def events_v1(name: str) -> dict[str, Any]:
    return {
        "metadata": {"name": name},
        "regarding": REGARDING,
        "reason": "Failed",
        "note": "Back-off pulling image",
        "type": "Warning",
        "action": "Pulling",
        "reportingController": "kubelet",
        "reportingInstance": "node-1",
        "eventTime": "2026-01-01T00:00:00.000000Z",
    }


async def test_an_event_written_through_events_v1_is_read_through_core_v1(kubeapi_client: Any) -> None:
    await client.EventsV1Api(kubeapi_client).create_namespaced_event("default", events_v1("e1"))
    core = await client.CoreV1Api(kubeapi_client).read_namespaced_event("e1", "default")
    assert core.involved_object.name == "p1"
    assert core.message == "Back-off pulling image"
    assert core.reporting_component == "kubelet"
    assert core.api_version == "v1"


async def test_a_core_event_is_read_through_events_v1(kubeapi_client: Any) -> None:
    await client.CoreV1Api(kubeapi_client).create_namespaced_event(
        "default",
        {
            "metadata": {"name": "e2"},
            "involvedObject": REGARDING,
            "reason": "Started",
            "message": "started",
            "count": 3,
            "source": {"component": "kubelet"},
            "eventTime": "2026-01-01T00:00:00.000000Z",  # events.k8s.io/v1 clients require it
        },
    )
    event = await client.EventsV1Api(kubeapi_client).read_namespaced_event("e2", "default")
    assert event.regarding.name == "p1"
    assert event.note == "started"
    assert event.deprecated_count == 3
    assert event.deprecated_source.component == "kubelet"


async def test_events_v1_field_selectors_use_its_field_names(kubeapi_client: Any) -> None:
    events = client.EventsV1Api(kubeapi_client)
    await events.create_namespaced_event("default", events_v1("e1"))
    other = events_v1("e2")
    other["regarding"] = {**REGARDING, "name": "p2"}
    await events.create_namespaced_event("default", other)
    listed = await events.list_namespaced_event("default", field_selector="regarding.name=p2")
    assert [e.metadata.name for e in listed.items] == ["e2"]


async def test_core_watchers_see_events_v1_writes(kubeapi_client: Any) -> None:
    v1 = client.CoreV1Api(kubeapi_client)
    listed = await v1.list_namespaced_event("default")
    async with watch.Watch() as w:
        stream = w.stream(
            v1.list_namespaced_event,
            "default",
            resource_version=listed.metadata.resource_version,
            timeout_seconds=5,
        )
        await client.EventsV1Api(kubeapi_client).create_namespaced_event("default", events_v1("e1"))
        event = await asyncio.wait_for(stream.__anext__(), 5)
    assert event["type"] == "ADDED"
    assert event["raw_object"]["apiVersion"] == "v1"
    assert event["raw_object"]["message"] == "Back-off pulling image"
