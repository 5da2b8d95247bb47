"""The Kubernetes JSONPath dialect, as printer columns use it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.kubeapi.jsonpath import JSONPathError, find, print_value

DATA: dict[str, Any] = {
    "metadata": {"name": "a", "annotations": {"example.com/owner": "me"}},
    "spec": {"items": [{"b": 1, "tags": ["x"]}, {"b": 2}], "n": 3},
    "status": {
        "conditions": [
            {"type": "Progressing", "status": "False", "rank": 1},
            {"type": "Ready", "status": "True", "rank": 2},
        ]
    },
}


@pytest.mark.parametrize(
    ("path", "found"),
    [
        (".metadata.name", ["a"]),
        ("{.metadata.name}", ["a"]),
        ("$.spec.n", [3]),
        (".spec.items[0].b", [1]),
        (".spec.items[-1].b", [2]),
        (".spec.items[*].b", [1, 2]),
        (".spec.items[0:1]", [{"b": 1, "tags": ["x"]}]),
        (".spec.items[0,1].b", [1, 2]),
        ("..b", [1, 2]),
        ('.status.conditions[?(@.type=="Ready")].status', ["True"]),
        (".status.conditions[?(@.type=='Ready')].status", ["True"]),
        ('.status.conditions[?(@.type != "Ready")].type', ["Progressing"]),
        (".status.conditions[?(@.rank > 1)].type", ["Ready"]),
        (".status.conditions[?(@.rank)].type", ["Progressing", "Ready"]),
        (".metadata.annotations['example.com/owner']", ["me"]),
        (".metadata.annotations.example\\.com/owner", ["me"]),
        (".spec.missing", []),
        (".spec.items[7].b", []),
        (".spec.n.deeper", []),
    ],
)
def test_find_selects_like_client_go(path: str, found: list[Any]) -> None:
    assert find(path, DATA) == found


@pytest.mark.parametrize("path", [".spec.items[", ".spec.items[x]", ".status.conditions[?(@.a ==)]"])
def test_a_malformed_path_is_an_error(path: str) -> None:
    with pytest.raises(JSONPathError):
        find(path, DATA)


@pytest.mark.parametrize(
    ("value", "text"),
    [("s", "s"), (3, "3"), (2.5, "2.5"), (True, "true"), ({"b": 1, "a": [1]}, '{"a":[1],"b":1}'), ([], "[]")],
)
def test_print_value_matches_print_results(value: Any, text: str) -> None:
    assert print_value(value) == text
