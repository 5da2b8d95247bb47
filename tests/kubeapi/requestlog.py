"""The log of requests the emulator answered, for tests that count API calls.

Each :class:`Request` records the Kubernetes verb (``get``, ``list``, ``watch``, ``create``, ``update``,
``patch``, ``delete``, ``deletecollection``; ``discovery`` for discovery and openapi documents), the resource
coordinates, the query, the request content type (``patch_type`` names the patch flavour: ``apply``,
``merge``, ``json``, ``strategic``), the response status and the User-Agent. Watches are logged when their
stream starts (status 200) or fails.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

WRITE_VERBS = frozenset({"create", "update", "patch", "delete", "deletecollection"})


@dataclass(frozen=True, slots=True)
class Request:
    verb: str
    method: str
    path: str
    query: dict[str, str]
    status: int
    group: str = ""
    version: str = ""
    resource: str = ""
    subresource: str = ""
    namespace: str = ""
    name: str = ""
    content_type: str = ""
    patch_type: str = ""
    user_agent: str = ""
    time: float = field(default_factory=time.time)

    @property
    def watch(self) -> bool:
        return self.verb == "watch"

    @property
    def write(self) -> bool:
        return self.verb in WRITE_VERBS


class RequestLog:
    """Answered requests in order. ``count(verb="list", resource="pods")`` and friends filter on any field.

    ``limit`` keeps only the newest requests (for long benchmarks); by default every request is kept.
    """

    def __init__(self, *, limit: int | None = None) -> None:
        self._items: deque[Request] = deque(maxlen=limit)

    def record(self, request: Request) -> None:
        self._items.append(request)

    def __iter__(self) -> Iterator[Request]:
        return iter(list(self._items))

    def __len__(self) -> int:
        return len(self._items)

    def clear(self) -> None:
        self._items.clear()

    def filter(self, *, writes: bool | None = None, **fields: Any) -> list[Request]:
        """Requests whose attributes equal every given value; ``writes=True`` keeps only writes."""
        result = []
        for item in self._items:
            if writes is not None and item.write != writes:
                continue
            if all(getattr(item, name) == value for name, value in fields.items()):
                result.append(item)
        return result

    def count(self, *, writes: bool | None = None, **fields: Any) -> int:
        return len(self.filter(writes=writes, **fields))

    def summary(self) -> dict[str, int]:
        """``"verb resource[/subresource]"`` → count, for printing in a failing test."""
        out: dict[str, int] = {}
        for item in self._items:
            name = item.resource + (f"/{item.subresource}" if item.subresource else "")
            key = f"{item.verb} {name}".strip()
            out[key] = out.get(key, 0) + 1
        return out
