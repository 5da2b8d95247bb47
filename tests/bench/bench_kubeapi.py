"""Throughput of the Kubernetes API emulator (tests/kubeapi) as a separate process, as the controller sees it.

The emulator runs as ``python -m tests.kubeapi serve`` (its own process, so its own core of the two); the load
comes from this process over keep-alive connections with raw aiohttp (no model deserialisation, so the client
is not what is measured). Figures: requests/s for GET of one small ConfigMap, LIST of a namespace holding 10
of them, server-side apply changing one (each apply is a real write), and watch events/s delivered to 10
watchers while one writer creates ConfigMaps.

Each request figure is given twice: per wall-clock second (depends on what else runs on the machine, the load
generator included) and per second of CPU the emulator process used, which is what one dedicated core would
sustain.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp

from tests.bench import Figure

ROOT = Path(__file__).resolve().parents[2]
CONCURRENCY = 16
SECONDS = 3.0
TARGET = ">= 1000/s"


async def _start(kubeconfig: Path) -> tuple[asyncio.subprocess.Process, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.kubeapi",
        "serve",
        "--port",
        "0",
        "--kubeconfig",
        str(kubeconfig),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
    return process, line.split()[1]


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _rate(
    call: Callable[[int], Awaitable[None]], pid: int, seconds: float = SECONDS
) -> tuple[float, float]:
    """(requests per wall second, requests per second of the emulator's CPU) with CONCURRENCY callers."""
    done = 0
    deadline = time.perf_counter() + seconds

    async def worker(index: int) -> None:
        nonlocal done
        sequence = index
        while time.perf_counter() < deadline:
            await call(sequence)
            sequence += CONCURRENCY
            done += 1

    started, cpu = time.perf_counter(), _cpu_seconds(pid)
    await asyncio.gather(*(worker(i) for i in range(CONCURRENCY)))
    return done / (time.perf_counter() - started), done / max(_cpu_seconds(pid) - cpu, 1e-6)


async def _watch_rate(
    session: aiohttp.ClientSession, url: str, *, watchers: int = 10, writes: int = 1000
) -> float:
    base = f"{url}/api/v1/namespaces/watched/configmaps"
    async with session.post(f"{url}/api/v1/namespaces", json={"metadata": {"name": "watched"}}) as response:
        version = (await response.json())["metadata"]["resourceVersion"]
    received = [0] * watchers
    ready = asyncio.Event()
    finished = asyncio.Event()

    async def watcher(index: int) -> None:
        async with session.get(f"{base}?watch=1&resourceVersion={version}&timeoutSeconds=120") as response:
            if index == watchers - 1:
                ready.set()
            async for _ in response.content:
                received[index] += 1
                if received[index] == writes:
                    break
        if all(count == writes for count in received):
            finished.set()

    tasks = [asyncio.create_task(watcher(i)) for i in range(watchers)]
    await ready.wait()
    await asyncio.sleep(0.2)
    started = time.perf_counter()

    async def write(sequence: int) -> None:
        async with session.post(base, json={"metadata": {"name": f"w{sequence}"}}) as response:
            await response.read()

    for batch in range(0, writes, CONCURRENCY):
        await asyncio.gather(*(write(i) for i in range(batch, min(batch + CONCURRENCY, writes))))
    await asyncio.wait_for(finished.wait(), 120)
    elapsed = time.perf_counter() - started
    await asyncio.gather(*tasks)
    return watchers * writes / elapsed


async def run() -> list[Figure]:
    with tempfile.TemporaryDirectory() as directory:
        process, url = await _start(Path(directory) / "kubeconfig")
        try:
            connector = aiohttp.TCPConnector(limit=CONCURRENCY + 16)
            async with aiohttp.ClientSession(connector=connector) as session:
                cms = f"{url}/api/v1/namespaces/default/configmaps"
                for index in range(10):
                    body = {
                        "metadata": {"name": f"cm{index}", "labels": {"app": "bench"}},
                        "data": {"k": "v"},
                    }
                    async with session.post(cms, json=body) as response:
                        assert response.status == 201

                async def get(_: int) -> None:
                    async with session.get(f"{cms}/cm3") as response:
                        await response.read()

                async def list_(_: int) -> None:
                    async with session.get(cms) as response:
                        await response.read()

                headers = {"Content-Type": "application/apply-patch+yaml"}

                async def apply(sequence: int) -> None:
                    body = json.dumps(
                        {
                            "apiVersion": "v1",
                            "kind": "ConfigMap",
                            "metadata": {"name": f"cm{sequence % 10}"},
                            "data": {"k": str(sequence)},
                        }
                    )
                    async with session.patch(
                        f"{cms}/cm{sequence % 10}?fieldManager=bench&force=true", data=body, headers=headers
                    ) as response:
                        assert response.status == 200, await response.text()

                figures = []
                for name, call in [
                    ("get ConfigMap", get),
                    ("list 10 ConfigMaps", list_),
                    ("server-side apply (a write)", apply),
                ]:
                    wall, per_cpu = await _rate(call, process.pid)
                    figures.append(Figure(f"{name}", wall, "req/s"))
                    figures.append(Figure(f"{name}, per emulator CPU-second", per_cpu, "req/s", TARGET))
                figures.append(
                    Figure("watch events, 10 watchers", await _watch_rate(session, url), "events/s")
                )
        finally:
            process.terminate()
            await process.wait()
    return figures
