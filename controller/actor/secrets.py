"""Transport credentials read from Secrets in an actor's namespace, on demand.

Contract: ``ApiSecretReader.read(namespace, name, key)`` returns the decoded value, or ``None`` when the
Secret or the key does not exist (the transports turn that into ``SecretNotFound``, a ConfigError). Answers
are kept ``ttl`` seconds (a missing Secret only ``miss_ttl``, so that creating it is noticed soon), which
bounds the reads to a few per referenced Secret and minute whatever the number of actors sharing it.

This is the one read the reconciler makes outside the cache: watching every Secret of the cluster would put
all of them in the controller's memory to use a handful. Values are never logged.
"""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Callable

from controller.actor.resources import SECRETS
from controller.kube.client import ApiError, KubeClient
from controller.transports import Reason, TransportError


class ApiSecretReader:
    def __init__(
        self,
        client: KubeClient,
        *,
        ttl: float = 60.0,
        miss_ttl: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._ttl = ttl
        self._miss_ttl = miss_ttl
        self._clock = clock
        self._entries: dict[tuple[str, str], tuple[float, dict[str, str] | None]] = {}

    async def read(self, namespace: str, name: str, key: str) -> str | None:
        data = await self._data(namespace, name)
        return None if data is None else data.get(key)

    async def _data(self, namespace: str, name: str) -> dict[str, str] | None:
        now = self._clock()
        cached = self._entries.get((namespace, name))
        if cached is not None and cached[0] > now:
            return cached[1]
        try:
            secret = await self._client.request("GET", SECRETS.path(namespace=namespace, name=name))
        except ApiError as exc:
            if not exc.not_found:
                raise TransportError(
                    Reason.PERMISSION_DENIED if exc.status in (401, 403) else Reason.QUEUE_OPERATION_FAILED,
                    f"cannot read Secret {namespace}/{name}: {exc.status} {exc.reason}",
                ) from None
            self._entries[(namespace, name)] = (now + self._miss_ttl, None)
            return None
        data = _decode(secret.get("data"))
        self._entries[(namespace, name)] = (now + self._ttl, data)
        return data


def _decode(data: object) -> dict[str, str]:
    if not isinstance(data, dict):
        return {}
    decoded: dict[str, str] = {}
    for key, value in data.items():
        try:
            decoded[str(key)] = base64.b64decode(str(value), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            continue  # a value that is not base64 text cannot be a credential
    return decoded
