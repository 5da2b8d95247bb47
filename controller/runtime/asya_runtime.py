"""Asya actor runtime: loads the user's handler and serves the Asya sidecar over a Unix socket.

The controller ships this file in ConfigMap ``asya-runtime`` and runs it as
``python3 /opt/asya/asya_runtime.py`` in the ``asya-runtime`` container. Actor images are often old, so it is
one file, standard library only, for Python 3.8+ (it also starts on 3.7), importing nothing from the
controller package.

Contract (the project's ``runtime-protocol.md``, written from the Go sidecar's code):

- Start-up: remove a leftover ``runtime-ready`` marker, read the environment, import the handler (building a
  class handler's instance), then bind ``$ASYA_SOCKET_DIR/asya-runtime.sock`` (creating the directory,
  replacing a stale file, applying ``ASYA_SOCKET_CHMOD``) and only then write the marker. Any failure logs one
  ``FATAL:`` line naming the cause and exits 1, leaving neither socket nor marker behind.
- One connection per message. A frame is a 4-byte unsigned big-endian length and that many bytes of UTF-8
  JSON, both ways. The reply goes out as soon as the announced bytes are in, then the connection closes. A
  connection closed before sending anything (the sidecar's readiness probe) is a non-event; one closed inside
  a frame is logged and offered a ``connection_error`` reply that nobody may read.
- The reply is always a strict-JSON array: ``[]``, success elements ``{"payload", "route"[, "headers"]}``, or
  exactly one error element ``{"error": code, "details": {"message", "type", "traceback"}}`` with
  ``msg_parsing_error`` or ``processing_error``. The process stays up after every error.
- ``payload`` mode calls ``handler(payload)`` and advances ``route.current`` by one; ``envelope`` mode calls
  ``handler(envelope)`` and the handler sets the route. ``ASYA_ENABLE_VALIDATION`` checks requests and, in
  envelope mode, the returned envelopes, including the rule that the steps up to the current one stay as
  they came in.
- SIGTERM/SIGINT: stop accepting, finish the request in flight and write its reply, remove only this
  process's socket and marker, exit 0. A second signal while a request still runs exits at once (status
  128 + the signal's number).
- Logging goes to stderr; payloads and results appear only at DEBUG, environment values never.

Deliberate differences from the upstream runtime: results that are not strict JSON (NaN, sets, bytes, ...)
and scalar requests get an error reply instead of a closed connection; envelope-mode output is checked
against a private copy of the input route, so in-place edits cannot slip past the route rules; an
``ImportError`` raised inside the handler's module is reported as itself; a leftover marker is removed first
and a marker that cannot be written is fatal; a serving-loop failure exits 1; ``ASYA_SOCKET_NAME`` is not
offered, because the sidecar always dials ``asya-runtime.sock``. A handler that returns an awaitable (an
``async def`` handler) has it run to completion on one event loop kept for the life of the process.
"""

from __future__ import annotations

import contextlib
import errno
import importlib
import inspect
import json
import logging
import os
import platform
import re
import select
import signal
import socket
import struct
import sys
import time
import traceback
from typing import Any, Callable, Dict, NamedTuple

SOCKET_NAME = "asya-runtime.sock"
MARKER_NAME = "runtime-ready"
DEFAULT_SOCKET_DIR = "/var/run/asya"
DEFAULT_SOCKET_CHMOD = "0o666"
DEFAULT_CHUNK_SIZE = 65536
BACKLOG = 16
MAX_FRAME = 0xFFFFFFFF

MSG_PARSING_ERROR = "msg_parsing_error"
PROCESSING_ERROR = "processing_error"
CONNECTION_ERROR = "connection_error"

MODES = ("payload", "envelope")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOG_FORMAT = "%(asctime)s - %(name)s - %(levelname)s - %(message)s"
LOG_DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
DEBUG_EXCERPT = 1000

_HANDLER_PATH = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+\Z")
_PREFIX = struct.Struct(">I")
_MISSING = object()

log = logging.getLogger("asya.runtime")

Handler = Callable[[Any], Any]
Json = Dict[str, Any]


class StartupError(Exception):
    """The runtime cannot start; the message names the variable or handler and the cause."""


class Rejected(Exception):
    """A request gets an error reply with ``code``; ``cause`` fills its details."""

    def __init__(self, code: str, cause: BaseException) -> None:
        super().__init__(code)
        self.code = code
        self.cause = cause


