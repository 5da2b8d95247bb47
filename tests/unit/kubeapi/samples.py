"""The AsyncActor-shaped test CRD and actors the admission and Table tests share."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from tests.kubeapi.printers import printer_for

TESTDATA = Path(__file__).parent / "testdata"


def load_crd() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((TESTDATA / "asyncactors-crd.yaml").read_text())
    return loaded


def version_of(crd: dict[str, Any]) -> dict[str, Any]:
    version: dict[str, Any] = crd["spec"]["versions"][0]
    return version


def actor(name: str = "echo", **spec: Any) -> dict[str, Any]:
    """A valid AsyncActor; keyword arguments replace top-level spec fields."""
    body: dict[str, Any] = {
        "apiVersion": "asya.sh/v1alpha1",
        "kind": "AsyncActor",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "transport": "rabbitmq",
            "workload": {
                "template": {
                    "spec": {"containers": [{"name": "asya-runtime", "image": "python:3.13-slim"}]},
                },
            },
        },
    }
    body["spec"].update(copy.deepcopy(spec))
    return body


# The fixed clock of the Table tests.
NOW = datetime(2026, 5, 1, 12, 0, 0, tzinfo=UTC)


def ago(seconds: float) -> str:
    return (NOW - timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


def cells(group: str, resource: str, obj: dict[str, Any]) -> list[Any]:
    """The cells the built-in printer of `resource` gives `obj` at NOW."""
    row, _ = printer_for(group, resource).row(obj, NOW)
    return row
