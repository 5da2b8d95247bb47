"""Pure helpers on API objects: trimming, index values, timestamps."""

from __future__ import annotations

from controller.kube.objects import equal_except, event_timestamp, involved_object_index, trimmer
from tests.unit.kube.samples import pod, trim_pod


def test_trimmer_keeps_only_the_named_paths_and_the_identity() -> None:
    trimmed = trim_pod(pod("p"))
    assert trimmed == {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "p",
            "namespace": "ns",
            "uid": "uid-p",
            "resourceVersion": "1",
            "labels": {"asya.sh/actor": "a"},
            "ownerReferences": [{"kind": "ReplicaSet", "name": "rs", "uid": "owner-a"}],
        },
        "status": {"phase": "Running", "containerStatuses": [{"name": "c", "ready": True}]},
    }


def test_trimmer_takes_paths_with_dotted_keys_as_tuples() -> None:
    obj = {"metadata": {"name": "n", "annotations": {"a.b/c": "1", "other": "2"}}}
    assert trimmer(("metadata", "annotations", "a.b/c"))(obj) == {
        "metadata": {"name": "n", "annotations": {"a.b/c": "1"}}
    }


def test_trimmer_goes_through_lists_item_by_item_with_or_without_brackets() -> None:
    obj = {"status": {"conditions": [{"type": "Ready", "status": "True", "message": "long"}, "junk"]}}
    expected = {"status": {"conditions": [{"type": "Ready", "status": "True"}, {}]}}
    assert trimmer("status.conditions.type", "status.conditions.status")(obj) == expected
    assert trimmer("status.conditions[].type", "status.conditions[].status")(obj) == expected


def test_trimmer_tolerates_missing_and_malformed_fields() -> None:
    assert trimmer("status.containerStatuses[].name", "spec.x.y")(
        {"metadata": {"name": "n"}, "status": 3}
    ) == {"metadata": {"name": "n"}}


def test_involved_object_index_keys_events_by_kind_namespace_name_and_uid() -> None:
    event = {
        "metadata": {"name": "e"},
        "involvedObject": {"kind": "Pod", "namespace": "ns", "name": "p", "uid": "u"},
    }
    assert list(involved_object_index(event)) == ["Pod/ns/p", "u"]
    assert list(involved_object_index({"metadata": {"name": "e"}, "involvedObject": "junk"})) == []


def test_event_timestamp_prefers_last_timestamp_and_falls_back() -> None:
    assert event_timestamp({"lastTimestamp": "1970-01-01T00:01:40Z"}) == 100.0
    assert event_timestamp({"eventTime": "1970-01-01T00:00:10.000000Z"}) == 10.0
    assert (
        event_timestamp(
            {"lastTimestamp": "garbage", "metadata": {"creationTimestamp": "1970-01-01T00:00:01Z"}}
        )
        == 1.0
    )
    assert event_timestamp({}) is None


def test_a_path_kept_whole_wins_over_paths_below_it() -> None:
    obj = {"metadata": {"name": "n"}, "status": {"a": 1, "b": {"c": 2}}}
    assert trimmer("status.b.c", "status")(obj) == {
        "metadata": {"name": "n"},
        "status": {"a": 1, "b": {"c": 2}},
    }
    assert trimmer("status", "status.b.c")(obj) == {
        "metadata": {"name": "n"},
        "status": {"a": 1, "b": {"c": 2}},
    }


def test_equal_except_ignores_the_named_fields_and_the_resource_version() -> None:
    old = {
        "metadata": {"name": "a", "resourceVersion": "1", "finalizers": []},
        "spec": {"x": 1},
        "status": {},
    }
    new = {"metadata": {"name": "a", "resourceVersion": "2", "finalizers": ["f"]}, "spec": {"x": 1},
           "status": {"phase": "Up"}}  # fmt: skip
    assert equal_except(old, new, ("status",), ("metadata", "finalizers"))
    assert not equal_except(old, new, ("status",))
    assert not equal_except(old, {**new, "spec": {"x": 2}}, ("status",), ("metadata", "finalizers"))
    assert equal_except({"status": {}}, {}, ("status",))  # a field that appears counts as that field
