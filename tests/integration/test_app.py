"""``controller.app.run`` (``asya-controller run``) in a process of its own, against the emulator."""

from __future__ import annotations

import asyncio
import json
import sys
import textwrap

from tests.kubeapi import KubeAPI

# Runs the controller; once it serves, reports how many objects the cyclic collector no longer scans, then
# stops it as the kubelet would (SIGTERM) and reports the exit status.
SCRIPT = textwrap.dedent(
    """
    import asyncio, gc, json, os, signal, sys
    from controller.app import run
    from controller.settings import Settings

    async def main():
        settings = Settings(kubeconfig=sys.argv[1], metrics_bind="0", probes_bind="0", log_level="error")
        controller = asyncio.create_task(run(settings, env={}))
        deadline = asyncio.get_running_loop().time() + 20
        while not gc.get_freeze_count() and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.01)
        frozen = gc.get_freeze_count()
        os.kill(os.getpid(), signal.SIGTERM)
        print(json.dumps({"frozen": frozen, "code": await controller}))

    asyncio.run(main())
    """
)


async def test_run_keeps_its_start_up_heap_out_of_full_collections(kubeapi: KubeAPI) -> None:
    """Everything imported and built before serving is frozen: a full collection does not scan it again."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        SCRIPT,
        str(kubeapi.kubeconfig_path),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    report = json.loads(out.decode().strip().splitlines()[-1])
    assert report["code"] == 0
    assert report["frozen"] > 10_000
