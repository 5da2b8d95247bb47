"""Jittered exponential backoff that forgets after a healthy spell (client-go's backoff manager).

Contract: ``next(now)`` returns the delay before the next attempt: ``current + jitter * random * current``,
then ``current`` doubles (``factor``) up to ``maximum``. When ``reset_after`` seconds passed since the
previous call, ``current`` starts again at ``initial``: a loop that works for a while earns a quick retry next
time. The reflector's defaults are 0.8 s → 30 s, factor 2, jitter 1.0, reset after 2 min.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass(kw_only=True)
class Backoff:
    initial: float = 0.8
    maximum: float = 30.0
    factor: float = 2.0
    jitter: float = 1.0
    reset_after: float = 120.0
    rng: random.Random = field(default_factory=random.Random)
    _current: float = field(init=False, default=0.0)
    _last: float | None = field(init=False, default=None)

    def next(self, now: float) -> float:
        if self._last is None or now - self._last >= self.reset_after:
            self._current = self.initial
        self._last = now
        delay = self._current + self.jitter * self.rng.random() * self._current
        self._current = min(self._current * self.factor, self.maximum)
        return min(delay, self.maximum * (1.0 + self.jitter))

    def reset(self) -> None:
        self._last = None
