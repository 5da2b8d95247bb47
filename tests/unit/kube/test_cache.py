"""The cache: trimming, indexes, change detection, relist deletions, retention."""

from __future__ import annotations

from typing import Any

from controller.kube.cache import (
    Cache,
    Change,
    Retention,
    Store,
    involved_keys,
    label_keys,
    own_key,
    owner_keys,
)
from controller.kube.objects import (
    label_index,
    owner_uid_index,
)
from controller.kube.resources import Resource
from tests.unit.kube.samples import pod, trim_pod

PODS = Resource(group="", version="v1", plural="pods", kind="Pod")
EVENTS = Resource(group="", version="v1", plural="events", kind="Event")


def test_a_change_only_in_dropped_fields_is_no_change() -> None:
    store = Store(resource=PODS, trim=trim_pod)
    assert store.upsert(pod("p", rv="1")) is not None
    restarted = pod("p", rv="2")
    restarted["status"]["containerStatuses"][0]["restartCount"] = 1
    assert store.upsert(restarted) is None
    assert store.get("ns/p")["metadata"]["resourceVersion"] == "2"  # type: ignore[index]


def test_upsert_reports_added_then_modified_with_old_and_new() -> None:
    store = Store(resource=PODS, trim=trim_pod)
    added = store.upsert(pod("p"))
    modified = store.upsert(pod("p", rv="2", phase="Failed"))
    assert added is not None
    assert added.type == "ADDED"
    assert added.old is None
    assert modified is not None
    assert modified.type == "MODIFIED"
    assert modified.old is not None
    assert modified.old["status"]["phase"] == "Running"
    assert modified.obj["status"]["phase"] == "Failed"


def test_indexes_answer_by_label_and_owner_and_follow_updates_and_deletes() -> None:
    store = Store(
        resource=PODS,
        trim=trim_pod,
        indexes={"actor": label_index("asya.sh/actor"), "owner": owner_uid_index},
    )
    store.upsert(pod("p1", actor="a"))
    store.upsert(pod("p2", actor="a"))
    store.upsert(pod("p3", actor="b"))
    assert [p["metadata"]["name"] for p in store.by_index("actor", "a")] == ["p1", "p2"]
    assert store.keys_by_index("owner", "owner-b") == {"ns/p3"}
    store.upsert(pod("p2", actor="b", rv="2"))
    assert store.keys_by_index("actor", "a") == {"ns/p1"}
    assert store.keys_by_index("actor", "b") == {"ns/p2", "ns/p3"}
    store.delete(pod("p1"))
    assert store.by_index("actor", "a") == []


def test_a_failing_index_function_leaves_the_object_cached_but_unindexed() -> None:
    def broken(obj: Any) -> list[str]:
        raise KeyError("nope")

    store = Store(resource=PODS, indexes={"broken": broken})
    assert store.upsert(pod("p")) is not None
    assert "ns/p" in store
    assert store.by_index("broken", "x") == []


def test_replace_reports_deletions_of_vanished_objects_only_within_the_listed_namespace() -> None:
    store = Store(resource=PODS, trim=trim_pod)
    for name, ns in (("a", "one"), ("b", "one"), ("c", "two")):
        store.upsert(pod(name, ns=ns))
    changes = store.replace([pod("a", ns="one"), pod("d", ns="one")], namespace="one")
    assert sorted((c.type, c.key) for c in changes) == [("ADDED", "one/d"), ("DELETED", "one/b")]
    assert sorted(store) == ["one/a", "one/d", "two/c"]
    changes = store.replace([])
    assert sorted(c.key for c in changes) == ["one/a", "one/d", "two/c"]
    assert len(store) == 0


def test_retention_refuses_old_objects_and_expires_aged_ones() -> None:
    now = [1000.0]
    store = Store(resource=EVENTS, retention=Retention(max_age=100.0), clock=lambda: now[0])

    def event(name: str, at: float) -> Any:
        stamp = f"1970-01-01T00:{int(at) // 60:02d}:{int(at) % 60:02d}Z"
        return {"metadata": {"name": name, "namespace": "ns"}, "lastTimestamp": stamp}

    assert store.upsert(event("old", 850)) is None
    assert store.upsert(event("recent", 950)) is not None
    assert store.upsert(event("fresh", 990)) is not None
    now[0] = 1060.0
    assert [c.key for c in store.expire()] == ["ns/recent"]
    assert list(store) == ["ns/fresh"]


def test_cache_publishes_changes_and_survives_a_failing_subscriber() -> None:
    cache = Cache()
    cache.add(Store(resource=PODS, trim=trim_pod))
    seen: list[Change] = []

    def broken(change: Change) -> None:
        raise RuntimeError("boom")

    cache.subscribe(broken)
    cache.subscribe(seen.append)
    cache.upsert(PODS, pod("p"))
    cache.upsert(PODS, pod("p", rv="2"))  # no change the controller reads
    cache.delete(PODS, pod("p"))
    assert [(c.type, c.key) for c in seen] == [("ADDED", "ns/p"), ("DELETED", "ns/p")]
    assert cache.get(PODS, "ns/p") is None


def test_a_store_is_synced_once_every_namespace_it_watches_was_listed() -> None:
    store = Store(resource=PODS, namespaces=("one", "two"))
    assert not store.synced
    store.replace([], namespace="one")
    assert not store.synced
    store.replace([], namespace="two")
    assert store.synced
    everything = Store(resource=PODS)
    everything.replace([])
    assert everything.synced


def _change(obj: Any) -> Change:
    return Change("ADDED", PODS, "ns/x", None, obj)


def test_key_mappers_find_the_primary_keys_a_change_concerns() -> None:
    cache = Cache()
    owned = {"metadata": {"namespace": "ns", "ownerReferences": [
        {"kind": "AsyncActor", "name": "a"}, {"kind": "ReplicaSet", "name": "rs"}, "junk"]}}  # fmt: skip
    assert list(own_key(_change(owned), cache)) == ["ns/x"]
    assert list(owner_keys("AsyncActor")(_change(owned), cache)) == ["ns/a"]
    labelled = {"metadata": {"namespace": "ns", "labels": {"actor": "b"}}}
    assert list(label_keys("actor")(_change(labelled), cache)) == ["ns/b"]
    assert list(label_keys("actor")(_change({"metadata": {}}), cache)) == []
    event = {
        "metadata": {"namespace": "ns"},
        "involvedObject": {"kind": "Pod", "namespace": "ns", "name": "p"},
    }
    assert list(involved_keys("Pod")(_change(event), cache)) == ["ns/p"]
    assert list(involved_keys("Node")(_change(event), cache)) == []
