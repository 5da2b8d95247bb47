"""Start-up: socket and marker (§2, §3), handler loading and its failures (§11), environment (§17)."""

from __future__ import annotations

import json
import socket
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.runtime.process import Runtime, wait_for
from tests.runtime.sidecar import envelope

Start = Callable[..., Runtime]


def failed_start(fresh_runtime: Start, handler: str | None, **options: object) -> str:
    """Start a runtime that must fail: exit status 1, nothing left behind; returns its logs."""
    runtime = fresh_runtime(handler, wait=False, **options)
    assert runtime.wait_exit() == 1, runtime.logs()
    # What the pod's probes test: `test -S` on the socket, `test -f` on the marker.
    assert not runtime.socket_path.is_socket(), "a failed start must leave no socket"
    assert not runtime.marker_path.is_file(), "a failed start must leave no marker"
    logs = runtime.logs()
    assert " - asya.runtime - CRITICAL - FATAL: " in logs, logs
    return logs


# §2, §3 socket and marker


def _read(path: Path) -> str | None:
    try:
        return path.read_text()
    except FileNotFoundError:
        return None


def test_listens_on_asya_runtime_sock_in_the_socket_dir_and_writes_the_marker(fresh_runtime: Start) -> None:
    runtime = fresh_runtime("payload_handlers.wrap")
    assert stat.S_ISSOCK(runtime.socket_path.stat().st_mode)
    assert runtime.marker_path.read_text() == "ready"
    assert runtime.call(envelope({"x": 1}))[0]["payload"] == {"got": {"x": 1}}


def test_creates_a_missing_socket_dir(fresh_runtime: Start, socket_dir: Path) -> None:
    runtime = fresh_runtime("payload_handlers.echo", socket_dir=socket_dir / "not" / "there")
    assert runtime.socket_path.is_socket()
    assert runtime.call(envelope(7))[0]["payload"] == 7


def test_replaces_the_socket_and_marker_left_by_a_killed_container(fresh_runtime: Start) -> None:
    first = fresh_runtime("payload_handlers.echo")
    first.process.kill()  # SIGKILL: no clean-up, as when a container is killed
    first.wait_exit()
    assert first.socket_path.is_socket()
    first.marker_path.write_text("left over")
    second = fresh_runtime("payload_handlers.wrap", socket_dir=first.socket_dir, wait=False)
    wait_for(lambda: _read(second.marker_path) == "ready", what="a new readiness marker")
    assert second.call(envelope(1))[0]["payload"] == {"got": 1}


def test_replaces_a_regular_file_at_the_socket_path(fresh_runtime: Start, socket_dir: Path) -> None:
    (socket_dir / "asya-runtime.sock").write_text("not a socket")
    runtime = fresh_runtime("payload_handlers.echo", socket_dir=socket_dir)
    assert runtime.socket_path.is_socket()


def test_a_directory_at_the_socket_path_is_a_start_up_failure(fresh_runtime: Start, socket_dir: Path) -> None:
    (socket_dir / "asya-runtime.sock").mkdir()
    logs = failed_start(fresh_runtime, "payload_handlers.echo", socket_dir=socket_dir)
    assert "asya-runtime.sock" in logs


def test_removes_a_leftover_marker_before_loading_the_handler(
    fresh_runtime: Start, socket_dir: Path, tmp_path: Path
) -> None:
    """Nothing in the socket dir says "ready" while the module imports or the class is built."""
    (socket_dir / "runtime-ready").write_text("left over")
    probe = tmp_path / "probe.jsonl"
    runtime = fresh_runtime(
        "startup_probe.Model.predict", socket_dir=socket_dir, env={"PROBE_FILE": str(probe)}, wait=False
    )
    wait_for(lambda: _read(runtime.marker_path) == "ready", what="the new readiness marker")
    seen = [json.loads(line) for line in probe.read_text().splitlines()]
    assert seen == [
        {"stage": "import", "marker": False, "socket": False},
        {"stage": "constructor", "marker": False, "socket": False},
    ]
    assert runtime.marker_path.exists()


def test_the_marker_appears_only_once_the_socket_accepts(fresh_runtime: Start) -> None:
    runtime = fresh_runtime("payload_handlers.echo", wait=False)
    runtime.wait_ready()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.settimeout(2)
        probe.connect(str(runtime.socket_path))  # the sidecar's readiness dial


