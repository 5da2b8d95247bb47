"""Tables for custom resources (printer columns) and built-ins, as the server sends them to kubectl."""

from __future__ import annotations

from typing import Any

import pytest

from tests.kubeapi.tables import render_table, table_version
from tests.unit.kubeapi.samples import NOW, actor, version_of


def running_actor() -> dict[str, Any]:
    obj = actor("echo", scaling={"enabled": True, "minReplicas": 0, "maxReplicas": 10})
    obj["spec"]["workload"]["kind"] = "Deployment"
    obj["metadata"].update(
        creationTimestamp="2026-05-01T11:55:00Z", resourceVersion="42", labels={"team": "a"}
    )
    obj["status"] = {
        "status": "Running",
        "replicas": 2,
        "pendingReplicas": 0,
        "failingPods": 0,
        "totalReplicas": 2,
        "desiredReplicas": 2,
        "lastScaleFormatted": "5m ago (up)",
        "transportStatus": "Ready",
        "scalingMode": "KEDA",
        "queuedMessages": 7,
        "conditions": [
            {"type": "TransportReady", "status": "True"},
            {"type": "Ready", "status": "True"},
        ],
    }
    return obj


def test_table_version_reads_the_accept_header_kubectl_sends() -> None:
    kubectl = (
        "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,"
        "application/json"
    )
    assert table_version(kubectl) == "v1"
    assert table_version("application/json;as=Table;v=v1beta1;g=meta.k8s.io") == "v1beta1"
    assert table_version("application/json") is None
    assert table_version(None) is None


def test_custom_resource_columns_follow_the_crd(crd: dict[str, Any]) -> None:
    columns = version_of(crd)["additionalPrinterColumns"]
    table = render_table(
        group="asya.sh", resource="asyncactors", objects=[running_actor()], printer_columns=columns, now=NOW
    )
    names = [(c["name"], c["type"], c["priority"]) for c in table["columnDefinitions"]]
    assert names[:3] == [("Name", "string", 0), ("Status", "string", 0), ("Running", "integer", 0)]
    assert ("Ready", "string", 1) in names
    assert table["columnDefinitions"][0]["format"] == "name"
    assert table["columnDefinitions"][1]["description"] == (
        "Custom resource definition column (in JSONPath format): .status.status"
    )
    assert table["rows"][0]["cells"] == [
        "echo",
        "Running",
        2,
        0,
        0,
        2,
        2,
        0,
        10,
        "5m ago (up)",
        "5m",
        "True",
        "Deployment",
        "Ready",
        "KEDA",
        7,
        None,
    ]


def test_missing_values_are_null_cells(crd: dict[str, Any]) -> None:
    columns = version_of(crd)["additionalPrinterColumns"]
    fresh = actor("new")
    fresh["metadata"]["creationTimestamp"] = "2026-05-01T11:59:30Z"
    row = render_table(
        group="asya.sh", resource="asyncactors", objects=[fresh], printer_columns=columns, now=NOW
    )
    cells = row["rows"][0]["cells"]
    assert cells[0] == "new"
    assert cells[1:10] == [None] * 9
    assert cells[10] == "30s"


@pytest.mark.parametrize(
    ("kind", "value", "cell"),
    [
        ("string", {"b": 1, "a": 2}, '{"a":2,"b":1}'),
        ("string", 3, "3"),
        ("string", True, "true"),
        ("integer", "3", None),
        ("integer", 3.9, 3),
        ("number", 2, 2.0),
        ("boolean", "yes", None),
        ("boolean", False, False),
        ("date", "", "<unknown>"),
        ("date", "last week", "<invalid>"),
        ("date", "2026-05-01T09:00:00Z", "3h"),
        ("date", 5, None),
    ],
)
def test_cells_take_the_column_type(kind: str, value: Any, cell: Any) -> None:
    obj = {"metadata": {"name": "x"}, "spec": {"v": value}}
    columns = [{"name": "V", "type": kind, "jsonPath": ".spec.v"}]
    table = render_table(group="g", resource="r", objects=[obj], printer_columns=columns, now=NOW)
    assert table["rows"][0]["cells"] == ["x", cell]


def test_only_the_first_match_of_a_path_is_shown() -> None:
    obj = {"metadata": {"name": "x"}, "spec": {"l": [{"n": "a"}, {"n": "b"}]}}
    columns = [{"name": "N", "type": "string", "jsonPath": ".spec.l[*].n"}]
    assert render_table(group="g", resource="r", objects=[obj], printer_columns=columns)["rows"][0][
        "cells"
    ] == [
        "x",
        "a",
    ]


def test_a_crd_without_columns_gets_the_age_column() -> None:
    obj = {"metadata": {"name": "x", "creationTimestamp": "2026-05-01T11:00:00Z"}}
    table = render_table(group="g", resource="r", objects=[obj], printer_columns=[], now=NOW)
    assert [(c["name"], c["type"]) for c in table["columnDefinitions"]] == [
        ("Name", "string"),
        ("Age", "date"),
    ]
    assert table["rows"][0]["cells"] == ["x", "60m"]


def test_rows_carry_partial_object_metadata_by_default() -> None:
    obj = running_actor()
    table = render_table(group="asya.sh", resource="asyncactors", objects=[obj], printer_columns=[], now=NOW)
    assert table["rows"][0]["object"] == {
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": obj["metadata"],
    }


@pytest.mark.parametrize(("include", "expected"), [("None", None), ("Object", "whole")])
def test_include_object_controls_the_row_object(include: str, expected: Any) -> None:
    obj = running_actor()
    table = render_table(
        group="asya.sh", resource="asyncactors", objects=[obj], printer_columns=[], include_object=include
    )
    assert table["rows"][0]["object"] == (obj if expected == "whole" else None)


def test_list_metadata_and_headers() -> None:
    table = render_table(
        group="",
        resource="namespaces",
        objects=[],
        resource_version="7",
        continue_token="abc",
        remaining_item_count=3,
        no_headers=True,
    )
    assert table == {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": "7", "continue": "abc", "remainingItemCount": 3},
        "columnDefinitions": None,
        "rows": [],
    }


def test_builtin_rows_use_the_builtin_printer_and_row_conditions() -> None:
    pod = {
        "metadata": {"name": "done", "creationTimestamp": "2026-05-01T11:59:00Z"},
        "spec": {"containers": [{"name": "c"}]},
        "status": {"phase": "Succeeded"},
    }
    table = render_table(group="", resource="pods", objects=[pod], now=NOW, version="v1beta1")
    assert table["apiVersion"] == "meta.k8s.io/v1beta1"
    assert table["rows"][0]["cells"][:5] == ["done", "0/1", "Succeeded", "0", "60s"]
    assert table["rows"][0]["conditions"][0]["reason"] == "Succeeded"
    assert table["rows"][0]["object"]["apiVersion"] == "meta.k8s.io/v1beta1"


def test_an_unknown_include_object_is_refused() -> None:
    with pytest.raises(ValueError, match="includeObject"):
        render_table(group="", resource="pods", objects=[], include_object="Everything")
