"""Fixtures for the machinery against the emulator: our own client, and small helpers."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from controller.kube.client import KubeClient
from controller.metrics import Metrics
from tests.kubeapi import KubeAPI


@pytest_asyncio.fixture
async def metrics() -> Metrics:
    return Metrics(controller="test")


@pytest_asyncio.fixture
async def client(kubeapi: KubeAPI, metrics: Metrics) -> AsyncIterator[KubeClient]:
    """The controller's client, connected through the emulator's kubeconfig."""
    client = await KubeClient.connect(kubeconfig=str(kubeapi.kubeconfig_path), metrics=metrics)
    try:
        yield client
    finally:
        await client.close()