def test_a_marker_that_cannot_be_replaced_is_fatal(fresh_runtime: Start, socket_dir: Path) -> None:
    (socket_dir / "runtime-ready").mkdir()
    logs = failed_start(fresh_runtime, "payload_handlers.echo", socket_dir=socket_dir)
    assert "runtime-ready" in logs


@pytest.mark.parametrize(
    ("value", "mode"), [(None, 0o666), ("0o666", 0o666), ("600", 0o600), ("0o640", 0o640), ("", 0o700)]
)
def test_socket_mode_follows_asya_socket_chmod(fresh_runtime: Start, value: str | None, mode: int) -> None:
    """Default 0o666 so a sidecar under another UID can connect; empty skips the chmod (umask 077 here)."""
    env = {} if value is None else {"ASYA_SOCKET_CHMOD": value}
    runtime = fresh_runtime("payload_handlers.echo", env=env, umask=0o077)
    assert stat.S_IMODE(runtime.socket_path.stat().st_mode) == mode


@pytest.mark.parametrize("value", ["rw-rw-rw-", "999", "0o17777", "-1"])
def test_a_bad_asya_socket_chmod_is_a_start_up_failure(fresh_runtime: Start, value: str) -> None:
    logs = failed_start(fresh_runtime, "payload_handlers.echo", env={"ASYA_SOCKET_CHMOD": value})
    assert "ASYA_SOCKET_CHMOD" in logs


def test_asya_socket_name_is_ignored_with_a_warning(fresh_runtime: Start) -> None:
    runtime = fresh_runtime("payload_handlers.echo", env={"ASYA_SOCKET_NAME": "other.sock"})
    assert runtime.socket_path.is_socket()
    assert not (runtime.socket_dir / "other.sock").exists()
    assert "WARNING - ASYA_SOCKET_NAME is ignored" in runtime.logs()


# §11 handler resolution


@pytest.mark.parametrize(
    ("handler", "origin"),
    [("pkg.sub.process", "pkg.sub.process"), ("pkg.sub.Model.predict", "pkg.sub.Model.predict")],
)
def test_resolves_functions_and_class_methods_in_packages(
    fresh_runtime: Start, handler: str, origin: str
) -> None:
    runtime = fresh_runtime(handler)
    assert runtime.call(envelope(3))[0]["payload"] == {"from": origin, "payload": 3}


def test_a_class_handler_is_built_once(fresh_runtime: Start) -> None:
    runtime = fresh_runtime("payload_handlers.Counter.process")
    counts = [runtime.call(envelope(None))[0]["payload"]["count"] for _ in range(3)]
    assert counts == [1, 2, 3]


def test_handler_mode_is_case_insensitive(fresh_runtime: Start) -> None:
    runtime = fresh_runtime("envelope_handlers.advance", env={"ASYA_HANDLER_MODE": "Envelope"})
    assert runtime.call(envelope({"a": 1}))[0]["route"]["current"] == 2


def test_an_empty_handler_mode_means_payload(fresh_runtime: Start) -> None:
    runtime = fresh_runtime("payload_handlers.wrap", env={"ASYA_HANDLER_MODE": ""})
    assert runtime.call(envelope(5))[0]["payload"] == {"got": 5}


def test_the_working_directory_is_not_on_the_import_path(fresh_runtime: Start, tmp_path: Path) -> None:
    (tmp_path / "in_cwd_only.py").write_text("def process(payload):\n    return payload\n")
    logs = failed_start(fresh_runtime, "in_cwd_only.process", cwd=tmp_path)
    assert "No module named 'in_cwd_only'" in logs
    assert "PYTHONPATH" in logs


# §11 start-up failures: exit 1, a FATAL line naming the cause, no socket, no marker


def test_missing_asya_handler(fresh_runtime: Start) -> None:
    assert "ASYA_HANDLER is not set" in failed_start(fresh_runtime, None)


@pytest.mark.parametrize(
    "handler", ["process", "my-module.process", "1module.process", "module..process", "a.b."]
)
def test_malformed_asya_handler(fresh_runtime: Start, handler: str) -> None:
    logs = failed_start(fresh_runtime, handler)
    assert f"ASYA_HANDLER={handler!r} is not a dotted path" in logs


