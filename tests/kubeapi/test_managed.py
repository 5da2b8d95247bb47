"""managedFields entries: an entry's fieldsV1 is its path set's encoding, however trees are shared."""

from __future__ import annotations

import json
import random

from tests.kubeapi.fields import encode, flatten
from tests.kubeapi.managed import Entry, entries_of, to_managed_fields
from tests.kubeapi.test_fields import POD_SCHEMA, mutate, pod


def entry(paths: set[tuple[str, ...]]) -> Entry:
    return Entry("kubelet", "Update", "status", "v1", "2026-01-01T00:00:00Z", paths)


def test_fields_v1_is_the_encoding_of_the_entrys_paths() -> None:
    """Entries with alike path sets (the same spec under other metadata) share subtrees, yet each one's
    fieldsV1 is exactly ``encode`` of its paths, in the same order, and reads back as those paths."""
    rng = random.Random(11)
    base = sorted(flatten(pod(), POD_SCHEMA, containers=True))
    for index in range(300):
        paths = set(flatten(mutate(pod(), rng), POD_SCHEMA, containers=True)) if index % 3 else set(base)
        paths.add(("f:metadata", "f:ownerReferences", f'k:{{"uid":"u{index}"}}'))
        (raw,) = to_managed_fields([entry(paths)])
        assert json.dumps(raw["fieldsV1"]) == json.dumps(encode(paths))
        (read,) = entries_of({"metadata": {"managedFields": [raw]}})
        assert read.paths == paths


def test_an_entry_without_paths_is_left_out() -> None:
    assert to_managed_fields([entry(set())]) == []
