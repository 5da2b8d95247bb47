"""The parent's side of :mod:`tests.bench.rig.cluster`: start the child, call its control server and the
emulator's fault injection, stop it."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import aiohttp

from tests.bench.rig.process import terminate
from tests.bench.rig.procfs import cpu_seconds

START_TIMEOUT = 60.0


class ClusterProcess:
    """``python -m tests.bench.rig.cluster`` as a child process; see that module for the control calls."""

    def __init__(self, kubeconfig: Path, *, nodes: int = 40, simulators: str = "process") -> None:
        self.kubeconfig = kubeconfig
        self.nodes = nodes
        self.simulators = simulators
        self.api_url = ""
        self.control_url = ""
        self.pid = 0
        self.pids: list[int] = []
        self._process: asyncio.subprocess.Process | None = None
        self._http: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        self._process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.bench.rig.cluster",
            "--kubeconfig",
            str(self.kubeconfig),
            "--nodes",
            str(self.nodes),
            "--simulators",
            self.simulators,
            stdout=asyncio.subprocess.PIPE,
        )
        assert self._process.stdout is not None
        line = await asyncio.wait_for(self._process.stdout.readline(), START_TIMEOUT)
        if not line:
            raise RuntimeError("the emulator process ended before it served")
        ready = json.loads(line)
        self.api_url, self.control_url, self.pid = ready["api"], ready["control"], ready["pid"]
        self.pids = list(ready["pids"])
        self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120))

    def cpu_seconds(self) -> float:
        """CPU seconds so far of the emulator's process and the simulators' (one process or two)."""
        return sum(self.cpu_seconds_each())

    def cpu_seconds_each(self) -> list[float]:
        """CPU seconds so far of each process: the emulator's first."""
        return [cpu_seconds(pid) for pid in self.pids]

    async def stop(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None
        if self._process is not None:
            await terminate(self._process, within=30)
        self._process = None

    async def _call(self, method: str, url: str, body: Any = None) -> Any:
        assert self._http is not None
        async with self._http.request(method, url, json=body) as response:
            response.raise_for_status()
            return await response.json()

    async def writes(self, since: int = 0) -> tuple[list[dict[str, Any]], int]:
        """Write requests logged from index ``since`` on, and the index after the last request logged."""
        answer = await self._call("GET", f"{self.control_url}/writes?since={since}")
        return answer["writes"], answer["next"]

    async def create_events(
        self,
        *,
        namespace: str,
        pods: list[str],
        count: int,
        reason: str,
        message: str,
        labels: dict[str, str],
    ) -> int:
        """``count`` Warning Events, about each of ``pods`` in turn."""
        body = {
            "namespace": namespace,
            "pods": pods,
            "count": count,
            "reason": reason,
            "message": message,
            "labels": labels,
        }
        return int((await self._call("POST", f"{self.control_url}/events", body))["created"])

    async def copy_pods(
        self,
        *,
        namespace: str,
        selector: str,
        copies: int,
        drop_label: str,
        labels: dict[str, str],
        node: str,
    ) -> int:
        """Copies of the pods matching ``selector`` (see ``pod_copy``), each Running as its original."""
        body = {
            "namespace": namespace,
            "selector": selector,
            "copies": copies,
            "drop_label": drop_label,
            "labels": labels,
            "node": node,
        }
        return int((await self._call("POST", f"{self.control_url}/copy-pods", body))["created"])

    async def touch_pod(self, *, namespace: str, name: str, count: int) -> float:
        """Changes the pod ``count`` times in a row; the seconds that took."""
        body = {"namespace": namespace, "name": name, "count": count}
        return float((await self._call("POST", f"{self.control_url}/touch-pod", body))["seconds"])

    async def usage(self) -> dict[str, float]:
        answer = await self._call("GET", f"{self.control_url}/usage")
        return {k: float(v) for k, v in answer.items()}

    async def fault(self, action: str, **arguments: Any) -> int:
        """A fault rule of the emulator (``fail``, ``cut_watches``, …); its id."""
        return int(
            (await self._call("POST", f"{self.api_url}/_emulator/faults", {"action": action, **arguments}))[
                "id"
            ]
        )

    async def clear_faults(self) -> None:
        await self._call("DELETE", f"{self.api_url}/_emulator/faults")

    async def compact(self) -> None:
        """Forget the watch history: every watch resumed from before now gets a 410."""
        await self._call("POST", f"{self.api_url}/_emulator/compact", {})

    async def close_watches(self) -> int:
        return int((await self._call("POST", f"{self.api_url}/_emulator/close-watches", {}))["closed"])
