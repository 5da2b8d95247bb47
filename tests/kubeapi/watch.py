"""Watch streams (``?watch=1|true|True``): newline-delimited JSON events over a chunked 200 response.

- ``resourceVersion`` unset or ``"0"``: one synthetic ADDED per existing object, then live events.
  A given version: exactly the events after it, from the resource's history; a version older than the history
  → the stream's only event is ``ERROR`` with a 410 ``Expired`` Status "too old resource version: X (Y)"
  (Y is the newest version the history no longer covers), as the watch cache answers. A version newer than the
  current one waits up to 3 s for it, then ends with a 504 ``Timeout`` ERROR ("Too large resource version").
- ``labelSelector``/``fieldSelector`` filter like the watch cache: an object that stops matching arrives as
  DELETED, one that starts matching as ADDED; a DELETED event is matched against the last state before it.
- ``allowWatchBookmarks``: BOOKMARK events (``{kind, apiVersion, metadata: {resourceVersion}}``, the current
  global version, sent only when every earlier event has been written) every ``bookmark_interval`` seconds
  (60 by default, like the API server's bookmark frequency) and once about 2 s before the stream's deadline.
- ``sendInitialEvents=true`` (with ``resourceVersionMatch=NotOlderThan`` and bookmarks): the initial ADDED
  events end with a BOOKMARK annotated ``k8s.io/initial-events-end: "true"``.
- ``timeoutSeconds`` ends the stream cleanly; without it the server picks 30 to 60 min, as the real one does.
- Each event is serialised once for all watchers that receive it unchanged.
- ``Accept: ...;as=Table``: each event's object goes through ``seams.render_table`` (one row per event).

Simplification: bookmark objects carry only kind, apiVersion and metadata.resourceVersion (a real server's
built-in types also carry their zero-valued fields).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from aiohttp import web

from tests.kubeapi import errors, seams
from tests.kubeapi.faults import WatchPlan
from tests.kubeapi.listing import sort_key
from tests.kubeapi.resources import ResourceType
from tests.kubeapi.selectors import Matcher
from tests.kubeapi.store import Event, dumps

if TYPE_CHECKING:
    from tests.kubeapi.server import KubeAPI

TOO_LARGE_WAIT = 3.0


def parse_bool(value: str | None) -> bool:
    return value in ("1", "t", "T", "true", "TRUE", "True")


class WatchStream:
    """One open watch: events queued by the store, drained by the handler."""

    def __init__(
        self,
        rt: ResourceType,
        namespace: str | None,
        match: Matcher | None,
        *,
        present: Callable[[dict[str, Any]], dict[str, Any]],
        table: Callable[[dict[str, Any]], dict[str, Any] | None] | None = None,
    ) -> None:
        self.rt = rt
        self.namespace = namespace
        self.match = match
        self.present = present
        self.table = table
        self.queue: deque[Event] = deque()
        self.wake = asyncio.Event()
        self.closing = False

    def push(self, event: Event) -> None:
        self.queue.append(event)
        self.wake.set()

    def close(self) -> None:
        self.closing = True
        self.wake.set()

    def event_type(self, event: Event) -> str | None:
        """The type this watcher sees ``event`` as (selector transitions included), or None."""
        obj = event.obj
        if self.namespace is not None and obj["metadata"].get("namespace") != self.namespace:
            return None
        match = self.match
        if match is None:
            return event.type
        if event.type == "ADDED":
            return "ADDED" if match(obj) else None
        if event.type == "DELETED":
            return "DELETED" if match(event.prev or obj) else None
        before = event.prev is not None and match(event.prev)
        if match(obj):
            return "MODIFIED" if before else "ADDED"
        return "DELETED" if before else None

    def line(self, event: Event) -> bytes | None:
        """The line this watcher sends for ``event``, or None when the event is not for it."""
        event_type = self.event_type(event)
        if event_type is None:
            return None
        if self.table is None:
            return event.line(event_type, self.rt.api_version, self.rt.convert_out)
        return self.render(event_type, event.obj)

    def render(self, event_type: str, obj: dict[str, Any]) -> bytes:
        """A line for one object, as a Table when the client asked for one and the seam renders it."""
        shown = self.present(obj)
        if self.table is not None:
            shown = self.table(shown) or shown
        return dumps({"type": event_type, "object": shown}) + b"\n"


def _table_row(rt: ResourceType, include_object: str, obj: dict[str, Any]) -> dict[str, Any] | None:
    return seams.render_table(rt=rt, objects=[obj], list_meta=None, include_object=include_object)


def _error_line(error: errors.StatusError) -> bytes:
    return dumps({"type": "ERROR", "object": error.body()}) + b"\n"


def _bookmark(rt: ResourceType, rv: int, *, initial_end: bool = False) -> bytes:
    meta: dict[str, Any] = {"resourceVersion": str(rv)}
    if initial_end:
        meta["annotations"] = {"k8s.io/initial-events-end": "true"}
    return (
        dumps(
            {"type": "BOOKMARK", "object": {"kind": rt.kind, "apiVersion": rt.api_version, "metadata": meta}}
        )
        + b"\n"
    )


async def serve_watch(
    request: web.BaseRequest,
    api: KubeAPI,
    *,
    rt: ResourceType,
    namespace: str | None,
    plan: WatchPlan,
    on_start: Callable[[int], None],
) -> web.StreamResponse:
    query = request.query
    cluster = api.cluster
    rv_text = query.get("resourceVersion", "")
    rv_match = query.get("resourceVersionMatch")
    bookmarks = parse_bool(query.get("allowWatchBookmarks"))
    initial_events = parse_bool(query.get("sendInitialEvents"))
    if rv_match and not (initial_events and rv_match == "NotOlderThan"):
        raise errors.invalid(
            "ListOptions",
            "meta.k8s.io",
            "",
            [
                (
                    "resourceVersionMatch",
                    "FieldValueForbidden",
                    "Forbidden: resourceVersionMatch is forbidden for watch unless "
                    "sendInitialEvents is provided",
                )
            ],
        )
    if "sendInitialEvents" in query and initial_events and (rv_match != "NotOlderThan" or not bookmarks):
        raise errors.invalid(
            "ListOptions",
            "meta.k8s.io",
            "",
            [
                (
                    "sendInitialEvents",
                    "FieldValueForbidden",
                    "Forbidden: sendInitialEvents requires setting allowWatchBookmarks to true and "
                    "resourceVersionMatch to NotOlderThan",
                )
            ],
        )
    match = cluster.matcher(rt, labels=query.get("labelSelector"), fields=query.get("fieldSelector"))
    try:
        since = int(rv_text) if rv_text not in ("", "0") else None
    except ValueError:
        raise errors.bad_request(f'resourceVersion: Invalid value: "{rv_text}"') from None
    try:
        timeout = float(query.get("timeoutSeconds") or 0)
    except ValueError:
        raise errors.bad_request(f'timeoutSeconds: Invalid value: "{query.get("timeoutSeconds")}"') from None
    if timeout <= 0:  # unset or 0: the server's own, between its minimum request timeout and twice that
        timeout = api.rng.uniform(1800, 3600)
    started = time.monotonic()
    deadline = started + timeout

    table: Callable[[dict[str, Any]], dict[str, Any] | None] | None = None
    if "as=Table" in request.headers.get("Accept", ""):
        table = partial(_table_row, rt, query.get("includeObject", "Metadata"))
    scope = namespace if rt.namespaced and namespace else None
    stream = WatchStream(rt, scope, match, present=partial(cluster.present, rt), table=table)
    response = web.StreamResponse(
        status=200, headers={"Content-Type": "application/json", "Cache-Control": "no-cache, private"}
    )
    response.enable_chunked_encoding()
    await response.prepare(request)
    on_start(200)

    if since is not None and since > cluster.store.rv:
        while cluster.store.rv < since and time.monotonic() - started < TOO_LARGE_WAIT:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        if cluster.store.rv < since:
            await response.write(_error_line(errors.too_large_resource_version(since, cluster.store.rv)))
            await response.write_eof()
            return response

    # No await between reading the state and registering: no event can fall in between.
    pending: list[bytes] = []
    bucket = cluster.store.bucket(rt.key)
    if since is None or initial_events:
        objects = cluster.store.objects(rt.key, stream.namespace)
        for obj in sorted(objects, key=sort_key):
            if match is None or match(obj):
                pending.append(stream.render("ADDED", obj))
        if initial_events:
            pending.append(_bookmark(rt, cluster.store.rv, initial_end=True))
    else:
        history = cluster.store.events_since(rt.key, since)
        if history is None:
            error = errors.expired(f"too old resource version: {since} ({bucket.horizon})")
            await response.write(_error_line(error))
            await response.write_eof()
            return response
        for event in history:
            line = stream.line(event)
            if line is not None:
                pending.append(line)
    bucket.watchers.add(stream)
    api.watches.add(stream)
    try:
        await _pump(response, stream, api, pending=pending, deadline=deadline, plan=plan, bookmarks=bookmarks)
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    finally:
        bucket.watchers.discard(stream)
        api.watches.discard(stream)
    return response


async def _pump(
    response: web.StreamResponse,
    stream: WatchStream,
    api: KubeAPI,
    *,
    pending: list[bytes],
    deadline: float,
    plan: WatchPlan,
    bookmarks: bool,
) -> None:
    rt, store = stream.rt, api.cluster.store
    sent = 0
    stall_at = plan.stall_after_events
    now = time.monotonic()
    cut_at = now + plan.cut_after_seconds if plan.cut_after_seconds is not None else None
    next_bookmark = now + api.bookmark_interval if bookmarks else None
    pre_deadline = deadline - 2.0 if bookmarks and deadline - 2.0 > now else None

    async def send(lines: list[bytes]) -> bool:
        """Write lines, honouring the event-count faults; False when the stream must end."""
        nonlocal sent, stall_at
        if stall_at is None and plan.cut_after_events is None:
            if lines:
                await response.write(b"".join(lines))
                sent += len(lines)
            return True
        for line in lines:
            if stall_at is not None and sent >= stall_at:
                stall_at = None
                await _stall(stream, plan.stall_seconds)
                if stream.closing:
                    return False
            if plan.cut_after_events is not None and sent >= plan.cut_after_events:
                return False
            await response.write(line)
            sent += 1
        return True

    if not await send(pending):
        await response.write_eof()
        return
    while not stream.closing:
        if stall_at is not None and sent >= stall_at:
            stall_at = None
            await _stall(stream, plan.stall_seconds)
            continue
        if stream.queue:
            lines = []
            while stream.queue:
                line = stream.line(stream.queue.popleft())
                if line is not None:
                    lines.append(line)
            if lines and not await send(lines):
                break
            continue
        now = time.monotonic()
        if now >= deadline or (cut_at is not None and now >= cut_at):
            break
        if pre_deadline is not None and now >= pre_deadline:
            pre_deadline = None
            await response.write(_bookmark(rt, store.rv))
            continue
        if next_bookmark is not None and now >= next_bookmark:
            next_bookmark = now + api.bookmark_interval
            await response.write(_bookmark(rt, store.rv))
            continue
        wake_at = min(t for t in (deadline, cut_at, pre_deadline, next_bookmark) if t is not None)
        stream.wake.clear()
        if stream.queue or stream.closing:
            continue
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stream.wake.wait(), timeout=max(wake_at - now, 0.0))
    if stream.closing and stream.queue:  # what was committed before the close still goes out
        await send([line for line in map(stream.line, stream.queue) if line is not None])
    await response.write_eof()


async def _stall(stream: WatchStream, seconds: float | None) -> None:
    """Send nothing for ``seconds`` (forever when None) unless the stream is closed."""
    end = None if seconds is None else time.monotonic() + seconds
    while not stream.closing:
        remaining = None if end is None else end - time.monotonic()
        if remaining is not None and remaining <= 0:
            return
        stream.wake.clear()
        try:
            await asyncio.wait_for(stream.wake.wait(), timeout=remaining)
        except TimeoutError:
            return
