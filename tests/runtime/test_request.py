"""Requests (§6) and their validation (§9): what is accepted, what gets ``msg_parsing_error``."""

from __future__ import annotations

from typing import Any

import pytest

from tests.runtime.conftest import RuntimeFactory
from tests.runtime.sidecar import decode_reply, envelope, go_json, single_error

ROUTE = {"actors": ["prev", "me", "next"], "current": 1}


def test_a_gateway_message_with_deadline_and_no_headers_is_accepted(shared_runtime: RuntimeFactory) -> None:
    runtime = shared_runtime("payload_handlers.wrap")
    request = {
        "id": "5f1c2b",
        "route": {"actors": ["me", "next"], "current": 0, "metadata": {"any": "object"}},
        "payload": {"q": 1},
        "deadline": "2025-11-27T10:00:00Z",
    }
    assert runtime.call(request) == [
        {
            "payload": {"got": {"q": 1}},
            "route": {"actors": ["me", "next"], "current": 1, "metadata": {"any": "object"}},
        }
    ]


def test_unknown_keys_at_the_top_and_in_the_route_are_tolerated(shared_runtime: RuntimeFactory) -> None:
    runtime = shared_runtime("payload_handlers.echo")
    request = envelope(1, extra_top={"x": 1}, parent_id="p-1")
    request["route"]["future_key"] = [1, 2]
    reply = runtime.call(request)
    assert reply == [
        {"payload": 1, "route": {"actors": ["prev", "me", "next"], "current": 2, "future_key": [1, 2]}}
    ]


def test_a_null_payload_is_valid_and_reaches_the_handler(shared_runtime: RuntimeFactory) -> None:
    runtime = shared_runtime("payload_handlers.wrap")
    assert runtime.call(envelope(None))[0]["payload"] == {"got": None}


def test_current_equal_to_the_number_of_actors_is_valid(shared_runtime: RuntimeFactory) -> None:
    """End actors get messages that ran off the route; payload mode then answers len + 1 (harmless)."""
    runtime = shared_runtime("payload_handlers.echo")
    assert runtime.call(envelope(1, actors=("a", "b"), current=2))[0]["route"]["current"] == 3


def test_a_missing_current_means_zero_and_is_logged(shared_runtime: RuntimeFactory) -> None:
    runtime = shared_runtime("payload_handlers.echo")
    mark = runtime.log_mark()
    reply = runtime.call({"id": "no-current", "route": {"actors": ["me", "next"]}, "payload": 1})
    assert reply[0]["route"] == {"actors": ["me", "next"], "current": 1}
    assert " - INFO - 'route.current' is missing; using 0" in runtime.logs(mark)


def _without(key: str) -> dict[str, Any]:
    request = envelope(1)
    del request[key]
    return request


def _route(**changes: Any) -> dict[str, Any]:
    return envelope(1) | {"route": ROUTE | changes}


INVALID = {
    "no payload": _without("payload"),
    "no route": _without("route"),
    "route not an object": envelope(1) | {"route": ["prev", "me"]},
    "actors missing": envelope(1) | {"route": {"current": 0}},
    "actors empty": _route(actors=[]),
    "actors not a list": _route(actors="prev,me"),
    "actors not strings": _route(actors=["prev", 2]),
    "current negative": _route(current=-1),
    "current past the end": _route(current=4),
    "current a float": _route(current=1.0),
    "current a string": _route(current="1"),
    "current a boolean": _route(current=True),
    "current null": _route(current=None),
    "metadata not an object": _route(metadata=["x"]),
    "headers not an object": envelope(1, headers=["trace"]),
    "id not a string": envelope(1) | {"id": 42},
}


@pytest.mark.parametrize("mode", ["payload", "envelope"])
@pytest.mark.parametrize("case", INVALID)
def test_with_validation_on_malformed_envelopes_are_parsing_errors(
    shared_runtime: RuntimeFactory, mode: str, case: str
) -> None:
    handler = "payload_handlers.echo" if mode == "payload" else "envelope_handlers.advance"
    runtime = shared_runtime(handler, ASYA_HANDLER_MODE=mode)
    details = single_error(runtime.call(INVALID[case]), "msg_parsing_error")
    assert details["type"] == "ValueError"


