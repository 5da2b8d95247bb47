"""Shared helpers of the machinery's emulator tests: resources, bodies, polling with a deadline."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from controller.kube.resources import Resource
from tests.kubeapi import KubeAPI

CONFIGMAPS = Resource(group="", version="v1", plural="configmaps", kind="ConfigMap")


def configmap(name: str, *, namespace: str = "default", **data: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace},
        "data": data,
    }


async def eventually(check: Callable[[], Awaitable[None]], *, within: float = 10.0) -> None:
    """Await ``check()`` until it passes (no AssertionError), re-raising its failure after ``within`` s."""
    deadline = time.monotonic() + within
    while True:
        try:
            await check()
            return
        except AssertionError:
            if time.monotonic() > deadline:
                raise
        await asyncio.sleep(0.02)


def watcher_lists(api: KubeAPI, resource: Resource = CONFIGMAPS) -> int:
    """LIST requests a watcher made (they are paginated; the tests' own lists are not)."""
    return sum("limit" in r.query for r in api.requests.filter(verb="list", resource=resource.plural))
