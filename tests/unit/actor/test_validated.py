"""The spec's validation, kept per actor while its uid and generation stay the same."""

from __future__ import annotations

from controller.actor.validated import Validations

VALID = {
    "transport": "rabbitmq",
    "workload": {"template": {"spec": {"containers": [{"name": "asya-runtime", "image": "python:3.13"}]}}},
}
INVALID = {"transport": 3}


def test_the_same_generation_is_answered_from_memory() -> None:
    validations = Validations()
    assert validations.errors("ns/a", uid="u", generation=1, name="a", spec=VALID) == ()
    # Within one generation the spec cannot change; a different one here shows the answer is remembered.
    assert validations.errors("ns/a", uid="u", generation=1, name="a", spec=INVALID) == ()


def test_a_new_generation_or_uid_is_validated_again() -> None:
    validations = Validations()
    validations.errors("ns/a", uid="u", generation=1, name="a", spec=VALID)
    assert validations.errors("ns/a", uid="u", generation=2, name="a", spec=INVALID)
    assert validations.errors("ns/a", uid="v", generation=2, name="a", spec=VALID) == ()


def test_without_a_generation_or_after_forget_it_validates_every_time() -> None:
    validations = Validations()
    validations.errors("ns/a", uid="u", generation=None, name="a", spec=VALID)
    assert validations.errors("ns/a", uid="u", generation=None, name="a", spec=INVALID)
    validations.errors("ns/b", uid="u", generation=1, name="b", spec=VALID)
    validations.forget("ns/b")
    assert validations.errors("ns/b", uid="u", generation=1, name="b", spec=INVALID)
