"""Reading the controller's writes out of the emulator's request log."""

from __future__ import annotations

from typing import Any

from tests.bench.rig.phases import controller_writes, requests_answered

CONTROLLER = "OpenAPI-Generator/33.3.0+snapshot/python"


def write(
    name: str, resource: str, subresource: str = "", *, at: float, agent: str = CONTROLLER, status: int = 200
) -> dict[str, Any]:
    return {
        "verb": "patch",
        "resource": resource,
        "subresource": subresource,
        "namespace": "bench",
        "name": name,
        "status": status,
        "agent": agent,
        "time": at,
    }


def minimum(name: str, *, at: float) -> list[dict[str, Any]]:
    return [
        write(name, "asyncactors", at=at),
        write(name, "deployments", at=at + 1),
        write(name, "asyncactors", "status", at=at + 2),
    ]


def test_the_minimum_requests_are_answered_when_the_last_actors_last_one_is() -> None:
    rows = [*minimum("a", at=10.0), *minimum("b", at=20.0), write("a", "asyncactors", "status", at=99.0)]

    assert requests_answered(rows, ["a", "b"]) == 22.0  # a later status of a is not part of the minimum


def test_refused_requests_and_other_clients_writes_do_not_count() -> None:
    rows = [
        write("a", "asyncactors", at=1.0),
        write("a", "deployments", at=2.0, status=500),
        write("a", "deployments", at=3.0, agent="asya-bench-driver"),
        write("a", "asyncactors", "status", at=4.0),
    ]

    assert requests_answered(rows, ["a"]) is None
    assert requests_answered([*rows, write("a", "deployments", at=5.0)], ["a"]) == 5.0


def test_controller_writes_are_named_with_their_subresource() -> None:
    rows = [
        write("a", "asyncactors", "status", at=1.0),
        write("b", "pods", at=2.0, agent="asya-bench-simulator"),
    ]

    assert controller_writes(rows) == ["patch asyncactors/status a"]