def test_missing_module(fresh_runtime: Start) -> None:
    logs = failed_start(fresh_runtime, "no_such_module.process")
    assert "No module named 'no_such_module'" in logs


def test_missing_dependency_inside_the_handler_module_is_reported_as_itself(fresh_runtime: Start) -> None:
    logs = failed_start(fresh_runtime, "broken_dependency.process")
    assert "importing module 'broken_dependency' failed" in logs
    assert "No module named 'missing_dependency_xyz'" in logs
    assert "Traceback" in logs


def test_module_raising_at_import(fresh_runtime: Start) -> None:
    logs = failed_start(fresh_runtime, "broken_import.process")
    assert "RuntimeError: configuration file /etc/app.conf is unreadable" in logs


def test_module_with_a_syntax_error(fresh_runtime: Start) -> None:
    assert "SyntaxError" in failed_start(fresh_runtime, "broken_syntax.process")


def test_missing_function(fresh_runtime: Start) -> None:
    logs = failed_start(fresh_runtime, "payload_handlers.no_such_function")
    assert "module 'payload_handlers' has no attribute 'no_such_function'" in logs


def test_missing_submodule_is_named(fresh_runtime: Start) -> None:
    logs = failed_start(fresh_runtime, "pkg.nosub.process")
    assert "module 'pkg' has no attribute 'nosub'" in logs
    assert "No module named 'pkg.nosub'" in logs


@pytest.mark.parametrize("name", ["NOT_CALLABLE", "NOTHING"])
def test_attribute_that_is_not_callable(fresh_runtime: Start, name: str) -> None:
    """An attribute set to None is there, just not callable."""
    assert f"{name} is not callable" in failed_start(fresh_runtime, f"payload_handlers.{name}")


def test_function_that_takes_no_argument(fresh_runtime: Start) -> None:
    logs = failed_start(fresh_runtime, "payload_handlers.takes_nothing")
    assert "cannot be called with one argument" in logs


def test_class_whose_constructor_needs_arguments(fresh_runtime: Start) -> None:
    logs = failed_start(fresh_runtime, "payload_handlers.NeedsModel.process")
    assert "NeedsModel is built with no arguments, but __init__ needs model_path" in logs


def test_class_whose_constructor_raises(fresh_runtime: Start) -> None:
    logs = failed_start(fresh_runtime, "payload_handlers.BrokenConstructor.process")
    assert "constructing BrokenConstructor() failed: RuntimeError: model weights not found" in logs


def test_class_without_the_method(fresh_runtime: Start) -> None:
    logs = failed_start(fresh_runtime, "payload_handlers.Counter.missing")
    assert "class Counter has no attribute 'missing'" in logs


def test_method_path_through_something_that_is_not_a_class(fresh_runtime: Start) -> None:
    assert "payload_handlers.echo is not a class" in failed_start(fresh_runtime, "payload_handlers.echo.attr")


def test_too_many_segments_after_the_module(fresh_runtime: Start) -> None:
    logs = failed_start(fresh_runtime, "payload_handlers.Counter.process.extra")
    assert "'Counter.process.extra' is left after module 'payload_handlers'" in logs


@pytest.mark.parametrize("mode", ["batch", "payloads", "true"])
def test_bad_handler_mode(fresh_runtime: Start, mode: str) -> None:
    logs = failed_start(fresh_runtime, "payload_handlers.echo", env={"ASYA_HANDLER_MODE": mode})
    assert f"ASYA_HANDLER_MODE={mode!r} is not 'payload' or 'envelope'" in logs


@pytest.mark.parametrize("value", ["lots", "0", "-4096"])
def test_bad_chunk_size(fresh_runtime: Start, value: str) -> None:
    logs = failed_start(fresh_runtime, "payload_handlers.echo", env={"ASYA_CHUNK_SIZE": value})
    assert f"ASYA_CHUNK_SIZE={value!r}" in logs


def test_a_tiny_chunk_size_changes_nothing_on_the_wire(fresh_runtime: Start) -> None:
    runtime = fresh_runtime("payload_handlers.echo", env={"ASYA_CHUNK_SIZE": "7"})
    payload = {"text": "x" * 1024}
    assert runtime.call(envelope(payload))[0]["payload"] == payload
