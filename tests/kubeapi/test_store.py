"""The store's events: one serialisation of an object serves the write's answer and every watch line."""

from __future__ import annotations

import json

from tests.kubeapi.store import Store, dumps

KEY = ("", "configmaps")


def configmap(name: str) -> dict[str, object]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": "ns", "uid": name},
        "data": {},
    }


def test_a_watch_line_is_the_event_as_json() -> None:
    """The line is exactly what serialising ``{"type", "object"}`` gives, at the version asked for."""
    event = Store().commit(KEY, "ADDED", configmap("a"), None)
    line = event.line("MODIFIED", "v1")
    assert line == dumps({"type": "MODIFIED", "object": event.obj}) + b"\n"
    other = json.loads(event.line("ADDED", "v2"))
    assert other == {"type": "ADDED", "object": {**event.obj, "apiVersion": "v2"}}


def test_the_object_is_serialised_once_per_version() -> None:
    """The object's JSON is computed once and shared by the answer and the lines."""
    event = Store().commit(KEY, "ADDED", configmap("a"), None)
    assert event.object_json("v1") is event.object_json("v1")
    assert event.line("ADDED", "v1").endswith(event.object_json("v1") + b"}\n")


def test_the_last_commit_is_remembered() -> None:
    store = Store()
    first = store.commit(KEY, "ADDED", configmap("a"), None)
    assert store.last is first
    second = store.commit(KEY, "ADDED", configmap("b"), None)
    assert store.last is second
