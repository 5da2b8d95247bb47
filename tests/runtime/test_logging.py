"""Logging (§14): the start and per-request lines, no payloads above DEBUG, no environment values ever."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable

from tests.runtime.conftest import RuntimeFactory
from tests.runtime.process import Runtime, runtime_python, wait_for
from tests.runtime.sidecar import envelope

Start = Callable[..., Runtime]
LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d - asya\.runtime - (DEBUG|INFO|WARNING|ERROR|CRITICAL) - ")
SECRET_PAYLOAD = "personal-data-7f3a"
SECRET_ENV = "s3cr3t-token-91b2"


def test_the_runtime_runs_under_the_selected_interpreter(shared_runtime: RuntimeFactory) -> None:
    """``ASYA_RUNTIME_PYTHON`` really selects the interpreter: the start line reports its version."""
    version = subprocess.run(
        [runtime_python(), "-c", "import platform; print(platform.python_version())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    runtime = shared_runtime("payload_handlers.echo")
    assert f" python={version}" in runtime.logs()


def test_one_info_line_at_start_names_handler_mode_and_validation(shared_runtime: RuntimeFactory) -> None:
    runtime = shared_runtime(
        "envelope_handlers.advance", ASYA_HANDLER_MODE="envelope", ASYA_ENABLE_VALIDATION="false"
    )
    (line,) = [line for line in runtime.logs().splitlines() if " - INFO - listening: " in line]
    assert LINE.match(line)
    assert "handler=envelope_handlers.advance mode=envelope validation=off" in line
    assert f"socket={runtime.socket_path}" in line


def test_one_info_line_per_request_with_id_mode_elements_and_duration(shared_runtime: RuntimeFactory) -> None:
    runtime = shared_runtime("payload_handlers.fan_out")
    mark = runtime.log_mark()
    runtime.call(envelope({"n": 3}, id="req-42"))
    (line,) = runtime.logs(mark).splitlines()
    assert LINE.match(line)
    assert re.search(r" - INFO - id=req-42 mode=payload elements=3 duration_ms=\d+\.\d$", line), line


def test_payloads_and_results_are_not_logged_at_info(fresh_runtime: Start) -> None:
    runtime = fresh_runtime("payload_handlers.wrap", env={"SOME_TOKEN": SECRET_ENV})
    runtime.call(envelope({"name": SECRET_PAYLOAD}, id="req-1"))
    runtime.exchange(b'{"payload": "' + SECRET_PAYLOAD.encode() + b'"}')  # rejected: no route
    logs = runtime.logs()
    assert "id=req-1" in logs
    assert SECRET_PAYLOAD not in logs


def test_debug_shows_payloads_but_never_environment_values(fresh_runtime: Start) -> None:
    """The first assertion shows the secret-payload check above can fail; env values stay out even here."""
    runtime = fresh_runtime(
        "payload_handlers.wrap",
        env={"ASYA_LOG_LEVEL": "debug", "ASYA_API_TOKEN": SECRET_ENV, "SOME": SECRET_ENV},
    )
    runtime.call(envelope({"name": SECRET_PAYLOAD}))
    logs = runtime.logs()
    assert " - DEBUG - handler input: " in logs
    assert SECRET_PAYLOAD in logs
    assert SECRET_ENV not in logs


def test_debug_excerpts_are_bounded(fresh_runtime: Start) -> None:
    runtime = fresh_runtime("payload_handlers.echo", env={"ASYA_LOG_LEVEL": "DEBUG"})
    runtime.call(envelope("x" * 100_000))
    assert max(len(line) for line in runtime.logs().splitlines()) < 2000


def test_an_unknown_log_level_means_info_with_a_warning(fresh_runtime: Start) -> None:
    runtime = fresh_runtime("payload_handlers.echo", env={"ASYA_LOG_LEVEL": "verbose"})
    runtime.call(envelope(1))
    logs = runtime.logs()
    assert (
        "WARNING - ASYA_LOG_LEVEL='verbose' is not one of DEBUG, INFO, WARNING, ERROR, CRITICAL; using INFO"
        in logs
    )
    assert " - INFO - id=msg-1 " in logs
    assert " - DEBUG - " not in logs


def test_warning_level_drops_the_per_request_lines(fresh_runtime: Start) -> None:
    runtime = fresh_runtime("payload_handlers.echo", env={"ASYA_LOG_LEVEL": "WARNING"})
    runtime.call(envelope(1))
    assert " - INFO - " not in runtime.logs()


def test_handler_prints_reach_stdout_while_the_runtime_runs(shared_runtime: RuntimeFactory) -> None:
    """stdout is line-buffered, so prints show up in ``kubectl logs`` promptly, not at exit."""
    runtime = shared_runtime("payload_handlers.prints")
    runtime.call(envelope(1))
    wait_for(lambda: "printed by the handler\n" in runtime.stdout(), what="the handler's print")
    assert runtime.running()
