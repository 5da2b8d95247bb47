"""Field paths: ``diff`` tells what comparing two full flattenings tells, flattening less."""

from __future__ import annotations

import copy
import random
from typing import Any

from tests.kubeapi.builtins import builtin_types
from tests.kubeapi.fields import NODE, Path, decode, diff, encode, flatten
from tests.kubeapi.structure import GENERIC, Schema

POD_SCHEMA = next(rt.schema for rt in builtin_types() if rt.key == ("", "pods"))


def flattened_difference(old: Any, new: Any, schema: Schema) -> tuple[set[Path], set[Path]]:
    """The reference: both objects flattened whole, compared path by path."""
    before = flatten(old, schema, containers=True)
    after = flatten(new, schema, containers=True)
    changed = {
        path
        for path, value in after.items()
        if path not in before or ((value is not NODE or before[path] is not NODE) and before[path] != value)
    }
    return changed, set(before) - set(after)


def pod() -> dict[str, Any]:
    container = {
        "name": "asya-runtime",
        "image": "python:3.13-slim",
        "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
        "ports": [{"containerPort": 80, "protocol": "TCP"}],
        "resources": {"limits": {"cpu": "1"}},
    }
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "p",
            "namespace": "default",
            "uid": "u",
            "resourceVersion": "5",
            "labels": {"app": "a", "tier": "b"},
            "finalizers": ["x/y"],
            "ownerReferences": [{"uid": "o1", "kind": "ReplicaSet", "name": "rs"}],
        },
        "spec": {"containers": [container, {**container, "name": "sidecar"}], "nodeName": "n1"},
        "status": {
            "phase": "Pending",
            "conditions": [
                {
                    "type": "Ready",
                    "status": "False",
                    "lastTransitionTime": "t1",
                    "reason": "ContainersNotReady",
                },
                {"type": "PodScheduled", "status": "True", "lastTransitionTime": "t0"},
            ],
            "containerStatuses": [
                {
                    "name": "asya-runtime",
                    "ready": False,
                    "state": {"waiting": {"reason": "ContainerCreating"}},
                },
                {"name": "sidecar", "ready": False, "state": {"waiting": {"reason": "ContainerCreating"}}},
            ],
        },
    }


def _nodes(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every position in ``value`` (dict keys and list indexes), depth first."""
    found = [path]
    if isinstance(value, dict):
        for key, sub in value.items():
            found += _nodes(sub, (*path, key))
    elif isinstance(value, list):
        for index, sub in enumerate(value):
            found += _nodes(sub, (*path, index))
    return found


REPLACEMENTS: list[Any] = [
    "changed",
    7,
    None,
    {},
    [],
    {"fresh": {"deep": 1}},
    [{"name": "asya-runtime", "x": 1}],
    [{"type": "Ready", "status": "True"}, {"type": "Ready", "status": "False"}],  # a duplicate key
    ["s", "t"],
]


def mutate(obj: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """``obj`` with a few random edits: a value replaced, a key removed, a list item added, removed or
    moved."""
    out = copy.deepcopy(obj)
    for _ in range(rng.randint(1, 3)):
        path = rng.choice(_nodes(out)[1:])
        parent = out
        for step in path[:-1]:
            parent = parent[step]
        last = path[-1]
        action = rng.choice(["replace", "remove", "append", "reverse"])
        if action == "replace":
            parent[last] = copy.deepcopy(rng.choice(REPLACEMENTS))
        elif action == "remove":
            del parent[last]
        elif action == "append" and isinstance(parent, list):
            parent.append(copy.deepcopy(parent[last]) if rng.random() < 0.5 else {"name": f"n{rng.random()}"})
        elif isinstance(parent, list):
            parent.reverse()
    return out


def test_diff_is_the_difference_of_the_full_flattenings() -> None:
    """Random edits of a pod (values, types, map-list items, duplicate keys, order) under the pod schema and
    the generic one: ``diff`` always agrees with comparing the two flattenings."""
    rng = random.Random(20261127)
    base = pod()
    for _ in range(3000):
        old = mutate(base, rng) if rng.random() < 0.3 else base
        new = mutate(old, rng)
        for schema in (POD_SCHEMA, GENERIC):
            assert diff(old, new, schema) == flattened_difference(old, new, schema), (old, new)
            assert diff(new, old, schema) == flattened_difference(new, old, schema), (new, old)


def test_diff_of_a_status_change_names_only_what_changed() -> None:
    """A condition's status flipping: its leaves changed, nothing removed, the pod's spec untouched."""
    old = pod()
    new = copy.deepcopy(old)
    new["status"]["conditions"][0].update(status="True", lastTransitionTime="t2")
    del new["status"]["conditions"][0]["reason"]
    ready = ("f:status", "f:conditions", 'k:{"type":"Ready"}')
    assert diff(old, new, POD_SCHEMA) == (
        {(*ready, "f:status"), (*ready, "f:lastTransitionTime")},
        {(*ready, "f:reason")},
    )


def test_diff_of_new_and_absent_objects() -> None:
    """Creation charges every path; a missing old object and an empty one mean the same."""
    new = pod()
    assert diff(None, new, POD_SCHEMA) == (set(flatten(new, POD_SCHEMA, containers=True)), set())
    assert diff({}, new, POD_SCHEMA) == diff(None, new, POD_SCHEMA)
    assert diff(new, None, POD_SCHEMA) == (set(), set(flatten(new, POD_SCHEMA, containers=True)))


def _sorted_with_dot_first(tree: dict[str, Any]) -> bool:
    keys = list(tree)
    return keys == sorted(keys, key=lambda k: (k != ".", k)) and all(
        _sorted_with_dot_first(sub) for sub in tree.values()
    )


def test_encode_then_decode_gives_the_paths_back() -> None:
    """A fieldsV1 tree decodes to the very path set it was encoded from (the emulator relies on it to skip
    decoding the trees it encoded), and its maps are sorted with ``.`` first, as the server writes them."""
    rng = random.Random(7)
    for _ in range(500):
        everything = sorted(flatten(mutate(pod(), rng), POD_SCHEMA, containers=rng.random() < 0.5))
        for paths in (set(everything), set(rng.sample(everything, rng.randint(0, len(everything))))):
            tree = encode(paths)
            assert decode(tree) == paths
            assert _sorted_with_dot_first(tree)


def test_an_owned_node_with_owned_children_is_marked_with_a_dot() -> None:
    paths = {("f:spec",), ("f:spec", "f:replicas"), ("f:metadata", "f:labels", "f:app")}
    assert encode(paths) == {
        "f:metadata": {"f:labels": {"f:app": {}}},
        "f:spec": {".": {}, "f:replicas": {}},
    }
