"""Error replies (§10) and the upstream defects this runtime does not repeat (§16)."""

from __future__ import annotations

import pytest

from tests.runtime.conftest import RuntimeFactory
from tests.runtime.sidecar import envelope, single_error


def test_a_handler_exception_is_one_processing_error_with_details(shared_runtime: RuntimeFactory) -> None:
    runtime = shared_runtime("payload_handlers.fails")
    details = single_error(runtime.call(envelope({"x": 1})), "processing_error")
    assert details["message"] == "the handler could not cope"
    assert details["type"] == "ValueError"
    assert 'in fails\n    raise ValueError("the handler could not cope")' in details["traceback"]
    assert details["traceback"].rstrip().endswith("ValueError: the handler could not cope")


def test_the_runtime_stays_up_after_handler_exceptions(shared_runtime: RuntimeFactory) -> None:
    runtime = shared_runtime("payload_handlers.fails")
    for _ in range(20):
        single_error(runtime.call(envelope(None)), "processing_error")
    assert runtime.running()


def test_handler_exceptions_are_logged_at_error_with_the_traceback(shared_runtime: RuntimeFactory) -> None:
    runtime = shared_runtime("payload_handlers.fails")
    mark = runtime.log_mark()
    runtime.call(envelope(None))
    logs = runtime.logs(mark)
    assert " - ERROR - the handler raised ValueError: the handler could not cope\nTraceback" in logs


def test_an_exception_with_an_unprintable_message_still_gives_string_details(
    shared_runtime: RuntimeFactory,
) -> None:
    runtime = shared_runtime("payload_handlers.fails_unprintably")
    details = single_error(runtime.call(envelope(None)), "processing_error")
    assert details["type"] == "Unprintable"
    assert details["message"] == "<Unprintable with an unprintable message>"


@pytest.mark.parametrize("kind", ["nan", "infinity", "negative-infinity"])
def test_nan_and_infinity_are_a_processing_error_not_bare_literals(
    shared_runtime: RuntimeFactory, kind: str
) -> None:
    """Upstream writes bare NaN, which the sidecar cannot decode (§16 item 1)."""
    runtime = shared_runtime("payload_handlers.unencodable")
    details = single_error(runtime.call(envelope({"kind": kind})), "processing_error")
    assert details["message"].startswith(
        "the handler's result is not strict JSON: "
        "ValueError: Out of range float values are not JSON compliant"
    )


@pytest.mark.parametrize(
    ("kind", "problem"),
    [
        ("set", "TypeError: Object of type set is not JSON serializable"),
        ("bytes", "TypeError: Object of type bytes is not JSON serializable"),
        ("object", "TypeError: Object of type object is not JSON serializable"),
        ("circular", "ValueError: Circular reference detected"),
    ],
)
def test_unencodable_results_are_a_processing_error_not_a_closed_connection(
    shared_runtime: RuntimeFactory, kind: str, problem: str
) -> None:
    """Upstream closes the connection without a reply and the sidecar sees EOF (§16 item 2)."""
    runtime = shared_runtime("payload_handlers.unencodable")
    details = single_error(runtime.call(envelope({"kind": kind})), "processing_error")
    assert details["message"] == f"the handler's result is not strict JSON: {problem}"
    assert details["type"] == "ValueError"
    assert problem.split(":")[0] in details["traceback"]


def test_a_lone_surrogate_in_a_result_is_sent_escaped(shared_runtime: RuntimeFactory) -> None:
    runtime = shared_runtime("payload_handlers.unencodable")
    body = runtime.exchange(b'{"route":{"actors":["a"],"current":0},"payload":{"kind":"lone-surrogate"}}')
    assert b'"text":"\\ud800"' in body


def test_error_replies_never_mix_with_successes(shared_runtime: RuntimeFactory) -> None:
    """A fan-out whose second element cannot be encoded is one error, not a success plus an error."""
    runtime = shared_runtime("payload_handlers.unencodable")
    single_error(runtime.call(envelope({"kind": "negative-infinity"})), "processing_error")
