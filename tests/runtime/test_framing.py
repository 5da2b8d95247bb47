"""Connections and frames (§4, §5): one message per connection, length-prefixed bodies, large payloads."""

from __future__ import annotations

import socket
import struct
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.runtime.conftest import RuntimeFactory
from tests.runtime.handlers import HeldRequest
from tests.runtime.process import Runtime, wait_for
from tests.runtime.sidecar import (
    PREFIX,
    decode_reply,
    envelope,
    go_json,
    recv_exactly,
    send_frame,
    single_error,
)

MIB = 1024 * 1024


def connect(runtime: Runtime) -> socket.socket:
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    conn.settimeout(30)
    conn.connect(str(runtime.socket_path))
    return conn


def read_reply(conn: socket.socket) -> bytes:
    (size,) = PREFIX.unpack(recv_exactly(conn, PREFIX.size))
    return recv_exactly(conn, size)


def test_replies_once_the_announced_bytes_are_in_without_waiting_for_eof(
    shared_runtime: RuntimeFactory,
) -> None:
    runtime = shared_runtime("payload_handlers.echo")
    with connect(runtime) as conn:
        send_frame(conn, go_json(envelope({"k": "v"})))
        reply = read_reply(conn)
        assert conn.recv(1) == b"", "the runtime closes the connection after its reply"
    assert decode_reply(reply)[0]["payload"] == {"k": "v"}


def test_the_reply_is_exactly_the_announced_length(shared_runtime: RuntimeFactory) -> None:
    runtime = shared_runtime("payload_handlers.echo")
    body = go_json(envelope("ü" * 100))
    with connect(runtime) as conn:
        conn.sendall(PREFIX.pack(len(body)) + body)
        raw = b""
        while chunk := conn.recv(65536):
            raw += chunk
    (size,) = struct.unpack(">I", raw[:4])
    assert len(raw) == 4 + size
    assert decode_reply(raw[4:])[0]["payload"] == "ü" * 100


def test_reads_a_frame_that_arrives_in_dribbles(shared_runtime: RuntimeFactory) -> None:
    """The prefix byte by byte and the body in small pieces with pauses: partial reads are normal."""
    runtime = shared_runtime("payload_handlers.echo")
    body = go_json(envelope({"text": "slow " * 50}))
    with connect(runtime) as conn:
        for byte in PREFIX.pack(len(body)):
            conn.sendall(bytes([byte]))
            time.sleep(0.005)
        for start in range(0, len(body), 37):
            conn.sendall(body[start : start + 37])
            time.sleep(0.001)
        reply = decode_reply(read_reply(conn))
    assert reply[0]["payload"] == {"text": "slow " * 50}


def test_a_1_mib_payload_sent_in_64_kib_slices_comes_back_whole(shared_runtime: RuntimeFactory) -> None:
    runtime = shared_runtime("payload_handlers.echo")
    payload = {"rows": [{"i": i, "text": "x" * 100} for i in range(9000)]}
    request = envelope(payload)
    assert len(go_json(request)) > MIB
    reply = runtime.call(request, slice_size=64 * 1024)
    assert reply[0]["payload"] == payload


def test_an_8_mib_body_round_trips(shared_runtime: RuntimeFactory) -> None:
    runtime = shared_runtime("payload_handlers.echo")
    payload = "é" * (4 * MIB)  # 8 MiB of UTF-8
    assert runtime.call(envelope(payload), slice_size=64 * 1024)[0]["payload"] == payload


def test_many_sequential_connections_each_get_their_own_reply(shared_runtime: RuntimeFactory) -> None:
    runtime = shared_runtime("payload_handlers.wrap")
    for index in range(500):
        reply = runtime.call(envelope({"n": index}, id=f"msg-{index}"))
        assert reply == [
            {"payload": {"got": {"n": index}}, "route": {"actors": ["prev", "me", "next"], "current": 2}}
        ]


