"""The ``kubeapi`` pytest fixture: a started :class:`~tests.kubeapi.KubeAPI`, one per test (it starts in
milliseconds). Registered through ``pytest_plugins`` in ``tests/conftest.py``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from tests.kubeapi.server import KubeAPI
from tests.kubectl import Kubectl


@pytest_asyncio.fixture
async def kubeapi() -> AsyncIterator[KubeAPI]:
    async with KubeAPI() as api:
        yield api


@pytest_asyncio.fixture
async def kubeapi_client(kubeapi: KubeAPI) -> AsyncIterator[Any]:
    """A kubernetes_asyncio ApiClient connected to the ``kubeapi`` emulator."""
    async with kubeapi.api_client() as client:
        yield client


@pytest.fixture
def kubectl(kubeapi: KubeAPI, tmp_path: Path) -> Kubectl:
    """kubectl against the ``kubeapi`` emulator, with a discovery cache of its own."""
    return Kubectl(kubeapi.kubeconfig_path, cache=tmp_path / "kubectl-cache")
