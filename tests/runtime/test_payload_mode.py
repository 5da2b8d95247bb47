"""Payload mode (§8.1, §8.3): ``handler(payload)``, its result mapped to elements, the route advanced."""

from __future__ import annotations

from typing import Any

import pytest

from tests.runtime.conftest import RuntimeFactory
from tests.runtime.sidecar import envelope

ROUTE = {"actors": ["prev", "me", "next"], "current": 1, "metadata": {"k": "v"}}
NEXT = {"actors": ["prev", "me", "next"], "current": 2, "metadata": {"k": "v"}}


def call_returning(shared_runtime: RuntimeFactory, result: Any, **extra: Any) -> list[dict[str, Any]]:
    runtime = shared_runtime("payload_handlers.returns")
    request = envelope({"return": result}, **extra)
    request["route"] = dict(ROUTE)
    return runtime.call(request)


def test_a_dict_result_is_one_element_with_the_route_advanced(shared_runtime: RuntimeFactory) -> None:
    """The spec's example: the sidecar routes this to ``next``; no ``id`` in the element."""
    assert call_returning(shared_runtime, {"a": 1}) == [{"payload": {"a": 1}, "route": NEXT}]


def test_headers_are_copied_only_when_the_request_has_them(shared_runtime: RuntimeFactory) -> None:
    with_headers = call_returning(shared_runtime, {"a": 1}, headers={"trace_id": "abc"})
    assert with_headers == [{"payload": {"a": 1}, "route": NEXT, "headers": {"trace_id": "abc"}}]
    assert "headers" not in call_returning(shared_runtime, {"a": 1})[0]


def test_none_is_an_empty_reply(shared_runtime: RuntimeFactory) -> None:
    """The sidecar then sends the original envelope to happy-end."""
    assert call_returning(shared_runtime, None) == []


def test_an_empty_list_is_an_empty_reply(shared_runtime: RuntimeFactory) -> None:
    assert call_returning(shared_runtime, []) == []


def test_a_list_fans_out_one_element_per_item_in_order(shared_runtime: RuntimeFactory) -> None:
    runtime = shared_runtime("payload_handlers.fan_out")
    reply = runtime.call(envelope({"n": 4}, headers={"h": "1"}))
    assert [element["payload"] for element in reply] == [{"index": i} for i in range(4)]
    for element in reply:
        assert element["route"] == {"actors": ["prev", "me", "next"], "current": 2}
        assert element["headers"] == {"h": "1"}


def test_a_tuple_fans_out_too(shared_runtime: RuntimeFactory) -> None:
    runtime = shared_runtime("payload_handlers.returns_tuple")
    reply = runtime.call(envelope({"return": [1, "two"]}))
    assert [element["payload"] for element in reply] == [1, "two"]


def test_a_list_valued_payload_must_be_wrapped(shared_runtime: RuntimeFactory) -> None:
    reply = call_returning(shared_runtime, [[1, 2, 3]])
    assert reply == [{"payload": [1, 2, 3], "route": NEXT}]


@pytest.mark.parametrize("result", [0, False, "", "text", 3.5, {}])
def test_falsy_and_scalar_results_are_one_element(shared_runtime: RuntimeFactory, result: Any) -> None:
    """Only None means "no reply"; 0, False, "" and {} are payloads."""
    assert call_returning(shared_runtime, result) == [{"payload": result, "route": NEXT}]


def test_route_keys_other_than_current_are_unchanged(shared_runtime: RuntimeFactory) -> None:
    runtime = shared_runtime("payload_handlers.echo")
    request = envelope(1, actors=("a", "b", "c", "d"), current=0)
    request["route"]["metadata"] = {"nested": {"deep": [1, 2]}}
    request["route"]["extension"] = "kept"
    (element,) = runtime.call(request)
    assert element["route"] == {
        "actors": ["a", "b", "c", "d"],
        "current": 1,
        "metadata": {"nested": {"deep": [1, 2]}},
        "extension": "kept",
    }


def test_the_last_actor_answers_past_the_end_of_the_route(shared_runtime: RuntimeFactory) -> None:
    """``current == len(actors)`` sends the message to happy-end."""
    runtime = shared_runtime("payload_handlers.echo")
    assert runtime.call(envelope(1, actors=("a", "b"), current=1))[0]["route"]["current"] == 2


def test_an_async_handler_is_awaited(shared_runtime: RuntimeFactory) -> None:
    runtime = shared_runtime("payload_handlers.coroutine")
    for value in range(3):
        assert runtime.call(envelope(value))[0]["payload"] == {"awaited": value}


def test_the_payload_mode_handler_sees_only_the_payload(shared_runtime: RuntimeFactory) -> None:
    runtime = shared_runtime("payload_handlers.wrap")
    reply = runtime.call(envelope({"only": "this"}, headers={"h": "x"}, parent_id="p"))
    assert reply[0]["payload"] == {"got": {"only": "this"}}
