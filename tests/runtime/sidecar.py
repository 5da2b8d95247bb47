"""A client that talks to the runtime the way the Go sidecar does, checking replies as it decodes them.

Per message the sidecar dials, writes the 4-byte big-endian length and then the body in a second write, reads
one reply frame and closes; it never half-closes. Bodies are what Go's ``encoding/json`` writes: compact, with
``<``, ``>``, ``&``, U+2028 and U+2029 escaped. ``decode_reply`` accepts only what the sidecar can decode
(strict JSON, a top-level array, ``error`` a string, ``details`` fields strings, ``route.current`` an integer,
``route.actors`` strings), so every test that reads a reply through it also checks that shape.

Simplifications: no deadline handling or routing; the socket timeout stands in for ``ASYA_RUNTIME_TIMEOUT``.
"""

from __future__ import annotations

import json
import socket
import struct
from pathlib import Path
from typing import Any

PREFIX = struct.Struct(">I")
GO_ESCAPES = (
    ("<", "\\u003c"),
    (">", "\\u003e"),
    ("&", "\\u0026"),
    ("\u2028", "\\u2028"),
    ("\u2029", "\\u2029"),
)


def go_json(value: Any) -> bytes:
    """``value`` encoded the way Go's ``json.Marshal`` writes queue messages."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for char, escape in GO_ESCAPES:
        text = text.replace(char, escape)
    return text.encode("utf-8")


def recv_exactly(conn: socket.socket, size: int) -> bytes:
    buffer = bytearray()
    while len(buffer) < size:
        chunk = conn.recv(min(65536, size - len(buffer)))
        if not chunk:
            raise EOFError(f"connection closed after {len(buffer)} of {size} bytes")
        buffer += chunk
    return bytes(buffer)


def send_frame(conn: socket.socket, body: bytes, *, slice_size: int | None = None) -> None:
    """The prefix in one write, then the body (in slices of ``slice_size`` if given), as the sidecar does."""
    conn.sendall(PREFIX.pack(len(body)))
    step = slice_size or max(len(body), 1)
    for start in range(0, len(body), step):
        conn.sendall(body[start : start + step])


def exchange(
    socket_path: Path, body: bytes, *, slice_size: int | None = None, timeout: float = 30.0
) -> bytes:
    """One message: dial, write prefix then body (optionally in slices), read one reply frame, close."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.settimeout(timeout)
        conn.connect(str(socket_path))
        send_frame(conn, body, slice_size=slice_size)
        (size,) = PREFIX.unpack(recv_exactly(conn, PREFIX.size))
        return recv_exactly(conn, size)


def _reject_constant(name: str) -> Any:
    raise AssertionError(f"reply is not strict JSON: it contains {name}")


def check_decodable(reply: Any) -> list[dict[str, Any]]:
    """Assert the sidecar's decoder would accept ``reply`` (§7.1) and return it."""
    assert isinstance(reply, list), f"reply must be a JSON array, got {type(reply).__name__}"
    for element in reply:
        assert isinstance(element, dict), f"reply elements must be objects, got {element!r}"
        error = element.get("error")
        assert error is None or isinstance(error, str), f"error must be a string: {error!r}"
        details = element.get("details")
        if details is not None:
            assert isinstance(details, dict), f"details must be an object: {details!r}"
            for key in ("message", "type", "traceback"):
                value = details.get(key)
                assert value is None or isinstance(value, str), f"details.{key} must be a string: {value!r}"
        route = element.get("route")
        if route is not None:
            assert isinstance(route, dict), f"route must be an object: {route!r}"
            actors = route.get("actors")
            assert actors is None or (isinstance(actors, list) and all(isinstance(a, str) for a in actors))
            current = route.get("current")
            assert current is None or (type(current) is int), f"route.current must be an integer: {current!r}"
            metadata = route.get("metadata")
            assert metadata is None or isinstance(metadata, dict), (
                f"route.metadata must be an object: {metadata!r}"
            )
    return reply


def decode_reply(body: bytes) -> list[dict[str, Any]]:
    """Strictly decode a reply body and check it is something the sidecar can act on."""
    return check_decodable(json.loads(body.decode("utf-8"), parse_constant=_reject_constant))


def call(socket_path: Path, request: Any, *, slice_size: int | None = None) -> list[dict[str, Any]]:
    """Send ``request`` as the sidecar would and return the decoded, shape-checked reply."""
    return decode_reply(exchange(socket_path, go_json(request), slice_size=slice_size))


def envelope(
    payload: Any = None, *, actors: tuple[str, ...] = ("prev", "me", "next"), current: int = 1, **extra: Any
) -> dict[str, Any]:
    """A request like a sidecar forwards one: ``id``, ``route`` and ``payload``, plus any ``extra`` keys."""
    message: dict[str, Any] = {"id": "msg-1", "route": {"actors": list(actors), "current": current}}
    message["payload"] = payload
    message.update(extra)
    return message


def single_error(reply: list[dict[str, Any]], code: str) -> dict[str, str]:
    """Assert ``reply`` is exactly one error element with ``code`` and return its details."""
    assert len(reply) == 1, f"an error reply has exactly one element, got {reply!r}"
    assert reply[0]["error"] == code, reply
    details = reply[0]["details"]
    assert set(details) == {"message", "type", "traceback"}, details
    assert all(isinstance(value, str) for value in details.values())
    return dict(details)
