"""The work queue: deduplication, debounce, backoff, delayed adds, shutdown — in virtual loop time."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import looptime
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from controller.kube.queue import (
    QueueSettings,
    QueueShutDown,
    TokenBucket,
    WorkQueue,
    backoff_delay,
    debounced_at,
)

pytestmark = pytest.mark.looptime


async def _take(queue: WorkQueue[str]) -> tuple[str, float]:
    key = await queue.get()
    return key, asyncio.get_running_loop().time()


async def _worker(queue: WorkQueue[str], log: list[tuple[str, float]], *, hold: float = 0.0) -> None:
    while True:
        try:
            key = await queue.get()
        except QueueShutDown:
            return
        log.append((key, asyncio.get_running_loop().time()))
        await asyncio.sleep(hold)
        queue.done(key)


def test_backoff_doubles_from_base_up_to_the_cap() -> None:
    delays = [backoff_delay(n, base=0.005, cap=1000.0) for n in range(22)]
    assert delays[:4] == [0.005, 0.01, 0.02, 0.04]
    assert delays[-1] == 1000.0
    assert backoff_delay(10_000, base=0.005, cap=1000.0) == 1000.0


def test_debounce_is_the_quiet_window_bounded_by_the_maximum_delay() -> None:
    assert debounced_at(first=0.0, last=0.05, quiet=0.1, max_delay=1.0) == pytest.approx(0.15)
    assert debounced_at(first=0.0, last=0.95, quiet=0.1, max_delay=1.0) == pytest.approx(1.0)


def test_token_bucket_grants_the_burst_then_spaces_by_the_rate() -> None:
    bucket = TokenBucket(rate=10.0, burst=100)
    assert [bucket.reserve(0.0) for _ in range(100)] == [0.0] * 100
    assert bucket.reserve(0.0) == pytest.approx(0.1)
    assert bucket.reserve(0.0) == pytest.approx(0.2)
    assert bucket.reserve(10.0) == 0.0  # ten seconds refill the deficit and more


async def test_twenty_adds_within_100ms_cost_one_processing() -> None:
    queue: WorkQueue[str] = WorkQueue()
    log: list[tuple[str, float]] = []
    worker = asyncio.create_task(_worker(queue, log))
    for _ in range(20):
        queue.add("ns/a")
        await asyncio.sleep(0.005)
    await asyncio.sleep(5)
    queue.shutdown()
    await worker
    assert [key for key, _ in log] == ["ns/a"]
    assert log[0][1] == pytest.approx(0.095 + 0.1, abs=0.002)  # quiet window after the last add


async def test_a_continuous_burst_is_released_at_the_maximum_delay() -> None:
    queue: WorkQueue[str] = WorkQueue()
    waiter = asyncio.create_task(_take(queue))
    for _ in range(60):  # an add every 50 ms for 3 s: the quiet window never elapses
        queue.add("ns/a")
        await asyncio.sleep(0.05)
        if waiter.done():
            break
    _, at = await waiter
    assert at == pytest.approx(1.0, abs=0.002)


async def test_distinct_keys_are_handed_out_in_the_order_they_became_ready() -> None:
    queue: WorkQueue[str] = WorkQueue(settings=QueueSettings(debounce=0.0))
    for key in ("c", "a", "b", "a"):
        queue.add(key)
    assert len(queue) == 3
    assert [await queue.get() for _ in range(3)] == ["c", "a", "b"]


async def test_a_key_added_while_held_runs_once_more_after_done() -> None:
    queue: WorkQueue[str] = WorkQueue(settings=QueueSettings(debounce=0.0))
    queue.add("k")
    key = await queue.get()
    queue.add("k")
    queue.add("k")
    assert len(queue) == 0  # not ready while held
    second = asyncio.create_task(queue.get())
    await asyncio.sleep(1)
    assert not second.done()
    queue.done(key)
    assert await second == "k"
    queue.done("k")
    assert len(queue) == 0
    assert queue.waiting == 0


async def test_add_after_fires_on_time() -> None:
    queue: WorkQueue[str] = WorkQueue()
    queue.add_after("k", 30.0)
    key, at = await _take(queue)
    assert key == "k"
    assert at == pytest.approx(30.0, abs=0.002)


async def test_the_earliest_schedule_of_a_key_wins() -> None:
    queue: WorkQueue[str] = WorkQueue()
    queue.add_after("k", 30.0)
    queue.add_after("k", 10.0)
    queue.add("k")  # debounced: ready at 0.1 s, subsuming both schedules
    _, at = await _take(queue)
    assert at == pytest.approx(0.1, abs=0.002)
    queue.done("k")
    await asyncio.sleep(60)
    assert len(queue) == 0
    assert queue.waiting == 0


async def test_backoff_grows_on_each_failure_and_resets_after_forget() -> None:
    queue: WorkQueue[str] = WorkQueue()
    loop = asyncio.get_running_loop()
    delays = []
    for _ in range(6):
        started = loop.time()
        queue.add_rate_limited("k")
        key = await queue.get()
        delays.append(loop.time() - started)
        queue.done(key)
    assert delays == pytest.approx([0.005, 0.01, 0.02, 0.04, 0.08, 0.16], abs=0.002)
    assert queue.num_requeues("k") == 6
    queue.forget("k")
    started = loop.time()
    queue.add_rate_limited("k")
    await queue.get()
    assert loop.time() - started == pytest.approx(0.005, abs=0.002)


async def test_rate_limited_adds_beyond_the_burst_are_spaced_by_the_bucket() -> None:
    queue: WorkQueue[str] = WorkQueue(settings=QueueSettings(rate=10.0, burst=2))
    for key in ("a", "b", "c", "d"):
        queue.add_rate_limited(key)
    times = [(await _take(queue))[1] for _ in range(4)]
    assert times == pytest.approx([0.005, 0.005, 0.1, 0.2], abs=0.002)


async def test_shutdown_stops_handing_out_keys_and_drain_waits_for_the_held_ones() -> None:
    queue: WorkQueue[str] = WorkQueue(settings=QueueSettings(debounce=0.0))
    queue.add("held")
    held = await queue.get()
    queue.add("ready")
    idle_getter = asyncio.create_task(queue.get())
    queue.shutdown()
    with pytest.raises(QueueShutDown):
        await queue.get()
    with pytest.raises(QueueShutDown):
        await idle_getter
    queue.add("late")
    assert len(queue) == 0
    drained = asyncio.create_task(queue.drain())
    await asyncio.sleep(1)
    assert not drained.done()
    queue.done(held)
    await asyncio.wait_for(drained, 1)


async def test_a_cancelled_getter_passes_its_wakeup_on() -> None:
    queue: WorkQueue[str] = WorkQueue(settings=QueueSettings(debounce=0.0))
    first = asyncio.create_task(queue.get())
    second = asyncio.create_task(queue.get())
    await asyncio.sleep(0)
    queue.add("k")
    first.cancel()
    assert await asyncio.wait_for(second, 1) == "k"


# -- the same key is never on two workers, and no add is lost (property) --


@dataclass(frozen=True)
class _Op:
    at_ms: int
    kind: str
    key: str
    delay_ms: int


_ops = st.builds(
    _Op,
    at_ms=st.integers(0, 2000),
    kind=st.sampled_from(["add", "add_after", "rate_limited", "forget"]),
    key=st.sampled_from(["a", "b", "c"]),
    delay_ms=st.integers(0, 300),
)


async def _run_schedule(ops: list[_Op], holds_ms: list[int]) -> tuple[list[tuple[str, float, float]], bool]:
    queue: WorkQueue[str] = WorkQueue(settings=QueueSettings(rate=50.0, burst=3))
    loop = asyncio.get_running_loop()
    held: set[str] = set()
    overlap = False
    runs: list[tuple[str, float, float]] = []

    async def worker(index: int) -> None:
        nonlocal overlap
        turn = 0
        while True:
            try:
                key = await queue.get()
            except QueueShutDown:
                return
            overlap = overlap or key in held
            held.add(key)
            started = loop.time()
            await asyncio.sleep(holds_ms[(index + turn) % len(holds_ms)] / 1000)
            turn += 1
            held.discard(key)
            runs.append((key, started, loop.time()))
            queue.done(key)

    workers = [asyncio.create_task(worker(i)) for i in range(3)]
    for op in sorted(ops, key=lambda op: op.at_ms):
        await asyncio.sleep(max(0.0, op.at_ms / 1000 - loop.time()))
        if op.kind == "add":
            queue.add(op.key)
        elif op.kind == "add_after":
            queue.add_after(op.key, op.delay_ms / 1000)
        elif op.kind == "rate_limited":
            queue.add_rate_limited(op.key)
        else:
            queue.forget(op.key)
    await asyncio.sleep(100)  # far beyond any debounce, delay, hold or backoff used here
    queue.shutdown()
    await asyncio.gather(*workers)
    return runs, overlap


@settings(max_examples=60, deadline=None)
@given(ops=st.lists(_ops, max_size=40), holds_ms=st.lists(st.integers(0, 400), min_size=1, max_size=5))
def test_no_key_is_held_twice_and_every_add_leads_to_a_later_run(ops: list[_Op], holds_ms: list[int]) -> None:
    loop = looptime.new_event_loop(start=0)
    try:
        runs, overlap = loop.run_until_complete(_run_schedule(ops, holds_ms))
    finally:
        loop.close()
    assert not overlap
    for op in ops:
        if op.kind == "forget":
            continue
        added = op.at_ms / 1000
        assert any(key == op.key and started >= added - 1e-6 for key, started, _ in runs), op
    adds = sum(op.kind != "forget" for op in ops)
    assert len(runs) <= adds