class IncompleteFrame(Exception):
    """The peer closed the connection after sending part of a frame."""


class Config(NamedTuple):
    handler: str
    mode: str
    validation: bool
    socket_dir: str
    socket_chmod: int | None
    chunk_size: int


# ----------------------------------------------------------------------------------------------------------
# Configuration


def socket_dir_from(env: dict[str, str]) -> str:
    return env.get("ASYA_SOCKET_DIR") or DEFAULT_SOCKET_DIR


def log_level_from(env: dict[str, str]) -> tuple[int, str | None]:
    """The logging level and, for an unknown value, a warning to log once logging is set up."""
    raw = env.get("ASYA_LOG_LEVEL", "").strip()
    if not raw:
        return logging.INFO, None
    if raw.upper() in LOG_LEVELS:
        return getattr(logging, raw.upper()), None
    return logging.INFO, "ASYA_LOG_LEVEL={!r} is not one of {}; using INFO".format(raw, ", ".join(LOG_LEVELS))


def read_config(env: dict[str, str]) -> tuple[Config, list[str]]:
    """The runtime's settings and warnings about odd values; raises StartupError on a value it cannot use."""
    warnings = []
    handler = env.get("ASYA_HANDLER", "").strip()
    if not handler:
        raise StartupError("ASYA_HANDLER is not set: it must name the handler, e.g. my_module.process")
    if not _HANDLER_PATH.match(handler):
        raise StartupError(
            f"ASYA_HANDLER={handler!r} is not a dotted path like module.function or module.Class.method "
            "(two or more segments of letters, digits and underscores, not starting with a digit)"
        )
    mode = env.get("ASYA_HANDLER_MODE", "").strip().lower() or "payload"
    if mode not in MODES:
        raise StartupError(
            "ASYA_HANDLER_MODE={!r} is not 'payload' or 'envelope'".format(env["ASYA_HANDLER_MODE"])
        )
    raw_validation = env.get("ASYA_ENABLE_VALIDATION", "true")
    # Same reading as upstream: only "true" turns validation on, so "1" or "yes" turn it off.
    validation = raw_validation.strip().lower() == "true"
    if raw_validation.strip().lower() not in ("true", "false"):
        warnings.append(
            f"ASYA_ENABLE_VALIDATION={raw_validation!r} is neither true nor false: validation is off"
        )
    raw_chmod = env.get("ASYA_SOCKET_CHMOD", DEFAULT_SOCKET_CHMOD).strip()
    chmod = None
    if raw_chmod:
        try:
            chmod = int(raw_chmod, 8)
        except ValueError:
            chmod = -1
        if not 0 <= chmod <= 0o7777:
            raise StartupError(f"ASYA_SOCKET_CHMOD={raw_chmod!r} is not an octal mode such as 0o666 or 660")
    raw_chunk = env.get("ASYA_CHUNK_SIZE", "").strip()
    chunk_size = DEFAULT_CHUNK_SIZE
    if raw_chunk:
        try:
            chunk_size = int(raw_chunk)
        except ValueError:
            chunk_size = 0
        if chunk_size <= 0:
            raise StartupError(f"ASYA_CHUNK_SIZE={raw_chunk!r} is not a positive number of bytes")
    if "ASYA_SOCKET_NAME" in env:
        warnings.append(f"ASYA_SOCKET_NAME is ignored: the sidecar always connects to {SOCKET_NAME}")
    config = Config(
        handler=handler,
        mode=mode,
        validation=validation,
        socket_dir=socket_dir_from(env),
        socket_chmod=chmod,
        chunk_size=chunk_size,
    )
    return config, warnings


# ----------------------------------------------------------------------------------------------------------
# Handler loading


def _handler_error(handler_path: str, text: str, exc: BaseException | None = None) -> StartupError:
    message = f"ASYA_HANDLER={handler_path}: {text}"
    if exc is not None:
        message += f": {_describe(exc)}\n{_traceback(exc).rstrip()}"
    return StartupError(message)


