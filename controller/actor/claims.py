"""Which actor owns a RabbitMQ queue that actors of one name in several namespaces would share.

RabbitMQ names an actor's queue ``asya-<name>`` in the transport's virtual host, whatever the namespace: the
name is what the Asya sidecar and gateway publish to (routing key ``<name>``). Two namespaces with an actor of
the same name on the same transport would share one queue: each team's pods would take the other's messages,
and deleting either actor would delete the other's queue. SQS queues carry their namespace in a tag and a
queue of another namespace is refused; a RabbitMQ queue cannot carry such a mark without new arguments (which
would make every existing queue a mismatch), so the controller decides from the actors it sees: the actor
created first (then the namespace that sorts first) owns the queue. The others get TransportError
``QueueOwnedByOtherNamespace``, no workload and no queue operation; when the owner is deleted (its queue with
it), the next in line takes over with a fresh queue.

Limits: only the namespaces the controller watches count, and two transports of different names that point
at one broker and virtual host are taken as different.
"""

from __future__ import annotations

from collections.abc import Iterable

from controller.kube.resources import Obj


def transport_of(obj: Obj | None) -> object:
    """The actor's ``spec.transport``; ``None`` when it has none (or there is no actor)."""
    spec = obj.get("spec") if obj is not None else None
    return spec.get("transport") if isinstance(spec, dict) else None


def _order(obj: Obj) -> tuple[str, str]:
    meta = obj.get("metadata") or {}
    created = meta.get("creationTimestamp")
    namespace = meta.get("namespace")
    return (
        created if isinstance(created, str) else "",
        namespace if isinstance(namespace, str) else "",
    )


def queue_owner(actors: Iterable[Obj], *, transport: str) -> str | None:
    """The namespace of the actor that owns the queue, among ``actors`` (all of one name) on ``transport``;
    ``None`` when none of them uses that transport."""
    candidates = [obj for obj in actors if transport_of(obj) == transport]
    if not candidates:
        return None
    return min(candidates, key=_order)["metadata"]["namespace"]  # type: ignore[no-any-return]


def owned_elsewhere_message(*, queue: str, transport: str, owner: str, name: str) -> str:
    return (
        f"queue {queue} of transport {transport!r} belongs to the actor {name} in namespace {owner!r}, "
        "created first: RabbitMQ names queues by actor name alone, so rename this actor or give it "
        "a transport with another virtual host"
    )
