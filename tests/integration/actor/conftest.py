"""Fixtures of the controller's integration tests: a test-side API client on an emulator with the CRD."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio

from controller.kube.client import KubeClient
from tests.integration.actor.harness import create_namespace, install_crd
from tests.kubeapi import KubeAPI
from tests.services.rabbitmq import RabbitMQNode, VirtualHost, fresh_vhost


@pytest_asyncio.fixture
async def kube(kubeapi: KubeAPI) -> AsyncIterator[KubeClient]:
    """The test's own client of an emulator that serves the AsyncActor CRD and has namespace team-a."""
    client = await KubeClient.connect(kubeconfig=str(kubeapi.kubeconfig_path))
    await install_crd(client)
    await create_namespace(client)
    yield client
    await client.close()


@pytest.fixture(scope="module")
def module_vhost(rabbitmq: RabbitMQNode) -> Iterator[VirtualHost]:
    """A virtual host shared by the tests of one module (each test uses its own actors and namespace)."""
    with fresh_vhost(rabbitmq, "m") as vhost:
        yield vhost
