"""Envelope mode (§8.2) and output validation with the route rules (§9)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.runtime.conftest import RuntimeFactory
from tests.runtime.sidecar import envelope, single_error

ENVELOPE = {"ASYA_HANDLER_MODE": "envelope"}
UNCHECKED = {"ASYA_HANDLER_MODE": "envelope", "ASYA_ENABLE_VALIDATION": "false"}
ABC = ("a", "b", "c")


def returning(
    shared_runtime: RuntimeFactory, result: Any, *, validation: bool = True
) -> list[dict[str, Any]]:
    """Call ``envelope_handlers.returns``, which returns ``payload["return"]``; input route [a,b,c] at 1."""
    runtime = shared_runtime("envelope_handlers.returns", **(ENVELOPE if validation else UNCHECKED))
    return runtime.call(envelope({"return": result}, actors=ABC, current=1))


def out(actors: list[str], current: int, payload: Any = "p", **extra: Any) -> dict[str, Any]:
    return {"payload": payload, "route": {"actors": actors, "current": current}, **extra}


def test_the_handler_gets_the_checked_envelope_cut_down(shared_runtime: RuntimeFactory) -> None:
    """With validation on: payload, route (current filled in), id, parent_id and headers; nothing else."""
    runtime = shared_runtime("envelope_handlers.shows_argument", **ENVELOPE)
    request = {
        "id": "m1",
        "parent_id": "m0",
        "route": {"actors": ["prev", "me", "next"], "metadata": {"k": 1}},
        "headers": {"trace_id": "t"},
        "payload": {"x": 1},
        "deadline": "2025-11-27T10:00:00Z",
        "unknown": True,
    }
    seen = runtime.call(request)[0]["payload"]["seen"]
    assert seen == {
        "id": "m1",
        "parent_id": "m0",
        "route": {"actors": ["prev", "me", "next"], "current": 0, "metadata": {"k": 1}},
        "headers": {"trace_id": "t"},
        "payload": {"x": 1},
    }


def test_with_validation_off_the_handler_gets_everything(shared_runtime: RuntimeFactory) -> None:
    runtime = shared_runtime("envelope_handlers.shows_argument", **UNCHECKED)
    request = envelope({"x": 1}, deadline="2025-11-27T10:00:00Z", unknown=[1])
    assert runtime.call(request)[0]["payload"]["seen"] == request


def test_the_documented_idiom_advances_the_route_in_place(shared_runtime: RuntimeFactory) -> None:
    runtime = shared_runtime("envelope_handlers.advance", **ENVELOPE)
    request = envelope({"x": 1}, headers={"h": "v"}, deadline="soon")
    assert runtime.call(request) == [
        {
            "id": "msg-1",
            "payload": {"x": 1},
            "route": {"actors": ["prev", "me", "next"], "current": 2},
            "headers": {"h": "v"},
        }
    ]


def test_returned_envelopes_are_cut_down_to_the_known_keys(shared_runtime: RuntimeFactory) -> None:
    reply = returning(shared_runtime, out(["a", "b", "c"], 2, error="ignored", extra={"x": 1}, parent_id="p"))
    assert reply == [{"payload": "p", "route": {"actors": ["a", "b", "c"], "current": 2}, "parent_id": "p"}]


def test_headers_are_kept_only_if_the_handler_returns_them(shared_runtime: RuntimeFactory) -> None:
    runtime = shared_runtime("envelope_handlers.returns", **ENVELOPE)
    request = envelope({"return": out(["a", "b", "c"], 2)}, actors=ABC, headers={"h": "v"})
    assert "headers" not in runtime.call(request)[0]


def test_none_is_an_empty_reply(shared_runtime: RuntimeFactory) -> None:
    assert returning(shared_runtime, None) == []


def test_a_list_fans_out_one_element_per_envelope(shared_runtime: RuntimeFactory) -> None:
    envelopes = [out(["a", "b", "c"], 2, payload=1), out(["a", "b", "x", "y"], 3, payload=2)]
    assert returning(shared_runtime, envelopes) == envelopes


@pytest.mark.parametrize(
    ("actors", "current"),
    [
        (["a", "b", "c"], 2),  # the usual step forward
        (["a", "b", "c", "d"], 2),  # a step added after the current one
        (["a", "b", "x"], 2),  # a later step replaced
        (["a", "b"], 2),  # later steps removed; current == len goes to happy-end
        (["a", "b", "c"], 0),  # any current in [0, len] is allowed
        (["a", "b", "c"], 1),  # unchanged current is allowed (the sidecar loops it back)
        (["a", "b", "c"], 3),
    ],
)
def test_allowed_route_changes(shared_runtime: RuntimeFactory, actors: list[str], current: int) -> None:
    assert returning(shared_runtime, out(actors, current)) == [out(actors, current)]


@pytest.mark.parametrize(
    "actors",
    [["b", "c"], ["a-new", "b", "c"], ["a", "x", "c"], ["b", "a", "c"], ["a"]],
    ids=["first-removed", "first-renamed", "current-renamed", "shifted", "current-removed"],
)
def test_steps_up_to_the_current_one_cannot_change(shared_runtime: RuntimeFactory, actors: list[str]) -> None:
    details = single_error(returning(shared_runtime, out(actors, 1)), "processing_error")
    assert details["message"].startswith("Invalid output envelope[0/1]: route.actors[0..1] must stay")


def test_one_bad_envelope_in_a_fan_out_fails_the_whole_reply(shared_runtime: RuntimeFactory) -> None:
    """No successes mixed with an error: the sidecar would route them *and* send the original to error-end."""
    reply = returning(shared_runtime, [out(["a", "b", "c"], 2), out(["z", "b", "c"], 2)])
    details = single_error(reply, "processing_error")
    assert details["message"].startswith("Invalid output envelope[1/2]: ")


def test_an_in_place_route_edit_cannot_slip_past_the_rules(shared_runtime: RuntimeFactory) -> None:
    """Upstream checks against the mutated input (§16 item 4); ours keeps a private copy."""
    runtime = shared_runtime("envelope_handlers.edits_route_in_place", **ENVELOPE)
    reply = runtime.call(envelope({"actors": ["renamed", "b", "c"]}, actors=ABC))
    assert single_error(reply, "processing_error")["message"].startswith("Invalid output envelope[0/1]")
    allowed = runtime.call(envelope({"actors": ["a", "b", "c", "d"]}, actors=ABC))
    assert allowed[0]["route"] == {"actors": ["a", "b", "c", "d"], "current": 2}


INVALID_OUTPUT = {
    "no route": {"payload": 1},
    "no payload": {"route": {"actors": ["a", "b", "c"], "current": 2}},
    "current past the end": out(["a", "b", "c"], 4),
    "current negative": out(["a", "b", "c"], -1),
    "current a float": {"payload": 1, "route": {"actors": ["a", "b", "c"], "current": 2.0}},
    "actors not strings": {"payload": 1, "route": {"actors": ["a", "b", 3], "current": 2}},
    "headers not an object": out(["a", "b", "c"], 2, headers="h"),
    "not an object": "just a string",
    "a number in a list": [out(["a", "b", "c"], 2), 7],
}


@pytest.mark.parametrize("case", INVALID_OUTPUT)
def test_malformed_returned_envelopes_are_processing_errors(
    shared_runtime: RuntimeFactory, case: str
) -> None:
    single_error(returning(shared_runtime, INVALID_OUTPUT[case]), "processing_error")


def test_a_missing_current_in_a_returned_envelope_means_zero(shared_runtime: RuntimeFactory) -> None:
    reply = returning(shared_runtime, {"payload": 1, "route": {"actors": ["a", "b", "c"]}})
    assert reply[0]["route"] == {"actors": ["a", "b", "c"], "current": 0}


def test_a_result_that_is_not_an_envelope_is_a_processing_error(shared_runtime: RuntimeFactory) -> None:
    details = single_error(returning(shared_runtime, 42), "processing_error")
    assert (
        details["message"]
        == "an envelope-mode handler returns an envelope, a list of them or None, not number"
    )


def test_with_validation_off_returned_items_are_sent_as_they_are(shared_runtime: RuntimeFactory) -> None:
    """The end actors return {} and rely on it reaching the sidecar as [{}]."""
    assert returning(shared_runtime, {}, validation=False) == [{}]
    anything = {"payload": 1, "route": {"actors": ["z"], "current": 0}, "extra": [1], "headers": {"h": 1}}
    assert returning(shared_runtime, [anything, {}], validation=False) == [anything, {}]
    single_error(returning(shared_runtime, ["not an object"], validation=False), "processing_error")