def test_a_probe_connection_that_sends_nothing_is_a_non_event(shared_runtime: RuntimeFactory) -> None:
    runtime = shared_runtime("payload_handlers.echo")
    mark = runtime.log_mark()
    for _ in range(5):
        connect(runtime).close()  # the sidecar's readiness dial
    assert runtime.call(envelope(1))[0]["payload"] == 1
    logs = runtime.logs(mark)
    assert " - WARNING - " not in logs
    assert " - ERROR - " not in logs


def test_a_connection_dropped_inside_a_frame_is_logged_and_survived(shared_runtime: RuntimeFactory) -> None:
    runtime = shared_runtime("payload_handlers.echo")
    mark = runtime.log_mark()
    with connect(runtime) as conn:
        conn.sendall(b"\x00\x00")  # half a prefix, then a killed sidecar
    body = go_json(envelope(1))
    with connect(runtime) as conn:
        conn.sendall(PREFIX.pack(len(body) + 10) + body)  # fewer bytes than announced
    assert runtime.call(envelope(2))[0]["payload"] == 2
    wait_for(lambda: runtime.logs(mark).count("incomplete request frame") == 2, what="two warnings")
    logs = runtime.logs(mark)
    assert "the connection closed after 2 of 4 bytes" in logs
    assert " - ERROR - " not in logs


def test_a_half_closed_truncated_frame_gets_a_connection_error(shared_runtime: RuntimeFactory) -> None:
    """The sidecar never half-closes, so it never sees this reply; a peer that does gets told why."""
    runtime = shared_runtime("payload_handlers.echo")
    with connect(runtime) as conn:
        conn.sendall(PREFIX.pack(100) + b'{"id":')
        conn.shutdown(socket.SHUT_WR)
        details = single_error(decode_reply(read_reply(conn)), "connection_error")
    assert details["message"] == "the connection closed after 6 of 100 bytes"


def test_a_zero_length_body_is_a_parsing_error(shared_runtime: RuntimeFactory) -> None:
    runtime = shared_runtime("payload_handlers.echo")
    single_error(decode_reply(runtime.exchange(b"")), "msg_parsing_error")


def test_a_peer_that_leaves_before_the_reply_does_not_stop_the_runtime(
    shared_runtime: RuntimeFactory, tmp_path: Path
) -> None:
    """As after a sidecar timeout: the handler finishes, the reply cannot be written, the next call works."""
    runtime = shared_runtime("payload_handlers.slow")
    held = HeldRequest(tmp_path)
    with connect(runtime) as conn:
        send_frame(conn, go_json(envelope(held.payload)))
        wait_for(held.started.exists, what="the handler to start")
    held.release.touch()
    held.started.unlink()
    reply = runtime.call(envelope(held.payload))
    assert reply[0]["payload"] == {"finished": True}
    assert "the peer left before the reply was written" in runtime.logs()


def test_a_second_connection_waits_in_the_backlog_while_a_request_runs(
    shared_runtime: RuntimeFactory, tmp_path: Path
) -> None:
    runtime = shared_runtime("payload_handlers.slow")
    held = HeldRequest(tmp_path)
    body = go_json(envelope(held.payload))
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(runtime.exchange, body)
        wait_for(held.started.exists, what="the first handler call")
        with connect(runtime) as second:  # accepted by the kernel's backlog while the handler runs
            send_frame(second, body)
            second.setblocking(False)
            with pytest.raises(BlockingIOError):
                second.recv(1)
            second.settimeout(30)
            held.release.touch()
            assert decode_reply(first.result(30))[0]["payload"] == {"finished": True}
            assert decode_reply(read_reply(second))[0]["payload"] == {"finished": True}


def test_go_escaped_and_non_ascii_text_round_trips(shared_runtime: RuntimeFactory) -> None:
    runtime = shared_runtime("payload_handlers.echo")
    payload = {"html": "<a href='x'>&amp;</a>", "text": "Grüße ✓ 😀 \u2028 end", "zero": "\u0000"}
    assert runtime.call(envelope(payload))[0]["payload"] == payload
