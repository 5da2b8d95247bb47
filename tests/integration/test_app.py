"""``controller.app.run`` (``asya-controller run``) in a process of its own, against the emulator."""

from __future__ import annotations

import asyncio
import json
import sys
import textwrap

from tests.kubeapi import KubeAPI
from tests.services.network import free_port

# Runs the controller; once it serves, reports how many objects the cyclic collector no longer scans and the
# API requests its /metrics counts (within 20 s), then stops it as the kubelet would (SIGTERM) and reports
# the exit status.
SCRIPT = textwrap.dedent(
    """
    import asyncio, gc, json, os, signal, sys
    import aiohttp
    from controller.app import run
    from controller.settings import Settings

    async def counted(port):
        try:
            async with aiohttp.ClientSession() as session:
                async with session.get(f"http://127.0.0.1:{port}/metrics") as response:
                    text = await response.text()
        except aiohttp.ClientError:  # not serving yet
            return 0.0
        lines = [line for line in text.splitlines() if line.startswith("rest_client_requests_total{")]
        return sum(float(line.rpartition(" ")[2]) for line in lines)

    async def main():
        port = int(sys.argv[2])
        settings = Settings(
            kubeconfig=sys.argv[1], metrics_bind=f"127.0.0.1:{port}", probes_bind="0", log_level="error"
        )
        controller = asyncio.create_task(run(settings, env={}))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 20
        requests = 0.0
        while loop.time() < deadline and not (gc.get_freeze_count() and requests):
            await asyncio.sleep(0.05)
            if gc.get_freeze_count():
                requests = await counted(port)
        frozen = gc.get_freeze_count()
        os.kill(os.getpid(), signal.SIGTERM)
        print(json.dumps({"frozen": frozen, "requests": requests, "code": await controller}))

    asyncio.run(main())
    """
)


async def test_run_keeps_its_start_up_heap_out_of_full_collections(kubeapi: KubeAPI) -> None:
    """Everything imported and built before serving is frozen: a full collection does not scan it again."""
    report = await _run_and_report(kubeapi)
    assert report["code"] == 0
    assert report["frozen"] > 10_000


async def _run_and_report(kubeapi: KubeAPI) -> dict[str, float]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        SCRIPT,
        str(kubeapi.kubeconfig_path),
        str(free_port()),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), 60)
    finally:
        if process.returncode is None:  # it did not stop: do not leave it running
            process.kill()
            await process.wait()
    assert process.returncode == 0, err.decode()
    report: dict[str, float] = json.loads(out.decode().strip().splitlines()[-1])
    return report


async def test_run_counts_its_api_requests_in_its_metrics(kubeapi: KubeAPI) -> None:
    """``rest_client_requests_total`` counts the requests of the client the controller runs on."""
    report = await _run_and_report(kubeapi)
    assert report["code"] == 0
    assert report["requests"] > 0
