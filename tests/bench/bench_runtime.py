"""Runtime throughput: sidecar-style round trips against the runtime script running as its own process.

One connection per message (dial, prefix, body, read the reply, close), a 1 KiB payload and a handler that
returns its input, the runtime at its default INFO logging (one line per request, as in a pod). The
interpreter is ``$ASYA_RUNTIME_PYTHON`` or the current one. The client is Python, not the Go sidecar, so
its own cost is part of each round trip.
"""

from __future__ import annotations

import asyncio
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.bench import Figure
from tests.runtime.handlers import write_modules
from tests.runtime.process import runtime_python, start_runtime
from tests.runtime.sidecar import decode_reply, envelope, exchange, go_json

WARM_UP = 200
MESSAGES = 3000
PAYLOAD = {"text": "x" * 1013}  # 1024 bytes of JSON


def _version() -> str:
    if runtime_python() == sys.executable:
        return platform.python_version()
    command = [runtime_python(), "-c", "import platform; print(platform.python_version())"]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip()


def _measure() -> list[Figure]:
    assert len(go_json(PAYLOAD)) == 1024
    with tempfile.TemporaryDirectory(prefix="asya-bench-") as directory:
        runtime = start_runtime("payload_handlers.echo", handler_dir=write_modules(Path(directory)))
        try:
            body = go_json(envelope(PAYLOAD))
            assert decode_reply(exchange(runtime.socket_path, body))[0]["payload"] == PAYLOAD
            for _ in range(WARM_UP):
                exchange(runtime.socket_path, body)
            latencies = []
            started = time.perf_counter()
            for _ in range(MESSAGES):
                sent = time.perf_counter()
                exchange(runtime.socket_path, body)
                latencies.append(time.perf_counter() - sent)
            elapsed = time.perf_counter() - started
        finally:
            runtime.close()
    latencies.sort()
    version = _version()
    return [
        Figure(f"round trips, 1 KiB, python {version}", MESSAGES / elapsed, "msg/s"),
        Figure(f"round trip p50, python {version}", latencies[len(latencies) // 2] * 1e6, "µs"),
        Figure(f"round trip p99, python {version}", latencies[int(len(latencies) * 0.99)] * 1e6, "µs"),
    ]


async def run() -> list[Figure]:
    return await asyncio.to_thread(_measure)
