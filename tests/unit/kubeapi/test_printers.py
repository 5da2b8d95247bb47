"""The default columns each built-in resource declares, as kube-apiserver's printers declare them."""

from __future__ import annotations

import pytest

from tests.kubeapi.printers import printer_for


def column_names(group: str, resource: str, *, wide: bool = False) -> list[str]:
    return [c["name"] for c in printer_for(group, resource).columns if wide or c["priority"] == 0]


def test_pod_columns_put_ip_and_node_behind_wide() -> None:
    assert column_names("", "pods") == ["Name", "Ready", "Status", "Restarts", "Age"]
    assert column_names("", "pods", wide=True)[5:] == ["IP", "Node", "Nominated Node", "Readiness Gates"]


def test_an_unknown_resource_gets_name_and_age() -> None:
    assert column_names("example.com", "widgets") == ["Name", "Age"]


@pytest.mark.parametrize(
    ("group", "resource", "names"),
    [
        ("", "namespaces", ["Name", "Status", "Age"]),
        ("apps", "deployments", ["Name", "Ready", "Up-to-date", "Available", "Age"]),
        ("apps", "statefulsets", ["Name", "Ready", "Age"]),
        ("", "configmaps", ["Name", "Data", "Age"]),
        ("", "secrets", ["Name", "Type", "Data", "Age"]),
        ("", "services", ["Name", "Type", "Cluster-IP", "External-IP", "Port(s)", "Age"]),
        ("", "events", ["Last Seen", "Type", "Reason", "Object", "Message"]),
        (
            "autoscaling",
            "horizontalpodautoscalers",
            ["Name", "Reference", "Targets", "MinPods", "MaxPods", "Replicas", "Age"],
        ),
        ("coordination.k8s.io", "leases", ["Name", "Holder", "Age"]),
        ("apiextensions.k8s.io", "customresourcedefinitions", ["Name", "Created At"]),
    ],
)
def test_default_column_names(group: str, resource: str, names: list[str]) -> None:
    assert column_names(group, resource) == names
