"""The probe's tally of the controller's writes."""

from __future__ import annotations

from tests.bench.rig.probe import tally
from tests.unit.bench.test_phases import write


def test_only_the_controllers_writes_are_tallied_by_verb_resource_and_status() -> None:
    rows = [
        write("a", "asyncactors", "status", at=1),
        write("b", "asyncactors", "status", at=2),
        write("a", "deployments", at=3, status=201),
        write("a", "pods", "status", at=4, agent="asya-bench-simulator"),
    ]
    assert tally(rows) == {("patch", "asyncactors/status", 200): 2, ("patch", "deployments", 201): 1}
