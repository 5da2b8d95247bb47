"""Logging: JSON lines or console lines, context on every line, secrets never written."""

from __future__ import annotations

import json
import logging

import pytest
import structlog

from controller import logs
from tests.logging_state import restored_logging  # noqa: F401 (a fixture)

pytestmark = pytest.mark.usefixtures("restored_logging")


def _json_lines(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_json_lines_carry_level_logger_time_and_bound_context(capsys: pytest.CaptureFixture[str]) -> None:
    logs.configure(format="json", level="info")
    with structlog.contextvars.bound_contextvars(key="ns/actor"):
        logs.get_logger("controller.test").info("reconciled", changed=2)
    logs.get_logger("controller.test").info("outside")
    first, second = _json_lines(capsys.readouterr().err)
    assert first["event"] == "reconciled"
    assert first["key"] == "ns/actor"
    assert first["changed"] == 2
    assert first["level"] == "info"
    assert first["logger"] == "controller.test"
    assert "timestamp" in first
    assert "key" not in second


def test_lines_below_the_level_are_not_written(capsys: pytest.CaptureFixture[str]) -> None:
    logs.configure(format="json", level="warning")
    logs.get_logger("t").info("quiet")
    logs.get_logger("t").warning("loud")
    assert [line["event"] for line in _json_lines(capsys.readouterr().err)] == ["loud"]


def test_console_format_is_readable_text(capsys: pytest.CaptureFixture[str]) -> None:
    logs.configure(format="console", level="info")
    logs.get_logger("t").info("hello there", key="ns/a")
    err = capsys.readouterr().err
    assert "hello there" in err
    assert "key=ns/a" in err
    assert not err.lstrip().startswith("{")


def test_the_format_defaults_to_json_when_stderr_is_not_a_terminal() -> None:
    assert logs.default_format() == "json"  # pytest captures stderr into a pipe-like object


def test_secret_fields_urls_tokens_and_tracebacks_are_redacted(capsys: pytest.CaptureFixture[str]) -> None:
    logs.configure(format="json", level="info")
    log = logs.get_logger("t")
    log.info(
        "connecting to amqp://guest:hunter2@rabbit:5672/",
        password="hunter2",
        config={"host": "rabbit", "aws_secret_access_key": "AKIAXXXX"},
        headers=["Authorization: Bearer abc.def-ghi"],
    )
    try:
        raise RuntimeError("login failed for https://bob:s3cr3t@example.com token=abc123")
    except RuntimeError:
        log.exception("failed")
    logging.getLogger("some.library").warning("dsn=postgres://u:pw1@db password=pw1")
    err = capsys.readouterr().err
    for secret in ("hunter2", "AKIAXXXX", "abc.def-ghi", "s3cr3t", "abc123", "pw1"):
        assert secret not in err
    lines = _json_lines(err)
    assert lines[0]["event"] == f"connecting to amqp://guest:{logs.MASK}@rabbit:5672/"
    assert lines[0]["config"] == {"host": "rabbit", "aws_secret_access_key": logs.MASK}
    assert "RuntimeError" in str(lines[1]["exception"])
    assert lines[2]["logger"] == "some.library"


def test_redact_text_keeps_ordinary_words() -> None:
    text = "passed 3 checks; secretName refers to a Secret; bypass=false"
    assert logs.redact_text("Secret rabbit-creds not found") == "Secret rabbit-creds not found"
    assert logs.redact_text(text).startswith("passed 3 checks; secretName")


def test_a_reference_to_a_secret_is_not_masked_but_the_secret_is() -> None:
    text = "config.passwordSecretRef: required field missing; password=hunter2"
    assert logs.redact_text(text) == f"config.passwordSecretRef: required field missing; password={logs.MASK}"


@pytest.mark.parametrize(
    ("key", "secret"),
    [("password", True), ("db_pass", True), ("apiKey", True), ("AWS_SECRET_ACCESS_KEY", True),
     ("passed", False), ("bypass", False), ("key", False), ("name", False)],
)  # fmt: skip
def test_secret_looking_keys(key: str, secret: bool) -> None:
    assert logs.is_secret_key(key) is secret


def test_an_unknown_level_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown log level"):
        logs.configure(format="json", level="chatty")
