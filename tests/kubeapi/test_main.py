"""``python -m tests.kubeapi serve``: kubectl against it, run-time faults, clean exit on signals."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import sys
from pathlib import Path

import aiohttp
import pytest

ROOT = Path(__file__).resolve().parents[2]


async def _serve(kubeconfig: Path) -> tuple[asyncio.subprocess.Process, str]:
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
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
    assert line.startswith("serving http://127.0.0.1:"), line
    return process, line.split()[1]


async def _kubectl(kubeconfig: Path, cache: Path, *args: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        shutil.which("kubectl") or "kubectl",
        "--cache-dir",
        str(cache),
        *args,
        env={**os.environ, "KUBECONFIG": str(kubeconfig)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode()


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
async def test_serves_kubectl_and_exits_cleanly_on_a_signal(tmp_path: Path, signum: signal.Signals) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    process, _ = await _serve(kubeconfig)
    try:
        code, out = await _kubectl(kubeconfig, tmp_path / "cache", "create", "namespace", "team")
        assert code == 0, out
        code, out = await _kubectl(kubeconfig, tmp_path / "cache", "get", "namespaces", "-o", "name")
        assert "namespace/team" in out.split()
    finally:
        process.send_signal(signum)
        await asyncio.wait_for(process.wait(), 30)
    assert process.returncode == 0


async def test_faults_are_injected_over_http(tmp_path: Path) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    process, url = await _serve(kubeconfig)
    try:
        async with aiohttp.ClientSession() as session:
            rule = {"action": "fail", "status": 503, "verb": "list", "resource": "configmaps"}
            async with session.post(f"{url}/_emulator/faults", json=rule) as response:
                assert (await response.json())["id"] == 1
            code, out = await _kubectl(kubeconfig, tmp_path / "cache", "get", "configmaps")
            assert code != 0
            assert "ServiceUnavailable" in out or "unable to handle the request" in out
            async with session.delete(f"{url}/_emulator/faults") as response:
                assert (await response.json())["rules"] == 0
            code, out = await _kubectl(kubeconfig, tmp_path / "cache", "get", "configmaps")
            assert code == 0, out
            async with session.get(f"{url}/_emulator/requests") as response:
                summary = json.loads(await response.text())["summary"]
            assert summary["list configmaps"] >= 2
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 30)
