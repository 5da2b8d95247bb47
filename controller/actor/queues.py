"""When to talk to an actor's broker: the memory of each actor's last queue check.

A reconcile runs on every pod change; the broker must not see a request each time. The reconciler asks the
transport to ensure the queue and to read its depth only when a check is *due*:

- the actor has not been checked by this process, or what the check depends on changed (the transport, the
  actor's uid, the processing timeout that sets SQS's visibility timeout): its ``fingerprint``;
- the periodic queue health check is due (``interval``, ``ASYA_QUEUE_HEALTH_CHECK_INTERVAL``): a queue that
  disappeared is re-created and the queue figures in the status are refreshed;
- the last check failed and its retry time has come: the transport's own ``retry_after`` when it gave one
  (65 s after SQS's ``QueueDeletedRecently``), else an exponential backoff from 5 s up to the interval.

Otherwise the last outcome is reused. Pure bookkeeping on a monotonic clock the caller passes in.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

from controller.actor.observed import TransportOutcome

FIRST_RETRY = 5.0


@dataclass(frozen=True, slots=True)
class _Check:
    fingerprint: Hashable
    outcome: TransportOutcome
    next_at: float
    failures: int


class QueueChecks:
    def __init__(self, *, interval: float) -> None:
        self.interval = interval
        self._checks: dict[str, _Check] = {}

    def last(self, key: str, fingerprint: Hashable, *, now: float) -> TransportOutcome | None:
        """The outcome to reuse, or ``None`` when a check is due."""
        check = self._checks.get(key)
        if check is None or check.fingerprint != fingerprint or now >= check.next_at:
            return None
        return check.outcome

    def record(
        self,
        key: str,
        fingerprint: Hashable,
        outcome: TransportOutcome,
        *,
        now: float,
        retry_after: float | None = None,
    ) -> None:
        """Remember the outcome of a check made at ``now``."""
        if outcome.state == "ready":
            self._checks[key] = _Check(fingerprint, outcome, now + self.interval, 0)
            return
        previous = self._checks.get(key)
        failures = (
            previous.failures + 1 if previous is not None and previous.fingerprint == fingerprint else 1
        )
        delay = (
            retry_after if retry_after is not None else min(FIRST_RETRY * 2 ** (failures - 1), self.interval)
        )
        self._checks[key] = _Check(fingerprint, outcome, now + delay, failures)

    def next_at(self, key: str) -> float | None:
        """When the next check of ``key`` is due, for the reconciler's requeue."""
        check = self._checks.get(key)
        return None if check is None else check.next_at

    def forget(self, key: str) -> None:
        self._checks.pop(key, None)