def _import_longest_prefix(handler_path: str) -> tuple[Any, list[str], ModuleNotFoundError | None]:
    """Import the longest module prefix that leaves at least one segment.

    Returns the module, the segments left and the "no such module" error of the longer prefixes, if any.
    """
    segments = handler_path.split(".")
    missing = None
    for size in range(len(segments) - 1, 0, -1):
        name = ".".join(segments[:size])
        try:
            return importlib.import_module(name), segments[size:], missing
        except ModuleNotFoundError as exc:
            # Only "this prefix (or a parent of it) does not exist" means try a shorter one; a module missing
            # *inside* the handler's code (a dependency) is the real cause and is reported as it is.
            if exc.name is not None and (exc.name == name or name.startswith(exc.name + ".")):
                missing = exc
                continue
            raise _handler_error(handler_path, f"importing module {name!r} failed", exc) from exc
        except Exception as exc:
            raise _handler_error(handler_path, f"importing module {name!r} failed", exc) from exc
    raise _handler_error(
        handler_path,
        f"no module of it can be imported ({missing}); it must be importable through PYTHONPATH or "
        "site-packages (the working directory is not on sys.path)",
    )


def _instantiate(cls: type, handler_path: str) -> Any:
    try:
        signature: inspect.Signature | None = inspect.signature(cls)
    except (TypeError, ValueError):
        signature = None  # no signature to check; calling it will tell
    if signature is not None:
        required = [
            parameter.name
            for parameter in signature.parameters.values()
            if parameter.default is parameter.empty
            and parameter.kind not in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD)
        ]
        if required:
            raise _handler_error(
                handler_path,
                f"class {cls.__name__} is built with no arguments, but __init__ needs {', '.join(required)}",
            )
    try:
        return cls()
    except Exception as exc:
        raise _handler_error(handler_path, f"constructing {cls.__name__}() failed", exc) from exc


def load_handler(handler_path: str) -> Handler:
    """Resolve ``module.function`` or ``module.Class.method`` (the class built once, with no arguments)."""
    module, rest, missing = _import_longest_prefix(handler_path)
    if len(rest) > 2:
        raise _handler_error(
            handler_path,
            f"{'.'.join(rest)!r} is left after module {module.__name__!r}; expected function or Class.method",
        )
    target = getattr(module, rest[0], _MISSING)
    if target is _MISSING:
        also = f" (and {missing})" if missing is not None else ""
        raise _handler_error(handler_path, f"module {module.__name__!r} has no attribute {rest[0]!r}{also}")
    if len(rest) == 2:
        if not inspect.isclass(target):
            raise _handler_error(handler_path, f"{module.__name__}.{rest[0]} is not a class")
        target = getattr(_instantiate(target, handler_path), rest[1], _MISSING)
        if target is _MISSING:
            raise _handler_error(handler_path, f"class {rest[0]} has no attribute {rest[1]!r}")
    if not callable(target):
        raise _handler_error(handler_path, f"{'.'.join(rest)} is not callable")
    try:
        inspect.signature(target).bind(None)
    except TypeError as exc:
        raise _handler_error(handler_path, f"the handler cannot be called with one argument ({exc})") from exc
    except ValueError:
        pass  # no signature to check (some builtins); calling it will tell
    handler: Handler = target
    return handler


# ----------------------------------------------------------------------------------------------------------
# Requests and replies (pure except for calling the handler)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {_message(exc)}"


def _message(exc: BaseException) -> str:
    try:
        return str(exc)
    except Exception:
        return f"<{type(exc).__name__} with an unprintable message>"


def _traceback(exc: BaseException) -> str:
    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))


def error_reply(code: str, exc: BaseException) -> list[Json]:
    """The single-element error reply; every ``details`` field is a string, as the sidecar requires."""
    details = {"message": _message(exc), "type": type(exc).__name__, "traceback": _traceback(exc)}
    return [{"error": code, "details": details}]


def encode_json(value: Any) -> bytes:
    """Strict JSON (no NaN/Infinity), compact; raises TypeError/ValueError on what JSON cannot carry."""
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")
    except UnicodeEncodeError:
        # Lone surrogates cannot be UTF-8; \u escapes carry them the way they arrived.
        return json.dumps(value, ensure_ascii=True, allow_nan=False, separators=(",", ":")).encode("ascii")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def decode_request(body: bytes | bytearray) -> Json:
    """The request object; raises Rejected(msg_parsing_error) for non-UTF-8, non-JSON or non-object bodies."""
    try:
        value = json.loads(body.decode("utf-8"), parse_constant=_reject_constant)
        if not isinstance(value, dict):
            raise ValueError(f"the request must be a JSON object, got {_json_type(value)}")
    except Exception as exc:
        raise Rejected(MSG_PARSING_ERROR, exc) from exc
    return value


