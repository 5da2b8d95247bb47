"""A small controller process for tests: a Manager over ConfigMaps with a reconciler that reports itself.

``python -m tests.integration.kube.manager_process --kubeconfig PATH [--lease NAME] [--hold SECONDS]``
reconciles every ConfigMap of the emulator by sleeping ``--hold`` seconds, and prints one JSON line per
happening on stdout: ``{"event": "leading"}`` / ``{"event": "standby"}`` when that changes,
``{"event": "start", "key": K}`` and ``{"event": "end", "key": K}`` around each reconcile, and
``{"event": "exit", "code": N}`` last. Tests send it SIGTERM or SIGKILL.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from controller import logs
from controller.kube.cache import own_key
from controller.kube.client import KubeClient
from controller.kube.leader import LeaderSettings
from controller.kube.resources import Resource
from controller.manager import Manager, ManagerSettings, Result, Watch
from controller.metrics import Metrics

CONFIGMAPS = Resource(group="", version="v1", plural="configmaps", kind="ConfigMap")


def say(event: str, **fields: object) -> None:
    print(json.dumps({"event": event, **fields}), flush=True)


class Reporter:
    def __init__(self, hold: float) -> None:
        self.hold = hold

    async def reconcile(self, key: str) -> Result | None:
        say("start", key=key)
        await asyncio.sleep(self.hold)
        say("end", key=key)
        return None


async def watch_leadership(manager: Manager) -> None:
    leading: bool | None = None
    while True:
        if manager.leading != leading and manager.synced:
            leading = manager.leading
            say("leading" if leading else "standby")
        await asyncio.sleep(0.02)


async def main(args: argparse.Namespace) -> int:
    metrics = Metrics(controller="test")
    client = await KubeClient.connect(kubeconfig=args.kubeconfig, metrics=metrics)
    leader = None
    if args.lease:
        leader = LeaderSettings(
            name=args.lease, namespace="default", lease_duration=2.0, renew_deadline=1.5, retry_period=0.3
        )
    manager = Manager(
        client=client,
        primary=CONFIGMAPS,
        watches=[Watch(resource=CONFIGMAPS, keys=own_key)],
        settings=ManagerSettings(
            name="test",
            max_concurrent_reconciles=args.workers,
            leader=leader,
            metrics_bind="0",
            probes_bind="127.0.0.1:0",
            shutdown_timeout=args.shutdown_timeout,
        ),
        metrics=metrics,
    )
    reporter = asyncio.create_task(watch_leadership(manager))
    code = await manager.run(Reporter(args.hold))
    reporter.cancel()
    say("exit", code=code, client_closed=client.closed)
    return code


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--kubeconfig", required=True)
    parser.add_argument("--lease", default="")
    parser.add_argument("--hold", type=float, default=0.2)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--shutdown-timeout", type=float, default=4.0)
    logs.configure(format="json", level="info")
    sys.exit(asyncio.run(main(parser.parse_args())))
