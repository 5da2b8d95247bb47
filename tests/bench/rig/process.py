"""``asya-controller run`` as a child process: start, readiness, metrics, resident set, stop.

The benchmark measures the controller as it is shipped: the console script, its flags and environment, one
process. Metrics and probes listen on free ports of 127.0.0.1 chosen just before the start; the log (JSON,
level info) goes to a file whose last lines go into the error when the process fails or stalls.
"""

from __future__ import annotations

import asyncio
import signal
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import aiohttp

from tests.bench.rig.procfs import rss_mib
from tests.services.network import free_port


def parse_metrics(text: str) -> dict[str, float]:
    """Prometheus text exposition → ``{"name{labels}": value}`` (comments skipped; labels kept verbatim)."""
    samples: dict[str, float] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        name, _, value = line.rpartition(" ")
        try:
            samples[name] = float(value)
        except ValueError:
            continue
    return samples


def metric_sum(samples: Mapping[str, float], name: str, **labels: str) -> float:
    """The sum of the samples of ``name`` whose labels include every ``labels`` pair."""
    total = 0.0
    wanted = [f'{key}="{value}"' for key, value in labels.items()]
    for sample, value in samples.items():
        base, _, rest = sample.partition("{")
        if base == name and all(pair in rest for pair in wanted):
            total += value
    return total


async def terminate(process: asyncio.subprocess.Process, *, within: float) -> None:
    """SIGTERM a child still running and wait for it; SIGKILL it when it takes longer than ``within``."""
    if process.returncode is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(process.wait(), within)
    except TimeoutError:
        process.kill()
        await process.wait()


class ControllerProcess:
    """One ``asya-controller run`` with its default settings, against ``kubeconfig``."""

    def __init__(self, *, kubeconfig: Path, env: Mapping[str, str], log_path: Path) -> None:
        self.kubeconfig = kubeconfig
        self.env = dict(env)
        self.log_path = log_path
        self.metrics_port = 0
        self.probes_port = 0
        self.started_at = 0.0
        self._process: asyncio.subprocess.Process | None = None
        self._http: aiohttp.ClientSession | None = None

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    async def start(self) -> None:
        self.metrics_port, self.probes_port = free_port(), free_port()
        executable = Path(sys.executable).with_name("asya-controller")
        log = self.log_path.open("ab")
        self.started_at = time.time()
        self._process = await asyncio.create_subprocess_exec(
            str(executable),
            "run",
            "--kubeconfig",
            str(self.kubeconfig),
            "--metrics-bind-address",
            f"127.0.0.1:{self.metrics_port}",
            "--health-probe-bind-address",
            f"127.0.0.1:{self.probes_port}",
            "--log-format",
            "json",
            env=self.env,
            stdout=log,
            stderr=log,
        )
        log.close()
        self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))

    async def wait_ready(self, *, within: float = 60.0, interval: float = 0.01) -> float:
        """Polls ``/readyz`` (the caches have synced and the workers start); the wall time it answered 200."""
        assert self._http is not None
        deadline = time.monotonic() + within
        url = f"http://127.0.0.1:{self.probes_port}/readyz"
        while time.monotonic() < deadline:
            self._check_alive()
            try:
                async with self._http.get(url) as response:
                    if response.status == 200:
                        return time.time()
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(interval)
        raise TimeoutError(f"the controller was not ready within {within:g} s:\n{self.log_tail()}")

    async def metrics(self) -> dict[str, float]:
        assert self._http is not None
        self._check_alive()
        async with self._http.get(f"http://127.0.0.1:{self.metrics_port}/metrics") as response:
            return parse_metrics(await response.text())

    async def wait_idle(
        self, *, at_least: int = 0, quiet: float = 1.5, within: float = 120.0
    ) -> dict[str, float]:
        """The metrics once ``at_least`` reconciles ran in all and then none ran, was ready or in flight for
        ``quiet`` seconds (longer than the queue's debounce bound)."""
        deadline = time.monotonic() + within
        last_total, since = -1.0, time.monotonic()
        while time.monotonic() < deadline:
            samples = await self.metrics()
            total = metric_sum(samples, "controller_runtime_reconcile_total")
            busy = metric_sum(samples, "workqueue_depth") + metric_sum(
                samples, "controller_runtime_active_workers"
            )
            if total != last_total or busy or total < at_least:
                last_total, since = total, time.monotonic()
            elif time.monotonic() - since >= quiet:
                return samples
            await asyncio.sleep(0.1)
        raise TimeoutError(f"the controller did not go idle within {within:g} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def rss_mib(self) -> float:
        return rss_mib(self.pid)

    def _check_alive(self) -> None:
        if self._process is not None and self._process.returncode is not None:
            raise RuntimeError(f"the controller exited with {self._process.returncode}:\n{self.log_tail()}")

    async def stop(self) -> int:
        """SIGTERM and wait (a clean shutdown answers 0)."""
        if self._http is not None:
            await self._http.close()
            self._http = None
        if self._process is None:
            return 0
        process, self._process = self._process, None
        await terminate(process, within=45)
        return process.returncode if process.returncode is not None else -1