def check_envelope(envelope: Any) -> int:
    """Structural checks shared by requests and returned envelopes; fills a missing ``route.current`` with 0.

    Returns ``route.current``; raises ValueError naming the first problem (types only, never values).
    """
    if not isinstance(envelope, dict):
        raise ValueError(f"the envelope must be an object, got {_json_type(envelope)}")
    for key in ("payload", "route"):
        if key not in envelope:
            raise ValueError(f"the envelope has no {key!r}")
    route = envelope["route"]
    if not isinstance(route, dict):
        raise ValueError(f"'route' must be an object, got {_json_type(route)}")
    actors = route.get("actors")
    if not isinstance(actors, list) or not actors:
        raise ValueError(f"'route.actors' must be a non-empty array, got {_json_type(actors)}")
    if not all(isinstance(actor, str) for actor in actors):
        raise ValueError("'route.actors' must contain only strings")
    if "current" not in route:
        log.info("'route.current' is missing; using 0")
        route["current"] = 0
    current = route["current"]
    if not isinstance(current, int) or isinstance(current, bool):
        raise ValueError(f"'route.current' must be an integer, got {_json_type(current)}")
    if not 0 <= current <= len(actors):
        raise ValueError(f"'route.current'={current} is outside [0, {len(actors)}]")
    metadata = route.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise ValueError(f"'route.metadata' must be an object, got {_json_type(metadata)}")
    headers = envelope.get("headers", {})
    if not isinstance(headers, dict):
        raise ValueError(f"'headers' must be an object, got {_json_type(headers)}")
    envelope_id = envelope.get("id", "")
    if not isinstance(envelope_id, str):
        raise ValueError(f"'id' must be a string, got {_json_type(envelope_id)}")
    return current


def _as_items(result: Any) -> list[Any]:
    if result is None:
        return []
    if isinstance(result, (list, tuple)):
        return list(result)
    return [result]


def _cut_down(envelope: Json) -> Json:
    out = {"payload": envelope["payload"], "route": envelope["route"]}
    for key in ("id", "parent_id", "headers"):
        if key in envelope:
            out[key] = envelope[key]
    return out


def payload_route(request: Json, *, validation: bool) -> Json:
    """The route every reply element carries in payload mode: the request's with ``current`` + 1."""
    if validation:
        try:
            current = check_envelope(request)
        except ValueError as exc:
            raise Rejected(MSG_PARSING_ERROR, exc) from exc
    else:
        route = request.get("route")
        found = route.get("current", 0) if isinstance(route, dict) else None
        if not isinstance(found, int) or isinstance(found, bool):
            problem = ValueError(
                "payload mode advances 'route.current', so the request needs a route object with an integer "
                f"'current'; got route {_json_type(route)} with current {_json_type(found)}"
            )
            raise Rejected(PROCESSING_ERROR, problem)
        current = found
    advanced = dict(request["route"])
    advanced["current"] = current + 1
    return advanced


def payload_reply(request: Json, result: Any, route: Json) -> list[Json]:
    elements = []
    for item in _as_items(result):
        element = {"payload": item, "route": route}
        if "headers" in request:
            element["headers"] = request["headers"]
        elements.append(element)
    return elements


def envelope_input(request: Json, *, validation: bool) -> Json:
    """The envelope-mode handler's argument: the checked, cut-down envelope, or all of it (validation off)."""
    if not validation:
        return request
    try:
        check_envelope(request)
    except ValueError as exc:
        raise Rejected(MSG_PARSING_ERROR, exc) from exc
    return _cut_down(request)


