"""When an actor's queue is checked again (the broker is not asked on every reconcile)."""

from __future__ import annotations

from controller.actor.observed import TransportOutcome
from controller.actor.queues import QueueChecks

READY = TransportOutcome.ready(queued=3, processing=1)
DOWN = TransportOutcome.failed(reason="BrokerUnavailable", message="no broker")


def test_a_never_checked_actor_is_due() -> None:
    assert QueueChecks(interval=300).last("ns/a", ("t", "uid"), now=0.0) is None


def test_a_ready_outcome_is_reused_until_the_health_check_interval() -> None:
    checks = QueueChecks(interval=300)
    checks.record("ns/a", ("t", "uid"), READY, now=100.0)
    assert checks.last("ns/a", ("t", "uid"), now=399.0) == READY
    assert checks.last("ns/a", ("t", "uid"), now=400.0) is None
    assert checks.next_at("ns/a") == 400.0


def test_a_changed_fingerprint_makes_a_check_due() -> None:
    checks = QueueChecks(interval=300)
    checks.record("ns/a", ("rabbit", "uid", 300), READY, now=0.0)
    assert checks.last("ns/a", ("sqs", "uid", 300), now=1.0) is None


def test_failures_back_off_exponentially_up_to_the_interval() -> None:
    checks = QueueChecks(interval=60)
    delays = []
    now = 0.0
    for _ in range(6):
        checks.record("ns/a", "fp", DOWN, now=now)
        next_at = checks.next_at("ns/a")
        assert next_at is not None
        delays.append(next_at - now)
        now = next_at
    assert delays == [5.0, 10.0, 20.0, 40.0, 60.0, 60.0]


def test_the_transports_retry_after_wins() -> None:
    checks = QueueChecks(interval=300)
    checks.record("ns/a", "fp", DOWN, now=10.0, retry_after=65.0)
    assert checks.last("ns/a", "fp", now=74.0) == DOWN
    assert checks.last("ns/a", "fp", now=75.0) is None


def test_success_resets_the_backoff() -> None:
    checks = QueueChecks(interval=300)
    for now in (0.0, 5.0, 15.0):
        checks.record("ns/a", "fp", DOWN, now=now)
    checks.record("ns/a", "fp", READY, now=20.0)
    checks.record("ns/a", "fp", DOWN, now=30.0)
    assert checks.next_at("ns/a") == 35.0


def test_forget_drops_the_memory() -> None:
    checks = QueueChecks(interval=300)
    checks.record("ns/a", "fp", READY, now=0.0)
    checks.forget("ns/a")
    assert checks.next_at("ns/a") is None
