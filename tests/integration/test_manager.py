"""The manager against the emulator: reconcile semantics, key mapping, probes, leadership, shutdown."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from controller import logs
from controller.kube.cache import own_key, owner_keys
from controller.kube.client import KubeClient
from controller.kube.leader import LeaderSettings
from controller.kube.objects import trimmer
from controller.kube.queue import QueueSettings
from controller.kube.resources import Resource
from controller.kube.watch import WatchSettings
from controller.manager import Manager, ManagerSettings, Result, TerminalError, Watch
from tests.integration.kube.helpers import CONFIGMAPS, configmap, eventually
from tests.kubeapi import KubeAPI
from tests.kubeapi.testing import widget, widget_crd
from tests.logging_state import restored_logging  # noqa: F401 (a fixture)

SECRETS = Resource(group="", version="v1", plural="secrets", kind="Secret")
WIDGETS = Resource(group="example.com", version="v1", plural="widgets", kind="Widget")
ROOT = Path(__file__).resolve().parents[2]


class Recorder:
    """A reconciler that records each call and answers from a script (``answers[key]`` in order)."""

    def __init__(self, answers: dict[str, list[Any]] | None = None, *, hold: float = 0.0) -> None:
        self.calls: list[tuple[str, float]] = []
        self.answers = answers or {}
        self.hold = hold
        self.active: set[str] = set()
        self.overlap = False

    async def reconcile(self, key: str) -> Result | None:
        self.overlap = self.overlap or key in self.active
        self.active.add(key)
        self.calls.append((key, time.monotonic()))
        logs.get_logger("test.reconciler").info("reconciling")
        try:
            await asyncio.sleep(self.hold)
            script = self.answers.get(key) or [None]
            answer = script.pop(0) if len(script) > 1 else script[0]
            if isinstance(answer, BaseException):
                raise answer
            return answer  # type: ignore[no-any-return]
        finally:
            self.active.discard(key)

    def count(self, key: str) -> int:
        return sum(k == key for k, _ in self.calls)


def settings(**overrides: Any) -> ManagerSettings:
    base: dict[str, Any] = {
        "name": "test",
        "metrics_bind": "127.0.0.1:0",
        "probes_bind": "127.0.0.1:0",
        "handle_signals": False,
        "max_concurrent_reconciles": 4,
        "shutdown_timeout": 5.0,
        "queue": QueueSettings(debounce=0.05, max_delay=0.2, backoff_base=0.05),
    }
    return ManagerSettings(**{**base, **overrides})


@pytest_asyncio.fixture
async def client(kubeapi: KubeAPI) -> AsyncIterator[KubeClient]:
    client = await KubeClient.connect(kubeconfig=str(kubeapi.kubeconfig_path))
    yield client
    await client.close()


@pytest_asyncio.fixture
async def start(kubeapi: KubeAPI) -> AsyncIterator[Any]:
    running: list[tuple[Manager, asyncio.Task[int]]] = []

    async def start(
        reconciler: Any,
        *,
        watches: list[Watch] | None = None,
        primary: Resource = CONFIGMAPS,
        **overrides: Any,
    ) -> Manager:
        client = await KubeClient.connect(kubeconfig=str(kubeapi.kubeconfig_path))
        manager = Manager(
            client=client,
            primary=primary,
            watches=watches or [Watch(resource=CONFIGMAPS, keys=own_key)],
            settings=settings(**overrides),
        )
        running.append((manager, asyncio.create_task(manager.run(reconciler))))
        return manager

    yield start
    for manager, task in running:
        manager.stop()
        assert await asyncio.wait_for(task, 10) == 0


CRDS = Resource(
    group="apiextensions.k8s.io",
    version="v1",
    plural="customresourcedefinitions",
    kind="CustomResourceDefinition",
    namespaced=False,
)


async def test_a_crd_arriving_makes_an_absent_optional_watch_retry_at_once(
    client: KubeClient, start: Any
) -> None:
    """Watch backoff is 30 s here; the widget is cached within seconds of its CRD being created."""
    slow = WatchSettings(backoff_initial=30.0, backoff_max=30.0)
    manager = await start(
        Recorder(),
        watches=[
            Watch(resource=CONFIGMAPS, keys=own_key),
            Watch(resource=WIDGETS, optional=True),
            Watch(resource=CRDS, trim=trimmer("status.conditions")),
        ],
        watch=slow,
    )
    await asyncio.wait_for(manager.wait_synced(), 10)
    await client.request("POST", CRDS.path(), body=widget_crd())
    await eventually(lambda: client.request("GET", WIDGETS.path(namespace="default")))
    await client.request("POST", WIDGETS.path(namespace="default"), body=widget("w"))

    async def cached() -> None:
        assert manager.cache.get(WIDGETS, "default/w") is not None

    await eventually(cached, within=10)


async def create(client: KubeClient, name: str, **data: str) -> dict[str, Any]:
    return await client.request("POST", CONFIGMAPS.path(namespace="default"), body=configmap(name, **data))


async def test_every_primary_object_is_reconciled_after_the_caches_sync(
    client: KubeClient, start: Any
) -> None:
    for name in ("a", "b", "c"):
        await create(client, name)
    recorder = Recorder()
    await start(recorder)

    async def check() -> None:
        assert sorted(k for k, _ in recorder.calls) == ["default/a", "default/b", "default/c"]

    await eventually(check)
    await create(client, "d")
    await eventually(lambda: _assert(recorder.count("default/d") == 1))


async def _assert(condition: bool) -> None:
    assert condition


async def test_a_change_to_a_secondary_object_reconciles_its_owner(client: KubeClient, start: Any) -> None:
    owner = await create(client, "owner")
    recorder = Recorder()
    watches = [
        Watch(resource=CONFIGMAPS, keys=own_key),
        Watch(resource=SECRETS, keys=owner_keys("ConfigMap")),
    ]
    await start(recorder, watches=watches)
    await eventually(lambda: _assert(recorder.count("default/owner") == 1))
    ref = {"apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": owner["metadata"]["uid"]}
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "default",
              "ownerReferences": [ref]}, "stringData": {"k": "v"}}  # fmt: skip
    await client.request("POST", SECRETS.path(namespace="default"), body=secret)
    await eventually(lambda: _assert(recorder.count("default/owner") == 2))
    assert {k for k, _ in recorder.calls} == {"default/owner"}


async def test_results_follow_controller_runtime_semantics(client: KubeClient, start: Any) -> None:
    for name in ("after", "error", "terminal", "requeue"):
        await create(client, name)
    recorder = Recorder(
        {
            "default/after": [Result(requeue_after=0.3), None],
            "default/error": [RuntimeError("boom"), RuntimeError("boom"), None],
            "default/terminal": [TerminalError("cannot")],
            "default/requeue": [Result(requeue=True), None],
        }
    )
    manager = await start(recorder)
    await eventually(
        lambda: _assert(
            recorder.count("default/after") == 2
            and recorder.count("default/error") == 3
            and recorder.count("default/requeue") == 2
        )
    )
    await asyncio.sleep(0.5)
    assert recorder.count("default/terminal") == 1
    assert recorder.count("default/after") == 2
    after = [t for k, t in recorder.calls if k == "default/after"]
    assert after[1] - after[0] >= 0.3
    text = manager.metrics.exposition().decode()
    for result, count in (("success", 3), ("error", 3), ("requeue", 1), ("requeue_after", 1)):
        assert f'controller_runtime_reconcile_total{{controller="test",result="{result}"}} {count}.0' in text
    assert 'controller_runtime_reconcile_errors_total{controller="test"} 3.0' in text
    assert 'controller_runtime_terminal_reconcile_errors_total{controller="test"} 1.0' in text
    assert 'workqueue_retries_total{controller="test",name="test"} 3.0' in text


async def test_a_burst_of_changes_to_one_object_costs_one_reconcile(client: KubeClient, start: Any) -> None:
    await create(client, "busy")
    recorder = Recorder()
    await start(recorder, queue=QueueSettings(debounce=0.1, max_delay=1.0))
    await eventually(lambda: _assert(recorder.count("default/busy") == 1))
    for i in range(20):
        await client.request(
            "PATCH",
            CONFIGMAPS.path(namespace="default", name="busy"),
            body={"data": {"n": str(i)}},
            content_type="application/merge-patch+json",
        )
    await eventually(lambda: _assert(recorder.count("default/busy") >= 2))
    await asyncio.sleep(1.5)
    assert recorder.count("default/busy") <= 3  # 1 initial + 1 (or 2 if the burst outlasted max_delay)


class StatusWriter(Recorder):
    """Records each call and writes the widget's status ``{"replicas": 1}`` with the manager's applier."""

    manager: Manager | None = None

    async def reconcile(self, key: str) -> Result | None:
        await super().reconcile(key)
        assert self.manager is not None
        _, name = key.split("/")
        await self.manager.applier.apply_status(WIDGETS, {**widget(name), "status": {"replicas": 1}})
        return None


async def test_its_own_status_write_does_not_reconcile_the_object_again(
    client: KubeClient, start: Any
) -> None:
    await client.request("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", body=widget_crd())
    await eventually(lambda: client.request("GET", WIDGETS.path(namespace="default")))
    await client.request("POST", WIDGETS.path(namespace="default"), body=widget("w", size=1))
    writer = StatusWriter()
    writer.manager = await start(writer, primary=WIDGETS, watches=[Watch(resource=WIDGETS, keys=own_key)])

    async def shows(replicas: int) -> None:
        assert writer.manager is not None
        assert (writer.manager.cache.get(WIDGETS, "default/w") or {}).get("status") == {"replicas": replicas}

    await eventually(lambda: shows(1))
    await asyncio.sleep(0.5)  # well past the debounce (50 ms, at most 200 ms)
    assert writer.count("default/w") == 1
    await client.request(
        "PATCH",
        WIDGETS.path(namespace="default", name="w", subresource="status"),
        body={"status": {"replicas": 9}},
        content_type="application/merge-patch+json",
    )
    await eventually(lambda: _assert(writer.count("default/w") == 2))  # someone else's status is put back
    await eventually(lambda: shows(1))
    await asyncio.sleep(0.5)
    assert writer.count("default/w") == 2


async def test_a_reconcile_that_runs_too_long_is_cut_and_retried(client: KubeClient, start: Any) -> None:
    await create(client, "slow")
    recorder = Recorder(hold=5.0)
    manager = await start(recorder, reconcile_timeout=0.2)
    await eventually(lambda: _assert(recorder.count("default/slow") >= 2))
    text = manager.metrics.exposition().decode()
    assert 'controller_runtime_reconcile_timeouts_total{controller="test"}' in text
    assert 'controller_runtime_reconcile_timeouts_total{controller="test"} 0.0' not in text


@pytest.mark.usefixtures("restored_logging")
async def test_every_log_line_of_a_reconcile_carries_the_key(
    client: KubeClient, start: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    logs.configure(format="json", level="info")  # here: capsys swaps stderr per test phase
    await create(client, "logged")
    recorder = Recorder({"default/logged": [RuntimeError("boom"), None]})
    await start(recorder)
    await eventually(lambda: _assert(recorder.count("default/logged") == 2))
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    wanted = ("reconciling", "reconcile failed; retrying with backoff")
    ours = [line for line in lines if line["event"] in wanted]
    assert len(ours) == 3
    for line in ours:
        assert (line["key"], line["namespace"], line["name"]) == ("default/logged", "default", "logged")
    assert "RuntimeError: boom" in next(line for line in ours if "exception" in line)["exception"]


async def get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return response.status, await response.text()


async def test_probes_report_readiness_and_a_stuck_worker(client: KubeClient, start: Any) -> None:
    await create(client, "stuck")
    recorder = Recorder(hold=1.5)
    manager = await start(recorder, stuck_after=0.3)
    await manager.wait_synced()
    host, port = manager.http.addresses["probes"]
    assert (await get(f"http://{host}:{port}/readyz"))[0] == 200
    await eventually(lambda: _assert(recorder.count("default/stuck") == 1))
    await asyncio.sleep(0.5)
    status, body = await get(f"http://{host}:{port}/healthz")
    assert status == 500
    assert "reconcile of default/stuck running for" in body
    await eventually(lambda: _assert(not recorder.active))
    assert (await get(f"http://{host}:{port}/healthz"))[0] == 200
    mhost, mport = manager.http.addresses["metrics"]
    status, text = await get(f"http://{mhost}:{mport}/metrics")
    assert status == 200
    assert 'controller_cache_objects{controller="test",resource="configmaps"} 1.0' in text


LEADER = {"lease_duration": 1.0, "renew_deadline": 0.6, "retry_period": 0.1}
PATIENT = {"lease_duration": 4.0, "renew_deadline": 3.0, "retry_period": 0.1}  # expiry would take 4 s


async def test_of_two_managers_only_the_leader_reconciles_and_a_clean_stop_hands_over_at_once(
    kubeapi: KubeAPI, client: KubeClient, start: Any
) -> None:
    for name in ("a", "b"):
        await create(client, name)
    first, second = Recorder(), Recorder()
    lease = LeaderSettings(name="lock", namespace="default", **PATIENT)
    m1 = await start(first, leader=lease)
    await eventually(lambda: _assert(m1.leading and first.count("default/a") == 1))
    m2 = await start(second, leader=LeaderSettings(name="lock", namespace="default", **PATIENT))
    await m2.wait_synced()
    await create(client, "c")
    await eventually(lambda: _assert(first.count("default/c") == 1))
    await asyncio.sleep(0.5)
    assert second.calls == []
    assert not m2.leading
    m1.stop()
    stopped = time.monotonic()
    await eventually(lambda: _assert(second.count("default/a") == 1))
    assert time.monotonic() - stopped < PATIENT["lease_duration"] / 2  # released, not expired
    lease_obj = await client.request("GET", "/apis/coordination.k8s.io/v1/namespaces/default/leases/lock")
    assert lease_obj["spec"]["holderIdentity"] == m2.settings.leader.identity  # type: ignore[union-attr]


async def test_losing_the_lease_stops_the_workers_at_once(
    kubeapi: KubeAPI, client: KubeClient, start: Any
) -> None:
    await create(client, "long")
    recorder = Recorder(hold=30.0)
    manager = await start(recorder, leader=LeaderSettings(name="lock", namespace="default", **LEADER))
    await eventually(lambda: _assert(recorder.count("default/long") == 1))
    kubeapi.faults.fail(503, resource="leases")
    await eventually(lambda: _assert(not manager.leading and not recorder.active), within=5)
    text = manager.metrics.exposition().decode()
    assert 'leader_election_master_status{name="lock"} 0.0' in text


# -- the controller process: SIGTERM and SIGKILL --


class Process:
    def __init__(self, api: KubeAPI, *args: str) -> None:
        self.lines: list[dict[str, Any]] = []
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.integration.kube.manager_process", "--kubeconfig",
             str(api.kubeconfig_path), *args],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )  # fmt: skip
        self._reader = asyncio.get_running_loop().run_in_executor(None, self._read)

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(json.loads(line))

    def events(self, kind: str) -> list[dict[str, Any]]:
        return [line for line in self.lines if line["event"] == kind]

    async def wait(self, within: float) -> int:
        waiting = asyncio.get_running_loop().run_in_executor(None, self.proc.wait)
        code = await asyncio.wait_for(waiting, within)
        await self._reader
        return code

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()


async def test_sigterm_during_a_burst_exits_zero_within_5s_without_cutting_a_reconcile(
    kubeapi: KubeAPI, client: KubeClient
) -> None:
    proc = Process(kubeapi, "--hold", "0.5", "--workers", "4", "--shutdown-timeout", "4")
    try:
        await eventually(lambda: _assert(bool(proc.events("leading"))), within=20)
        for i in range(40):
            await create(client, f"burst-{i}")
        await eventually(lambda: _assert(len(proc.events("start")) >= 4))
        proc.proc.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        assert await proc.wait(within=10) == 0
        assert time.monotonic() - signalled < 5.0
    finally:
        proc.kill()
    started = Counter(line["key"] for line in proc.events("start"))
    ended = Counter(line["key"] for line in proc.events("end"))
    assert started == ended  # every reconcile that began also finished
    assert sum(started.values()) < 40  # the burst was interrupted, not waited out
    assert proc.events("exit") == [{"event": "exit", "code": 0, "client_closed": True}]


async def test_a_killed_leader_process_is_replaced_within_the_lease_duration(
    kubeapi: KubeAPI, client: KubeClient
) -> None:
    await create(client, "x")
    first = Process(kubeapi, "--lease", "lock")
    try:
        await eventually(lambda: _assert(bool(first.events("leading"))), within=20)
        second = Process(kubeapi, "--lease", "lock")
        try:
            await eventually(lambda: _assert(bool(second.events("standby"))), within=20)
            assert not second.events("start")
            first.proc.send_signal(signal.SIGKILL)
            killed = time.monotonic()
            await eventually(lambda: _assert(bool(second.events("leading"))), within=10)
            assert (
                time.monotonic() - killed < 2.0 + 1.5
            )  # the 2 s lease, a retry period, slack for a busy box
            await eventually(lambda: _assert(any(e["key"] == "default/x" for e in second.events("start"))))
        finally:
            second.kill()
            await second.wait(within=10)
    finally:
        first.kill()
        await first.wait(within=10)