def envelope_reply(result: Any, *, in_actors: list[str], in_current: int, validation: bool) -> list[Json]:
    """Returned envelopes as reply elements.

    ``in_actors`` and ``in_current`` are a private copy of the input route taken before the handler ran, so a
    route the handler edited in place is still checked against what came in.
    """
    if result is not None and not isinstance(result, (dict, list, tuple)):
        problem = TypeError(
            f"an envelope-mode handler returns an envelope, a list of them or None, not {_json_type(result)}"
        )
        raise Rejected(PROCESSING_ERROR, problem)
    items = _as_items(result)
    elements = []
    for index, item in enumerate(items):
        try:
            if not validation:
                if not isinstance(item, dict):
                    raise ValueError(f"the envelope must be an object, got {_json_type(item)}")
                elements.append(item)
                continue
            check_envelope(item)
            if item["route"]["actors"][: in_current + 1] != in_actors[: in_current + 1]:
                raise ValueError(
                    f"route.actors[0..{in_current}] must stay as they came in: steps already processed "
                    "cannot be removed, renamed or shifted"
                )
            elements.append(_cut_down(item))
        except ValueError as exc:
            invalid = ValueError(f"Invalid output envelope[{index}/{len(items)}]: {_message(exc)}")
            raise Rejected(PROCESSING_ERROR, _caused_by(invalid, exc)) from exc
    return elements


def _caused_by(problem: BaseException, cause: BaseException) -> BaseException:
    problem.__cause__ = cause  # the details' traceback then shows where the cause was raised
    return problem


class Processor:
    """Turns one request body into one reply body; never raises for anything a request or handler does."""

    def __init__(self, handler: Handler, *, mode: str, validation: bool) -> None:
        self.handler = handler
        self.mode = mode
        self.validation = validation
        self._loop: Any = None

    def handle(self, body: bytes | bytearray) -> bytes:
        started = time.monotonic()
        request_id = "-"
        try:
            request = decode_request(body)
            if isinstance(request.get("id"), str):
                request_id = request["id"][:200]
            reply = self._reply(request)
            encoded = self._encode(reply)
        except Rejected as rejected:
            log.warning(
                "id=%s mode=%s error=%s (%s) duration_ms=%.1f",
                request_id,
                self.mode,
                rejected.code,
                _describe(rejected.cause),
                _elapsed_ms(started),
            )
            return encode_json(error_reply(rejected.code, rejected.cause))
        log.info(
            "id=%s mode=%s elements=%d duration_ms=%.1f",
            request_id,
            self.mode,
            len(reply),
            _elapsed_ms(started),
        )
        if log.isEnabledFor(logging.DEBUG):
            log.debug("id=%s reply: %s", request_id, _excerpt(encoded.decode("utf-8")))
        return encoded

    def _reply(self, request: Json) -> list[Json]:
        if self.mode == "payload":
            route = payload_route(request, validation=self.validation)
            return payload_reply(request, self._call(request.get("payload")), route)
        envelope = envelope_input(request, validation=self.validation)
        in_route = envelope.get("route")
        in_actors = list(in_route.get("actors") or []) if isinstance(in_route, dict) else []
        in_current = in_route.get("current", 0) if isinstance(in_route, dict) else 0
        result = self._call(envelope)
        return envelope_reply(result, in_actors=in_actors, in_current=in_current, validation=self.validation)

    def _call(self, argument: Any) -> Any:
        if log.isEnabledFor(logging.DEBUG):
            log.debug("handler input: %s", _excerpt(argument))
        try:
            result = self.handler(argument)
            if inspect.isawaitable(result):
                result = self._run_awaitable(result)
        except Exception as exc:
            log.error("the handler raised %s", _describe(exc), exc_info=(type(exc), exc, exc.__traceback__))
            raise Rejected(PROCESSING_ERROR, exc) from exc
        return result

    def _run_awaitable(self, awaitable: Any) -> Any:
        import asyncio  # only async handlers pay for it

        if self._loop is None:
            self._loop = asyncio.new_event_loop()
        return self._loop.run_until_complete(awaitable)

    @staticmethod
    def _encode(reply: list[Json]) -> bytes:
        try:
            encoded = encode_json(reply)
        except Exception as exc:  # TypeError, ValueError (NaN, circular), RecursionError
            problem = ValueError(f"the handler's result is not strict JSON: {_describe(exc)}")
            raise Rejected(PROCESSING_ERROR, _caused_by(problem, exc)) from exc
        if len(encoded) > MAX_FRAME:
            raise Rejected(PROCESSING_ERROR, ValueError(f"the reply ({len(encoded)} bytes) exceeds a frame"))
        return encoded


def _elapsed_ms(started: float) -> float:
    return (time.monotonic() - started) * 1000


