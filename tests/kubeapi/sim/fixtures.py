"""The `cluster` pytest fixture: the emulator (`kubeapi`) with every simulator running on it.

    async def test_something(cluster: SimulatedCluster, kubeapi: KubeAPI) -> None:
        async with kubeapi.api_client() as client:
            ...  # create a Deployment with kubernetes-asyncio; pods appear, start and become Ready

`sim_config` shapes it (fast timings, three nodes of 4 CPUs and 16 GiB, KEDA installed); override the fixture
in a test module to change that, e.g. `SimConfig(keda=False)` for a cluster without KEDA. Registered through
`pytest_plugins` in `tests/conftest.py`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from tests.kubeapi.server import KubeAPI
from tests.kubeapi.sim.cluster import SimConfig, SimulatedCluster
from tests.kubeapi.sim.timing import Timings


@pytest.fixture
def sim_config() -> SimConfig:
    return SimConfig(timings=Timings.fast())


@pytest_asyncio.fixture
async def cluster(kubeapi: KubeAPI, sim_config: SimConfig) -> AsyncIterator[SimulatedCluster]:
    async with kubeapi.api_client() as client, SimulatedCluster(client, sim_config) as simulated:
        yield simulated
