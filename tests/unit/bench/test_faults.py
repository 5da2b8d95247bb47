"""What the fault-recovery figure expects, and how it tells what went wrong."""

from __future__ import annotations

from controller.kube.resources import Obj
from tests.bench.rig.faults import Plan, expectations, problems, settled

PLAN = Plan(create=("new",), delete=("gone",), scale=("big",), keep=("same",))


def actor(name: str, *, status: str = "Running", replicas: int = 1, generation: int = 1) -> Obj:
    return {
        "metadata": {"name": name, "generation": generation},
        "status": {
            "status": status,
            "observedGeneration": generation,
            "replicas": replicas,
            "desiredReplicas": replicas,
        },
    }


def deployment(name: str, replicas: int = 1) -> Obj:
    return {"metadata": {"name": name}, "spec": {"replicas": replicas}}


def test_expectations_give_each_actor_its_replicas_or_none_when_deleted() -> None:
    assert expectations(PLAN) == {"same": 1, "new": 1, "big": 2, "gone": None}


def test_settled_means_running_with_every_replica_or_gone() -> None:
    assert settled(2)(actor("big", replicas=2))
    assert not settled(2)(actor("big", replicas=1))
    assert not settled(1)(actor("same", status="ScalingUp"))
    assert not settled(1)(None)
    assert settled(None)(None)
    assert not settled(None)(actor("gone"))


def test_nothing_is_wrong_when_everything_is_as_expected() -> None:
    assert (
        problems(
            expectations(PLAN),
            actors=[actor("same"), actor("new"), actor("big", replicas=2)],
            deployments=[deployment("same"), deployment("new"), deployment("big", 2)],
            queues={"asya-same", "asya-new", "asya-big"},
        )
        == []
    )


def test_lost_wrong_and_left_behind_objects_are_each_named() -> None:
    wrong = problems(
        expectations(PLAN),
        actors=[actor("same", status="ScalingUp"), actor("big", replicas=2), actor("gone")],
        deployments=[deployment("same"), deployment("big", 1), deployment("gone")],
        queues={"asya-same", "asya-big", "asya-gone"},
    )

    assert wrong == [
        "Deployment big missing or not at 2 replicas",
        "actor gone left behind",
        "Deployment gone left behind",
        "queue asya-gone left behind",
        "actor new lost",
        "actor same shows ScalingUp 1/1",
    ]