def _excerpt(value: Any) -> str:
    if isinstance(value, str):
        text = value
    else:
        try:
            text = json.dumps(value, default=repr)
        except Exception:
            text = repr(value)
    return text[:DEBUG_EXCERPT] + ("..." if len(text) > DEBUG_EXCERPT else "")


# ----------------------------------------------------------------------------------------------------------
# Framing


def read_frame(conn: socket.socket, chunk_size: int) -> bytearray | None:
    """One frame's body; None when the peer closed before sending anything (a probe connection)."""
    head = _read_exactly(conn, _PREFIX.size, chunk_size, allow_empty=True)
    if head is None:
        return None
    (size,) = _PREFIX.unpack(head)
    body = _read_exactly(conn, size, chunk_size, allow_empty=False)
    assert body is not None
    return body


def _read_exactly(conn: socket.socket, size: int, chunk_size: int, *, allow_empty: bool) -> bytearray | None:
    buffer = bytearray()
    while len(buffer) < size:
        chunk = conn.recv(min(chunk_size, size - len(buffer)))
        if not chunk:
            if allow_empty and not buffer:
                return None
            raise IncompleteFrame(f"the connection closed after {len(buffer)} of {size} bytes")
        buffer += chunk
    return buffer  # not copied into bytes: bodies can be many MiB


def write_frame(conn: socket.socket, body: bytes) -> None:
    prefix = _PREFIX.pack(len(body))
    if len(body) <= DEFAULT_CHUNK_SIZE:
        conn.sendall(prefix + body)
    else:
        conn.sendall(prefix)
        conn.sendall(body)


# ----------------------------------------------------------------------------------------------------------
# Socket, marker, serving loop, signals


def _identity(path: str) -> tuple[int, int] | None:
    try:
        info = os.lstat(path)
    except OSError:
        return None
    return info.st_dev, info.st_ino


def remove_stale_marker(socket_dir: str) -> None:
    marker = os.path.join(socket_dir, MARKER_NAME)
    try:
        os.unlink(marker)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise StartupError(f"cannot remove the leftover readiness marker {marker}: {exc}") from exc
    log.info("removed the readiness marker left by a previous run")


