"""Logging: structlog over the standard library, one line per event, secrets redacted.

Contract:
- ``configure(format=..., level=...)`` sets up structlog *and* the standard ``logging`` root, so that lines
  from libraries (aiohttp, kubernetes-asyncio) come out in the same format and pass through the same
  redaction.
- Format ``json`` writes one JSON object per line (for a container); ``console`` writes readable coloured
  lines (for a terminal). ``None`` picks ``console`` when stderr is a terminal and ``json`` otherwise.
- Context bound with ``structlog.contextvars`` (``bound_contextvars(key=...)``) appears on every line logged
  inside that context; the manager binds the reconcile key this way.
- ``redact`` runs last before rendering: a value whose key looks secret (password, token, secret, credentials,
  authorization, api key, private key, session token) is replaced whole; in every other string, credentials in
  URLs (``scheme://user:pass@host``), ``Bearer``/``Basic`` tokens, JWTs and ``key=value`` pairs with a
  secret-looking key are masked. ``redact_text`` is the same masking for free text (Kubernetes Events, status
  messages).
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping, MutableMapping
from typing import Any, Literal

import structlog

LogFormat = Literal["json", "console"]

MASK = "[REDACTED]"

_SECRET_WORDS = (
    "password",
    "passwd",
    "secret",
    "token",
    "credential",
    "authorization",
    "apikey",
    "privatekey",
    "accesskey",
    "sessionkey",
    "cookie",
)
_URL_USERINFO = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^:/@\s]*):(?P<pw>[^@/\s]+)@")
_AUTH_SCHEME = re.compile(r"\b(?P<scheme>Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+", re.IGNORECASE)
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
_ASSIGNMENT = re.compile(
    # A key ending in "Ref" names where a secret lives (``passwordSecretRef``), not the secret itself.
    r"(?P<key>[\w.-]*(?:pass(?:word|wd)?|secret|token|api[-_]?key|access[-_]?key)[\w.-]*)(?<!ref)"
    r"(?P<sep>\s*[=:]\s*)(?P<quote>['\"]?)(?P<value>[^\s'\",;&}]+)",
    re.IGNORECASE,
)


def is_secret_key(key: str) -> bool:
    """Whether a field or variable named ``key`` holds a secret by its name."""
    lowered = key.lower()
    squashed = lowered.replace("_", "").replace("-", "").replace(".", "")
    if any(word in squashed for word in _SECRET_WORDS):
        return True
    return lowered == "pass" or lowered.endswith(("_pass", "-pass"))


def redact_text(text: str) -> str:
    """``text`` with credentials in URLs, auth tokens, JWTs and ``secret=value`` pairs masked."""
    text = _URL_USERINFO.sub(lambda m: f"{m['scheme']}{m['user']}:{MASK}@", text)
    text = _AUTH_SCHEME.sub(lambda m: f"{m['scheme']} {MASK}", text)
    text = _JWT.sub(MASK, text)
    return _ASSIGNMENT.sub(lambda m: f"{m['key']}{m['sep']}{m['quote']}{MASK}", text)


def redact_value(value: Any, *, key: str = "") -> Any:
    """``value`` with secrets masked, recursing into mappings and sequences."""
    if key and is_secret_key(key) and value not in (None, "", 0, False):
        return MASK
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        return {k: redact_value(v, key=str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [redact_value(item) for item in value]
    if isinstance(value, BaseException):
        return redact_text(repr(value))
    return value


def redact(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """A structlog processor that masks secrets in every field of the event."""
    for key, value in list(event_dict.items()):
        event_dict[key] = redact_value(value, key="" if key == "event" else key)
    return event_dict


def _shared_processors() -> list[structlog.typing.Processor]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]


def default_format() -> LogFormat:
    """``console`` on a terminal, ``json`` otherwise (a container's stderr is a pipe)."""
    return "console" if sys.stderr.isatty() else "json"


def configure(*, format: LogFormat | None = None, level: str | int = "info") -> None:
    """Route structlog and standard logging to stderr in ``format`` at ``level``."""
    chosen = format or default_format()
    numeric = level if isinstance(level, int) else logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        raise ValueError(f"unknown log level {level!r}")
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer()
        if chosen == "json"
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    # Tracebacks are rendered to text before redaction so that a secret in an exception message is masked too.
    tail: list[structlog.typing.Processor] = [structlog.processors.format_exc_info, redact]
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_shared_processors(),
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *tail, renderer],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(numeric)
    # The client library logs every response body at DEBUG; keep it quiet unless asked for explicitly.
    logging.getLogger("kubernetes_asyncio").setLevel(max(numeric, logging.INFO))
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_shared_processors(),
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    """A logger named ``name``; what it logs follows ``configure``."""
    logger: structlog.stdlib.BoundLogger = structlog.stdlib.get_logger(name)
    return logger
