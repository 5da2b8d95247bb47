"""Fault injection, from tests (``api.faults``) or over HTTP (``/_emulator/faults``, for the CLI).

Request rules apply to every matching request (``verb``, ``resource`` plural, ``namespace``, ``path`` regex):

- ``fail(status, fraction=, retry_after=)`` answers with a ``Status`` of that code (500 ``InternalError``,
  503 ``ServiceUnavailable``, 429 ``TooManyRequests`` with ``Retry-After`` and ``details.retryAfterSeconds``,
  or any other code) instead of serving the request;
- ``delay(seconds)`` adds latency before serving it.

Watch rules apply to watches *started* while the rule is active:

- ``cut_watches(after_events=N, after_seconds=T or (lo, hi))`` ends the stream cleanly after N events or T
  seconds (a range draws T per watch);
- ``stall_watches(after_events=N, seconds=S)`` keeps the connection open but sends nothing (no events, no
  bookmarks, no end at ``timeoutSeconds``) for S seconds, or until the client gives up when S is None.

One-shot actions: ``close_watches()`` ends the open watch streams now; ``compact()`` forgets the event history
so that a watch resumed from an older resourceVersion gets a 410 ``Expired`` ERROR event and continue tokens
expire, as after an etcd compaction.

``fraction`` draws from a per-rule ``random.Random`` seeded from the emulator's seed and the rule's number,
so a run is repeatable for a given order of requests. ``count`` limits how many times a rule fires.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True, eq=False)
class Rule:
    id: int
    action: str  # fail, delay, cut, stall
    rng: random.Random
    verb: str | None = None
    resource: str | None = None
    namespace: str | None = None
    path: re.Pattern[str] | None = None
    fraction: float = 1.0
    count: int | None = None
    status: int = 500
    retry_after: int | None = None
    seconds: float | tuple[float, float] | None = None
    after_events: int | None = None
    hits: int = field(default=0)

    def matches(self, *, verb: str, resource: str, namespace: str, path: str) -> bool:
        if self.verb is not None and self.verb != verb:
            return False
        if self.resource is not None and self.resource != resource:
            return False
        if self.namespace is not None and self.namespace != namespace:
            return False
        return self.path is None or self.path.search(path) is not None

    def fire(self) -> bool:
        if self.count is not None and self.hits >= self.count:
            return False
        if self.fraction < 1.0 and self.rng.random() >= self.fraction:
            return False
        self.hits += 1
        return True

    def duration(self) -> float | None:
        if isinstance(self.seconds, tuple):
            low, high = self.seconds
            return self.rng.uniform(low, high)
        return self.seconds


@dataclass(frozen=True, slots=True)
class WatchPlan:
    """What faults a watch started now will suffer."""

    cut_after_events: int | None = None
    cut_after_seconds: float | None = None
    stall_after_events: int | None = None
    stall_seconds: float | None = None


_MESSAGES = {
    500: ("InternalError", "Internal error occurred: injected fault"),
    503: ("ServiceUnavailable", "the server is currently unable to handle the request"),
    429: ("TooManyRequests", "Too many requests, please try again later."),
    504: (
        "Timeout",
        "the server was unable to return a response in the time allotted, but may still be "
        "processing the request",
    ),
}


class Faults:
    def __init__(
        self,
        *,
        seed: int = 0,
        compact: Callable[[str | None], None] | None = None,
        close_watches: Callable[[str | None], int] | None = None,
    ) -> None:
        self._seed = seed
        self._next_id = 0
        self.rules: list[Rule] = []
        self._compact = compact
        self._close = close_watches

    def _add(self, action: str, path: str | None, **kwargs: Any) -> Rule:
        self._next_id += 1
        rule = Rule(
            id=self._next_id,
            action=action,
            rng=random.Random(f"{self._seed}/{self._next_id}"),
            path=re.compile(path) if path else None,
            **kwargs,
        )
        self.rules.append(rule)
        return rule

    def fail(
        self,
        status: int = 500,
        *,
        fraction: float = 1.0,
        verb: str | None = None,
        resource: str | None = None,
        namespace: str | None = None,
        path: str | None = None,
        count: int | None = None,
        retry_after: int | None = None,
    ) -> Rule:
        """Answer matching requests with ``status`` (429 gets ``Retry-After: retry_after or 1``)."""
        if status == 429 and retry_after is None:
            retry_after = 1
        return self._add(
            "fail",
            path,
            status=status,
            fraction=fraction,
            verb=verb,
            resource=resource,
            namespace=namespace,
            count=count,
            retry_after=retry_after,
        )

    def delay(
        self,
        seconds: float | tuple[float, float],
        *,
        fraction: float = 1.0,
        verb: str | None = None,
        resource: str | None = None,
        namespace: str | None = None,
        path: str | None = None,
        count: int | None = None,
    ) -> Rule:
        return self._add(
            "delay",
            path,
            seconds=seconds,
            fraction=fraction,
            verb=verb,
            resource=resource,
            namespace=namespace,
            count=count,
        )

    def cut_watches(
        self,
        *,
        after_events: int | None = None,
        after_seconds: float | tuple[float, float] | None = None,
        resource: str | None = None,
        namespace: str | None = None,
        count: int | None = None,
        fraction: float = 1.0,
    ) -> Rule:
        return self._add(
            "cut",
            None,
            after_events=after_events,
            seconds=after_seconds,
            resource=resource,
            namespace=namespace,
            count=count,
            fraction=fraction,
        )

    def stall_watches(
        self,
        *,
        after_events: int = 0,
        seconds: float | None = None,
        resource: str | None = None,
        namespace: str | None = None,
        count: int | None = None,
        fraction: float = 1.0,
    ) -> Rule:
        return self._add(
            "stall",
            None,
            after_events=after_events,
            seconds=seconds,
            resource=resource,
            namespace=namespace,
            count=count,
            fraction=fraction,
        )

    def close_watches(self, resource: str | None = None) -> int:
        """End open watch streams now (of one resource plural, or all); returns how many."""
        return self._close(resource) if self._close else 0

    def compact(self, resource: str | None = None) -> None:
        """Forget watch history (of one resource plural, or all): older resumes get 410."""
        if self._compact:
            self._compact(resource)

    def remove(self, rule: Rule) -> None:
        if rule in self.rules:
            self.rules.remove(rule)

    def clear(self) -> None:
        self.rules.clear()

    # Used by the server

    def for_request(
        self, *, verb: str, resource: str, namespace: str, path: str
    ) -> tuple[float, int | None, Rule | None]:
        """(delay seconds, failing status or None, the failing rule) for one request."""
        delay = 0.0
        for rule in self.rules:
            if (
                rule.action == "delay"
                and rule.matches(verb=verb, resource=resource, namespace=namespace, path=path)
                and rule.fire()
            ):
                delay += rule.duration() or 0.0
        for rule in self.rules:
            if (
                rule.action == "fail"
                and rule.matches(verb=verb, resource=resource, namespace=namespace, path=path)
                and rule.fire()
            ):
                return delay, rule.status, rule
        return delay, None, None

    def watch_plan(self, *, resource: str, namespace: str, path: str) -> WatchPlan:
        cut_events = cut_seconds = stall_events = stall_seconds = None
        for rule in self.rules:
            if rule.action not in ("cut", "stall"):
                continue
            if (
                not rule.matches(verb="watch", resource=resource, namespace=namespace, path=path)
                or not rule.fire()
            ):
                continue
            if rule.action == "cut":
                cut_events = rule.after_events if cut_events is None else cut_events
                cut_seconds = rule.duration() if cut_seconds is None else cut_seconds
            else:
                stall_events, stall_seconds = rule.after_events or 0, rule.duration()
        return WatchPlan(cut_events, cut_seconds, stall_events, stall_seconds)

    @staticmethod
    def status_body(status: int, retry_after: int | None) -> dict[str, Any]:
        reason, message = _MESSAGES.get(status, ("InternalError", f"injected fault {status}"))
        body: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": message,
            "reason": reason,
            "details": {},
            "code": status,
        }
        if retry_after is not None:
            body["details"]["retryAfterSeconds"] = retry_after
        return body
