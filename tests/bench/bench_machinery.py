"""The machinery's figures: watch → cache → queue throughput, queue operations, cache memory per 1 000 pods.

- *events per second*: pod creations cross a real watch stream (HTTP, JSON lines, the emulator in the same
  process and event loop, serialising each event) into the cache (trimmed, indexed by actor), whose
  subscriber maps each change to its actor's key and adds it to the queue. Pods are created straight in the
  emulator's store (its HTTP write path would be the bottleneck). *Replayed*: the watch was held off while
  3 000 pods were created, then resumes from its resourceVersion (first to last arrival). *Live*: 2 000 pods
  are created while the watch runs (first write to last arrival). *Bare lines*: the same 3 000 events read
  without processing: the ceiling the emulator (same process) and HTTP set.
- *decode → cache → queue*: the controller's own work per event without HTTP (JSON decoding of a watch
  line, trim, index, key mapping, queue add), on 5 000 whole pod events (with managedFields, ~5 KB each).
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
from collections.abc import Callable

from controller import logs
from controller.kube.cache import Cache, Change, Store, label_keys
from controller.kube.client import KubeClient
from controller.kube.objects import label_index
from controller.kube.queue import QueueSettings, WorkQueue
from controller.kube.resources import Resource
from controller.kube.watch import Watcher, WatchSettings
from tests.bench import Figure
from tests.bench.pods import TRIM_POD, pod
from tests.kubeapi import KubeAPI

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


def _creatable(index: int) -> dict[str, object]:
    body = pod(index)
    meta = body["metadata"]
    assert isinstance(meta, dict)
    # The owner ReplicaSets do not exist here: the emulator's garbage collector would chase the references.
    for field in ("uid", "resourceVersion", "creationTimestamp", "managedFields", "ownerReferences"):
        meta.pop(field)
    return body


async def _in_loop(fn: Callable[[int], float], count: int) -> float:
    return fn(count)  # the queue needs a running loop for its timers


class _Pipeline:
    """Watcher → cache (trimmed, indexed) → actor keys → queue, counting arrivals."""

    def __init__(self, client: KubeClient) -> None:
        self.queue: WorkQueue[str] = WorkQueue()
        self.cache = Cache()
        self.cache.add(Store(resource=PODS, trim=TRIM_POD, indexes={"actor": label_index("asya.sh/actor")}))
        self.arrivals: list[float] = []
        mapper = label_keys("asya.sh/actor")

        def enqueue(change: Change) -> None:
            for key in mapper(change, self.cache):
                self.queue.add(key)
            self.arrivals.append(time.perf_counter())

        self.cache.subscribe(enqueue)
        settings = WatchSettings(backoff_initial=0.01, backoff_max=0.05)
        self.watcher = Watcher(client=client, resource=PODS, sink=self.cache, settings=settings)
        self.task = asyncio.create_task(self.watcher.run())

    async def until(self, count: int) -> None:
        while len(self.arrivals) < count:  # noqa: ASYNC110 (polling a counter the pipeline bumps)
            await asyncio.sleep(0.005)

    async def close(self) -> None:
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)
        self.queue.shutdown()


async def watch_throughput(*, replayed: int, live: int) -> tuple[float, float, float]:
    async with KubeAPI(history=4 * (replayed + live)) as api:
        pods = api.cluster.type_of(("", "pods"))

        def create(
            index: int,
        ) -> None:  # straight into the emulator's store: its HTTP writes are the slow part
            api.cluster.create(pods, "default", _creatable(index), manager="bench")

        client = await KubeClient.connect(kubeconfig=str(api.kubeconfig_path))
        pipeline = _Pipeline(client)
        try:
            await pipeline.watcher.synced.wait()
            held = api.faults.fail(503, verb="watch")
            api.faults.close_watches()
            for index in range(replayed):
                create(index)
            api.faults.remove(held)
            await pipeline.until(replayed)
            replay_rate = (replayed - 1) / (pipeline.arrivals[-1] - pipeline.arrivals[0])
            assert pipeline.watcher.lists == 1, "the held-off watch must resume, not relist"
            started = time.perf_counter()
            for index in range(replayed, replayed + live):
                create(index)
                if index % 20 == 0:
                    await asyncio.sleep(0)  # let the stream flow while writing
            await pipeline.until(replayed + live)
            live_rate = live / (pipeline.arrivals[-1] - started)
            raw_rate = await _raw_stream(client, replayed)
        finally:
            await pipeline.close()
            await client.close()
    return replay_rate, live_rate, raw_rate


async def _raw_stream(client: KubeClient, count: int) -> float:
    """The same history read as bare lines: the ceiling the emulator and HTTP set for the pipeline."""
    query = {"watch": True, "resourceVersion": "1", "timeoutSeconds": 60}
    started = time.perf_counter()
    async with client.stream(PODS.path(), query=query, total_timeout=60) as response:
        for _ in range(count):
            await response.content.readline()
    return count / (time.perf_counter() - started)


def decode_to_queue(count: int) -> float:
    """The controller's own share of an event: JSON decoding, trim, index, key mapping, queue add."""
    lines = [json.dumps({"type": "ADDED", "object": pod(i)}).encode() for i in range(count)]
    cache = Cache()
    cache.add(Store(resource=PODS, trim=TRIM_POD, indexes={"actor": label_index("asya.sh/actor")}))
    queue: WorkQueue[str] = WorkQueue()
    mapper = label_keys("asya.sh/actor")
    cache.subscribe(lambda change: [queue.add(key) for key in mapper(change, cache)])
    started = time.perf_counter()
    for line in lines:
        cache.upsert(PODS, json.loads(line)["object"])
    elapsed = time.perf_counter() - started
    queue.shutdown()
    return count / elapsed


async def run() -> list[Figure]:
    logs.configure(format="console", level="error")  # the held-off watch's refusals are expected
    replay_rate, live_rate, raw_rate = await watch_throughput(replayed=3_000, live=2_000)
    figures = [
        Figure("watch→cache→queue, replayed stream", replay_rate, "events/s"),
        Figure("watch→cache→queue, live writes", live_rate, "events/s"),
        Figure("same stream read as bare lines", raw_rate, "events/s"),
        Figure("decode→cache→queue, no HTTP", await _in_loop(decode_to_queue, 5_000), "events/s"),
        Figure("queue add→get→done cycles", await queue_cycles(50_000), "ops/s"),
        Figure("queue debounced adds (1 000 keys)", await debounced_adds(200_000, 1_000), "ops/s"),
        Figure("cache memory, trimmed pods", store_bytes(10_000, trim=True) / 10 / 1024, "KiB/1000"),
        Figure("cache memory, untrimmed pods", store_bytes(2_000, trim=False) / 2 / 1024, "KiB/1000"),
    ]
    return figures


if __name__ == "__main__":
    for figure in asyncio.run(run()):
        print(figure)
