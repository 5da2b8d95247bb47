"""What custom-resource admission and Table rendering cost the emulator per request (the project's CRD)."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from tests.bench import Figure
from tests.kubeapi.schema import admit
from tests.kubeapi.tables import render_table

CRD_PATH = Path(__file__).parents[2] / "manifests" / "crd" / "asyncactors.asya.sh.yaml"
TARGET = "emulator ≥ 1 000 small requests/s on one core"


def _actor(index: int) -> dict[str, Any]:
    return {
        "apiVersion": "asya.sh/v1alpha1",
        "kind": "AsyncActor",
        "metadata": {
            "name": f"actor-{index}",
            "namespace": "default",
            "creationTimestamp": "2026-01-01T00:00:00Z",
        },
        "spec": {
            "transport": "rabbitmq",
            "scaling": {"enabled": True, "maxReplicas": 10},
            "workload": {
                "template": {
                    "spec": {
                        "containers": [
                            {
                                "name": "asya-runtime",
                                "image": "python:3.13-slim",
                                "env": [{"name": "ASYA_HANDLER", "value": "handler.process"}],
                            }
                        ]
                    }
                }
            },
        },
    }


def _rate(operation: Callable[[int], object], seconds: float = 1.0) -> float:
    count, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        operation(count)
        count += 1
    return count / elapsed


async def run() -> list[Figure]:
    crd = yaml.safe_load(CRD_PATH.read_text())
    version = crd["spec"]["versions"][0]
    schema = version["schema"]["openAPIV3Schema"]
    stored = admit(schema=schema, obj=_actor(0))
    status = {"status": "Running", "replicas": 1, "desiredReplicas": 1, "observedGeneration": 1}

    def create(i: int) -> object:
        return admit(schema=schema, obj=_actor(i))

    def status_write(i: int) -> object:
        new = copy.deepcopy(stored)
        new["status"] = {**status, "replicas": i % 5}
        return admit(schema=schema, obj=new, old=stored, subresource="status")

    def spec_update(i: int) -> object:
        new = copy.deepcopy(stored)
        new["spec"]["scaling"]["maxReplicas"] = 10 + i % 5
        return admit(schema=schema, obj=new, old=stored)

    actors = [{**admit(schema=schema, obj=_actor(i)), "status": status} for i in range(1000)]
    columns = version["additionalPrinterColumns"]
    started = time.perf_counter()
    render_table(group="asya.sh", resource="asyncactors", objects=actors, printer_columns=columns)
    table_rows = len(actors) / (time.perf_counter() - started)

    return [
        Figure("AsyncActor creates admitted per second", _rate(create), "1/s", TARGET),
        Figure("AsyncActor status writes admitted per second", _rate(status_write), "1/s", TARGET),
        Figure("AsyncActor spec updates admitted per second", _rate(spec_update), "1/s", TARGET),
        Figure("AsyncActor Table rows rendered per second", table_rows, "1/s"),
    ]