UNDECODABLE = {
    "not UTF-8": b'{"payload": "\xff\xfe"}',
    "UTF-16": '{"payload": 1, "route": {"actors": ["a"], "current": 0}}'.encode("utf-16"),
    "not JSON": b"payload=1",
    "truncated JSON": b'{"payload": 1, "route": {"act',
    "trailing garbage": b'{"payload": 1}{"payload": 2}',
    "NaN literal": b'{"payload": NaN, "route": {"actors": ["a"], "current": 0}}',
    "a JSON number": b"42",
    "a JSON string": b'"hello"',
    "JSON null": b"null",
    "a JSON array": b'[{"payload": 1}]',
    "nested too deeply": b'{"route": {"actors": ["a"]}, "payload": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
}


@pytest.mark.parametrize("validation", ["true", "false"])
@pytest.mark.parametrize("case", UNDECODABLE)
def test_undecodable_bodies_are_parsing_errors_whatever_the_validation(
    shared_runtime: RuntimeFactory, validation: str, case: str
) -> None:
    """Includes scalars and null, which upstream answers by closing the connection (§16 item 3)."""
    runtime = shared_runtime("payload_handlers.echo", ASYA_ENABLE_VALIDATION=validation)
    single_error(decode_reply(runtime.exchange(UNDECODABLE[case])), "msg_parsing_error")
    assert runtime.call(envelope(1))[0]["payload"] == 1, "the runtime keeps serving"


def test_parsing_error_details_say_what_is_wrong(shared_runtime: RuntimeFactory) -> None:
    runtime = shared_runtime("payload_handlers.echo")
    details = single_error(decode_reply(runtime.exchange(b"42")), "msg_parsing_error")
    assert details["message"] == "the request must be a JSON object, got number"
    details = single_error(runtime.call(_route(current=7)), "msg_parsing_error")
    assert details["message"] == "'route.current'=7 is outside [0, 3]"
    assert "Traceback" in details["traceback"]


def test_with_validation_off_a_payload_mode_request_still_needs_a_route(
    shared_runtime: RuntimeFactory,
) -> None:
    runtime = shared_runtime("payload_handlers.echo", ASYA_ENABLE_VALIDATION="false")
    details = single_error(runtime.call(_without("route")), "processing_error")
    assert "needs a route object with an integer 'current'" in details["message"]
    single_error(runtime.call(_route(current="1")), "processing_error")


def test_with_validation_off_other_problems_pass_through(shared_runtime: RuntimeFactory) -> None:
    runtime = shared_runtime("payload_handlers.wrap", ASYA_ENABLE_VALIDATION="false")
    assert runtime.call(_without("payload"))[0]["payload"] == {"got": None}
    assert runtime.call(envelope(1) | {"id": 42})[0]["payload"] == {"got": 1}
    assert runtime.call(_route(actors=["only"], current=0))[0]["route"] == {"actors": ["only"], "current": 1}


@pytest.mark.parametrize("value", ["1", "yes", "on", ""])
def test_validation_is_on_only_for_true(shared_runtime: RuntimeFactory, value: str) -> None:
    """Upstream's reading: anything but "true" (any case) turns it off; ours also warns."""
    runtime = shared_runtime("payload_handlers.echo", ASYA_ENABLE_VALIDATION=value)
    single_error(
        runtime.call(_without("route")), "processing_error"
    )  # validation on would say msg_parsing_error
    assert f"ASYA_ENABLE_VALIDATION={value!r} is neither true nor false: validation is off" in runtime.logs()


def test_validation_value_is_case_insensitive(shared_runtime: RuntimeFactory) -> None:
    runtime = shared_runtime("payload_handlers.echo", ASYA_ENABLE_VALIDATION="TRUE")
    single_error(runtime.call(_without("route")), "msg_parsing_error")
    assert "ASYA_ENABLE_VALIDATION" not in runtime.logs()


def test_go_encoded_body_is_what_the_runtime_reads(shared_runtime: RuntimeFactory) -> None:
    """The sidecar forwards the queue message verbatim; Go escapes <, > and & as \\u003c and so on."""
    runtime = shared_runtime("payload_handlers.echo")
    body = go_json(envelope({"q": "a<b && c>d"}))
    assert b"\\u003c" in body
    assert decode_reply(runtime.exchange(body))[0]["payload"] == {"q": "a<b && c>d"}
