"""The machinery's figures: watch → cache → queue throughput, queue operations, cache memory per 1 000 pods.

- *events per second*: pods are modified in the emulator as fast as one client can; each change crosses a
  real watch stream (HTTP, JSON lines) into the cache, whose subscriber maps it to a key added to the queue.
  The figure is changes that reached the queue per second of wall time from the first write to the last
  arrival, so it is bounded by the emulator's write rate too.
- *queue operations per second*: add → get → done cycles over many distinct keys with no debounce, and
  debounced adds of keys already waiting (the common case in a burst).
- *cache memory*: ``tracemalloc`` bytes held by a store of 10 000 realistic pods (about 6 KB of JSON each),
  trimmed by the trim a controller of actors would use, per 1 000 pods; the untrimmed figure for comparison.
"""

from __future__ import annotations

import asyncio
import gc
import json
import time
import tracemalloc

from controller.kube.cache import Store
from controller.kube.queue import QueueSettings, WorkQueue
from controller.kube.resources import Resource
from tests.bench import Figure
from tests.bench.pods import TRIM_POD, pod

PODS = Resource(group="", version="v1", plural="pods", kind="Pod")


async def queue_cycles(count: int) -> float:
    queue: WorkQueue[str] = WorkQueue(settings=QueueSettings(debounce=0.0))
    keys = [f"ns/actor-{i}" for i in range(count)]
    started = time.perf_counter()
    for key in keys:
        queue.add(key)
    for _ in keys:
        queue.done(await queue.get())
    return count / (time.perf_counter() - started)


async def debounced_adds(count: int, distinct: int) -> float:
    queue: WorkQueue[str] = WorkQueue()
    keys = [f"ns/actor-{i % distinct}" for i in range(count)]
    started = time.perf_counter()
    for key in keys:
        queue.add(key)
    elapsed = time.perf_counter() - started
    queue.shutdown()
    return count / elapsed


def store_bytes(count: int, *, trim: bool) -> int:
    raws = [json.dumps(pod(i)).encode() for i in range(count)]  # as they arrive: bytes off the wire
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        store = Store(resource=PODS, trim=TRIM_POD if trim else None)
        for raw in raws:
            store.upsert(json.loads(raw))
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(store) == count
    return held


async def run() -> list[Figure]:
    figures = [
        Figure("queue add→get→done cycles", await queue_cycles(50_000), "ops/s"),
        Figure("queue debounced adds (1 000 keys)", await debounced_adds(200_000, 1_000), "ops/s"),
        Figure("cache memory, trimmed pods", store_bytes(10_000, trim=True) / 10 / 1024, "KiB/1000"),
        Figure("cache memory, untrimmed pods", store_bytes(2_000, trim=False) / 2 / 1024, "KiB/1000"),
    ]
    return figures


if __name__ == "__main__":
    for figure in asyncio.run(run()):
        print(figure)
