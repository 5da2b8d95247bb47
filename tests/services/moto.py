"""An SQS endpoint for tests: moto's server, in-process, on a free loopback port.

Fixtures (this module is a pytest plugin):

- ``moto_server`` (session): a started :class:`MotoServer`;
- ``sqs_endpoint`` (function): the same server with all its state reset before the test; yields the endpoint
  URL (``http://127.0.0.1:<port>``).

moto answers the SQS API over HTTP like AWS does, with these differences that matter here: one fixed account
(``123456789012``), any credentials accepted, ``Approximate*`` counters exact and immediate, and no
``QueueDeletedRecently`` (re-creating a queue right after deleting it succeeds).
"""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from moto.server import ThreadedMotoServer

ACCOUNT_ID = "123456789012"
REGION = "us-east-1"


@dataclass
class MotoServer:
    server: ThreadedMotoServer
    endpoint_url: str

    def reset(self) -> None:
        """Forget every queue (and every other resource) the server holds."""
        request = urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", data=b"", method="POST")
        with urllib.request.urlopen(request, timeout=10):
            pass


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield MotoServer(server=server, endpoint_url=f"http://{host}:{port}")
    finally:
        server.stop()


@pytest.fixture
def sqs_endpoint(moto_server: MotoServer) -> str:
    moto_server.reset()
    return moto_server.endpoint_url
