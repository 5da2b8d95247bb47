"""The spec's reading and the desired objects, kept while the spec and the other inputs stay the same."""

from __future__ import annotations

import copy
from typing import Any

from controller.actor.derived import Derived
from controller.actor.desired import Desired
from controller.kube.apply import Prepared, digest
from controller.kube.resources import Obj
from tests.unit.actor.test_desired import RABBIT, build, registry, spec

RAW: Obj = {
    "transport": "rabbit",
    "workload": {"template": {"spec": {"containers": [{"name": "asya-runtime", "image": "python:3.13"}]}}},
}


def prepare(body: Obj) -> Prepared:
    return Prepared(body=body, digest=digest(body))


def counting_build(calls: list[int], **kwargs: Any) -> Any:
    def make() -> Desired:
        calls.append(1)
        return build(spec(), registry(rabbit=RABBIT), **kwargs)  # type: ignore[no-any-return]

    return make


def test_a_spec_equal_by_value_is_read_once() -> None:
    derived = Derived(prepare=prepare)
    first = derived.spec("ns/a", name="a", raw=RAW)
    assert first.spec is not None
    assert first.spec.transport == "rabbit"
    assert (first.spec_errors, first.validation_errors) == ((), ())
    assert derived.spec("ns/a", name="a", raw=copy.deepcopy(RAW)) is first
    changed = derived.spec("ns/a", name="a", raw={**RAW, "transport": "sqs"})
    assert changed is not first
    assert changed.spec is not None
    assert changed.spec.transport == "sqs"


def test_an_unreadable_spec_reads_as_none_with_its_problems() -> None:
    view = Derived(prepare=prepare).spec("ns/a", name="a", raw={"transport": 3})
    assert view.spec is None
    assert view.spec_errors
    assert view.validation_errors


def test_desired_objects_are_built_again_only_when_spec_or_inputs_change() -> None:
    derived, calls = Derived(prepare=prepare), []
    derived.spec("ns/a", name="a", raw=RAW)
    objects = derived.objects("ns/a", inputs=("uid", 2), build=counting_build(calls))
    assert objects.workload.digest == digest(objects.workload.body)
    assert derived.objects("ns/a", inputs=("uid", 2), build=counting_build(calls)) is objects
    assert len(calls) == 1
    derived.objects("ns/a", inputs=("uid", 3), build=counting_build(calls, replicas=3))
    assert len(calls) == 2
    derived.spec("ns/a", name="a", raw={**RAW, "transport": "other"})
    derived.objects("ns/a", inputs=("uid", 3), build=counting_build(calls, replicas=3))
    assert len(calls) == 3


def test_a_forgotten_actor_is_read_again() -> None:
    derived = Derived(prepare=prepare)
    first = derived.spec("ns/a", name="a", raw=RAW)
    derived.forget("ns/a")
    assert derived.spec("ns/a", name="a", raw=RAW) is not first
