"""Handler modules the tests load through ``ASYA_HANDLER``, written to a directory on PYTHONPATH.

They run under the interpreter being tested (Python 3.8 included), so they stay plain 3.8 code. Handlers
that a test steers take their instructions from the payload (``payload["return"]`` is what to return), so
one runtime process serves many tests.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

MODULES = {
    "payload_handlers.py": """
        import asyncio
        import os
        import time

        def echo(payload):
            return payload

        def wrap(payload):
            return {"got": payload}

        def returns(payload):
            return payload["return"]

        def returns_tuple(payload):
            return tuple(payload["return"])

        def fan_out(payload):
            return [{"index": i} for i in range(payload["n"])]

        def fails(payload):
            raise ValueError("the handler could not cope")

        class Unprintable(Exception):
            def __str__(self):
                raise RuntimeError("no message for you")

        def fails_unprintably(payload):
            raise Unprintable()

        def unencodable(payload):
            kind = payload["kind"]
            if kind == "nan":
                return {"value": float("nan")}
            if kind == "infinity":
                return {"value": float("inf")}
            if kind == "negative-infinity":
                return [{"ok": 1}, {"value": float("-inf")}]
            if kind == "set":
                return {"value": {1, 2}}
            if kind == "bytes":
                return b"raw bytes"
            if kind == "object":
                return {"value": object()}
            if kind == "circular":
                loop = {}
                loop["self"] = loop
                return loop
            if kind == "lone-surrogate":
                return {"text": "\\ud800"}
            raise AssertionError(kind)

        def slow(payload):
            with open(payload["started"], "w") as started:
                started.write("started")
            deadline = time.monotonic() + 30
            while not os.path.exists(payload["release"]) and time.monotonic() < deadline:
                time.sleep(0.01)
            return {"finished": True}

        def prints(payload):
            print("printed by the handler")
            return payload

        async def coroutine(payload):
            await asyncio.sleep(0)
            return {"awaited": payload}

        class Counter:
            def __init__(self, start=0):
                self.count = start

            def process(self, payload):
                self.count += 1
                return {"count": self.count}

        class NeedsModel:
            def __init__(self, model_path):
                self.model_path = model_path

            def process(self, payload):
                return payload

        class BrokenConstructor:
            def __init__(self):
                raise RuntimeError("model weights not found")

            def process(self, payload):
                return payload

        NOT_CALLABLE = 42
        NOTHING = None

        def takes_nothing():
            return None
    """,
    "envelope_handlers.py": """
        def advance(envelope):
            envelope["route"]["current"] += 1
            return envelope

        def shows_argument(envelope):
            return {"payload": {"seen": envelope}, "route": {"actors": ["prev", "me", "next"], "current": 2}}

        def returns(envelope):
            return envelope["payload"]["return"]

        def edits_route_in_place(envelope):
            envelope["route"]["actors"][:] = envelope["payload"]["actors"]
            envelope["route"]["current"] += 1
            return envelope
    """,
    "startup_probe.py": """
        # Records what exists in the socket directory while the handler loads (module import, then the
        # class constructor), so tests can check the start-up order.
        import json
        import os

        def _snapshot(stage):
            directory = os.environ["ASYA_SOCKET_DIR"]
            seen = {
                "stage": stage,
                "marker": os.path.exists(os.path.join(directory, "runtime-ready")),
                "socket": os.path.exists(os.path.join(directory, "asya-runtime.sock")),
            }
            with open(os.environ["PROBE_FILE"], "a") as probe:
                probe.write(json.dumps(seen) + "\\n")

        _snapshot("import")

        class Model:
            def __init__(self):
                _snapshot("constructor")

            def predict(self, payload):
                return payload
    """,
    "broken_dependency.py": """
        import missing_dependency_xyz

        def process(payload):
            return payload
    """,
    "broken_import.py": """
        raise RuntimeError("configuration file /etc/app.conf is unreadable")
    """,
    "broken_syntax.py": """
        def process(payload)
            return payload
    """,
    "pkg/__init__.py": "",
    "pkg/sub.py": """
        def process(payload):
            return {"from": "pkg.sub.process", "payload": payload}

        class Model:
            def predict(self, payload):
                return {"from": "pkg.sub.Model.predict", "payload": payload}
    """,
}


class HeldRequest:
    """A request for ``payload_handlers.slow``: the handler marks ``started``, then waits for ``release``."""

    def __init__(self, directory: Path) -> None:
        self.started = directory / "started"
        self.release = directory / "release"
        self.payload = {"started": str(self.started), "release": str(self.release)}


def write_modules(directory: Path) -> Path:
    for name, source in MODULES.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source).lstrip(), encoding="utf-8")
    return directory
