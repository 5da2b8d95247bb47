"""A dict-backed :class:`~controller.transports.base.SecretReader`: a test cluster's Secrets in memory."""

from __future__ import annotations

from collections.abc import Mapping


class DictSecrets:
    """``{(namespace, secret name): {key: value}}``; reads record what was asked for."""

    def __init__(self, data: Mapping[tuple[str, str], Mapping[str, str]] | None = None) -> None:
        self.data: dict[tuple[str, str], dict[str, str]] = {k: dict(v) for k, v in (data or {}).items()}
        self.reads: list[tuple[str, str, str]] = []

    def put(self, namespace: str, name: str, **values: str) -> None:
        self.data.setdefault((namespace, name), {}).update(values)

    async def read(self, namespace: str, name: str, key: str) -> str | None:
        self.reads.append((namespace, name, key))
        return self.data.get((namespace, name), {}).get(key)
