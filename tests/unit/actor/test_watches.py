"""Which actors a change concerns (the key mappers of the watches)."""

from __future__ import annotations

from controller.actor import resources as r
from controller.actor.watches import watches
from controller.api import constants as c
from controller.kube.cache import Cache, Change, Store
from controller.kube.resources import Obj


def actor(*, rv: str, finalizers: list[str] | None = None, **fields: object) -> Obj:
    meta: dict[str, object] = {"name": "a", "namespace": "ns", "resourceVersion": rv, "generation": 1}
    if finalizers is not None:
        meta["finalizers"] = finalizers
    return {"metadata": meta, "spec": {"transport": "rabbitmq"}, **fields}


def actor_keys(old: Obj | None, new: Obj | None, *, others: tuple[Obj, ...] = ()) -> list[str]:
    """The keys the actors watch maps a change of ``ns/a`` to, with ``others`` in the cache."""
    watch = next(w for w in watches() if w.resource == r.ASYNC_ACTORS)
    assert watch.keys is not None
    cache = Cache()
    store = cache.add(Store(resource=r.ASYNC_ACTORS, trim=watch.trim, indexes=watch.indexes))
    for other in others:
        store.upsert(other)
    kind = "ADDED" if old is None else "DELETED" if new is None else "MODIFIED"
    return list(watch.keys(Change(kind, r.ASYNC_ACTORS, "ns/a", old, new), cache))


def test_a_new_or_deleted_actor_concerns_itself() -> None:
    assert actor_keys(None, actor(rv="1")) == ["ns/a"]
    assert actor_keys(actor(rv="1"), None) == ["ns/a"]


def test_the_echo_of_adding_the_finalizer_concerns_nobody() -> None:
    assert actor_keys(actor(rv="1"), actor(rv="2", finalizers=[c.FINALIZER])) == []
    assert actor_keys(actor(rv="1", finalizers=["x"]), actor(rv="2", finalizers=["x", c.FINALIZER])) == []


def test_a_change_besides_the_finalizer_concerns_the_actor() -> None:
    new = actor(rv="2", finalizers=[c.FINALIZER], status={"status": "Running"})
    assert actor_keys(actor(rv="1"), new) == ["ns/a"]
    assert actor_keys(actor(rv="1", finalizers=[c.FINALIZER]), actor(rv="2")) == ["ns/a"]  # removed
    assert actor_keys(actor(rv="1"), {**actor(rv="2"), "spec": {"transport": "sqs"}}) == ["ns/a"]


def test_a_new_deleted_or_moved_actor_concerns_the_same_named_actors_elsewhere() -> None:
    """They may gain or lose the RabbitMQ queue they would share (controller.actor.claims)."""
    twin = {**actor(rv="5"), "metadata": {"name": "a", "namespace": "other", "resourceVersion": "5"}}
    assert actor_keys(None, actor(rv="1"), others=(twin,)) == ["ns/a", "other/a"]
    assert actor_keys(actor(rv="1"), None, others=(twin,)) == ["ns/a", "other/a"]
    moved = {**actor(rv="2"), "spec": {"transport": "sqs"}}
    assert actor_keys(actor(rv="1"), moved, others=(twin,)) == ["ns/a", "other/a"]
    status = actor(rv="2", status={"status": "Running"})
    assert actor_keys(actor(rv="1"), status, others=(twin,)) == ["ns/a"]
