"""Ownership of the RabbitMQ queue that same-named actors in several namespaces would share."""

from __future__ import annotations

from controller.actor.claims import owned_elsewhere_message, queue_owner
from controller.kube.resources import Obj


def actor(namespace: str, *, created: str, transport: str = "rabbitmq") -> Obj:
    return {
        "metadata": {"name": "twin", "namespace": namespace, "creationTimestamp": created},
        "spec": {"transport": transport},
    }


def test_the_actor_created_first_owns_the_queue() -> None:
    actors = [actor("a", created="2026-11-27T10:00:05Z"), actor("b", created="2026-11-27T10:00:01Z")]
    assert queue_owner(actors, transport="rabbitmq") == "b"


def test_actors_created_in_the_same_second_are_ordered_by_namespace() -> None:
    actors = [actor("b", created="2026-11-27T10:00:00Z"), actor("a", created="2026-11-27T10:00:00Z")]
    assert queue_owner(actors, transport="rabbitmq") == "a"


def test_actors_on_another_transport_do_not_count() -> None:
    actors = [
        actor("a", created="2026-11-27T10:00:00Z", transport="other"),
        actor("b", created="2026-11-27T11:00:00Z"),
    ]
    assert queue_owner(actors, transport="rabbitmq") == "b"
    assert queue_owner(actors[:1], transport="rabbitmq") is None


def test_the_message_names_the_owner_and_what_to_change() -> None:
    message = owned_elsewhere_message(queue="asya-twin", transport="rabbitmq", owner="a", name="twin")
    assert "namespace 'a'" in message
    assert "rename this actor" in message