class Server:
    """The listening socket, the readiness marker and the single-threaded accept loop."""

    def __init__(self, config: Config, processor: Processor) -> None:
        self.config = config
        self.processor = processor
        self.socket_path = os.path.join(config.socket_dir, SOCKET_NAME)
        self.marker_path = os.path.join(config.socket_dir, MARKER_NAME)
        self._listener: socket.socket | None = None
        self._owned: dict[str, tuple[int, int] | None] = {}
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._signal = 0
        self._busy = False
        self._draining = False

    def start(self) -> None:
        """Bind, listen, chmod, then write the marker; on failure nothing of ours is left behind."""
        try:
            self._bind()
            # Logged before the marker exists, so that everything said at start precedes readiness.
            log.info(
                "listening: handler=%s mode=%s validation=%s socket=%s python=%s",
                self.config.handler,
                self.config.mode,
                "on" if self.config.validation else "off",
                self.socket_path,
                platform.python_version(),
            )
            # Written aside and renamed into place, so that whoever sees the marker sees it whole.
            partial = self.marker_path + ".partial"
            try:
                with open(partial, "w") as marker:
                    marker.write("ready")
                os.replace(partial, self.marker_path)
            except OSError as exc:
                with contextlib.suppress(OSError):
                    os.unlink(partial)
                raise StartupError(f"cannot write the readiness marker {self.marker_path}: {exc}") from exc
            self._owned[self.marker_path] = _identity(self.marker_path)
        except BaseException:
            self.close()
            raise

    def _bind(self) -> None:
        try:
            os.makedirs(self.config.socket_dir, exist_ok=True)
        except OSError as exc:
            raise StartupError(f"ASYA_SOCKET_DIR={self.config.socket_dir} cannot be created: {exc}") from exc
        if os.path.lexists(self.socket_path):
            try:
                os.unlink(self.socket_path)
            except OSError as exc:
                raise StartupError(f"cannot remove the stale file at {self.socket_path}: {exc}") from exc
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            listener.bind(self.socket_path)
            self._owned[self.socket_path] = _identity(self.socket_path)
            listener.listen(BACKLOG)
            if self.config.socket_chmod is not None:
                os.chmod(self.socket_path, self.config.socket_chmod)
        except OSError as exc:
            listener.close()
            raise StartupError(f"cannot listen on {self.socket_path}: {exc}") from exc
        listener.setblocking(False)
        self._listener = listener

    def install_signal_handlers(self) -> None:
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)

    def _on_signal(self, signum: int, frame: Any) -> None:
        # Runs on the main thread between bytecodes, maybe inside the handler or a log call: no logging here
        # (re-entrant stream writes fail), only flags, the listener and a wake-up byte for the idle loop.
        if self._signal and self._busy:
            self._remove_own_files()
            os.write(2, b"asya.runtime: a second signal during shutdown: exiting at once\n")
            os._exit(128 + signum)
        self._signal = self._signal or signum
        if self._busy:
            # Stop accepting now; the request in flight still gets its reply.
            self._draining = True
            if self._listener is not None:
                self._listener.close()
        with contextlib.suppress(OSError):
            self._wake_w.send(b"\0")

    def stopping(self) -> bool:
        return bool(self._signal)  # set by the signal handler

    def serve(self) -> None:
        """Accept and answer connections one at a time until a signal asks to stop."""
        assert self._listener is not None
        poller = select.poll()
        poller.register(self._listener.fileno(), select.POLLIN)
        poller.register(self._wake_r.fileno(), select.POLLIN)
        while not self.stopping():
            events = dict(poller.poll())
            if self.stopping():
                break
            if self._wake_r.fileno() in events:
                self._drain_wake()
            if self._listener.fileno() not in events:
                continue
            try:
                conn, _ = self._listener.accept()
            except (BlockingIOError, InterruptedError, ConnectionAbortedError):
                continue
            self._busy = True
            try:
                self._serve_connection(conn)
            finally:
                conn.close()
                self._busy = False
        name = signal.Signals(self._signal).name
        if self._draining:
            log.info("%s received: the request in flight was answered; shutting down", name)
        else:
            log.info("%s received: shutting down", name)

    def _drain_wake(self) -> None:
        try:
            while self._wake_r.recv(64):
                pass
        except OSError:
            pass

    def _serve_connection(self, conn: socket.socket) -> None:
        conn.setblocking(True)
        try:
            body = read_frame(conn, self.config.chunk_size)
        except IncompleteFrame as exc:
            log.warning("incomplete request frame: %s", exc)
            self._send(conn, encode_json(error_reply(CONNECTION_ERROR, exc)))
            return
        except OSError as exc:
            log.warning("reading the request failed: %s", exc)
            return
        if body is None:
            log.debug("a connection closed without sending a request (readiness probe)")
            return
        self._send(conn, self.processor.handle(body))

    def _send(self, conn: socket.socket, body: bytes) -> None:
        try:
            write_frame(conn, body)
        except OSError as exc:
            if exc.errno not in (errno.EPIPE, errno.ECONNRESET, errno.ENOTCONN):
                log.warning("writing the reply failed: %s", exc)
            else:
                log.warning("the peer left before the reply was written; reply dropped")

    def _remove_own_files(self) -> None:
        for path, identity in list(self._owned.items()):
            if identity is not None and _identity(path) == identity:
                with contextlib.suppress(OSError):
                    os.unlink(path)
            self._owned.pop(path, None)

    def close(self) -> None:
        if self._listener is not None:
            self._listener.close()
        self._remove_own_files()
        self._wake_r.close()
        self._wake_w.close()


# ----------------------------------------------------------------------------------------------------------
# Entry point


def _setup_output(env: dict[str, str]) -> None:
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(Exception):
                reconfigure(line_buffering=True)
    level, warning = log_level_from(env)
    logging.basicConfig(level=level, format=LOG_FORMAT, datefmt=LOG_DATE_FORMAT, stream=sys.stderr)
    if warning:
        log.warning(warning)


def main() -> int:
    env = dict(os.environ)
    _setup_output(env)
    try:
        remove_stale_marker(socket_dir_from(env))
        config, warnings = read_config(env)
        for warning in warnings:
            log.warning(warning)
        processor = Processor(load_handler(config.handler), mode=config.mode, validation=config.validation)
        server = Server(config, processor)
        server.install_signal_handlers()
        server.start()
    except StartupError as exc:
        log.critical("FATAL: %s", exc)
        return 1
    try:
        server.serve()
    except Exception:
        log.critical("FATAL: the serving loop failed", exc_info=True)
        return 1
    finally:
        server.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
