"""Leader election timing rules, as pure functions (the elector itself runs against the emulator)."""

from __future__ import annotations

import pytest

from controller.kube.leader import LeaderSettings, default_identity, may_acquire, next_spec


def test_defaults_are_client_go_core_defaults() -> None:
    s = LeaderSettings(name="l", namespace="ns")
    assert (s.lease_duration, s.renew_deadline, s.retry_period) == (15.0, 10.0, 2.0)


@pytest.mark.parametrize(("lease", "renew", "retry"), [(10, 10, 2), (15, 10, 9), (15, 2, 2), (5, 4, 0)])
def test_settings_refuse_inconsistent_durations(lease: float, renew: float, retry: float) -> None:
    with pytest.raises(ValueError, match="lease_duration > renew_deadline"):
        LeaderSettings(
            name="l", namespace="ns", lease_duration=lease, renew_deadline=renew, retry_period=retry
        )


def test_identities_are_unique_per_process_call() -> None:
    assert default_identity() != default_identity()


def test_a_missing_or_released_lease_may_be_taken_at_once() -> None:
    assert may_acquire(None, identity="me", observed_at=0, now=0, default_duration=15)
    released = {"holderIdentity": None, "leaseDurationSeconds": 1}
    assert may_acquire(released, identity="me", observed_at=100, now=100, default_duration=15)


def test_a_held_lease_is_taken_only_after_it_went_unchanged_for_its_duration_on_our_clock() -> None:
    spec = {"holderIdentity": "other", "leaseDurationSeconds": 15, "renewTime": "1999-01-01T00:00:00.000000Z"}
    assert not may_acquire(spec, identity="me", observed_at=100, now=114.9, default_duration=15)
    assert may_acquire(spec, identity="me", observed_at=100, now=115, default_duration=15)


def test_our_own_lease_is_always_ours_to_renew() -> None:
    spec = {"holderIdentity": "me", "leaseDurationSeconds": 15}
    assert may_acquire(spec, identity="me", observed_at=100, now=100, default_duration=15)


def test_a_lease_without_duration_uses_ours() -> None:
    spec = {"holderIdentity": "other"}
    assert not may_acquire(spec, identity="me", observed_at=0, now=9, default_duration=10)
    assert may_acquire(spec, identity="me", observed_at=0, now=10, default_duration=10)


def test_next_spec_counts_a_change_of_holder_and_keeps_acquire_time_on_renewal() -> None:
    first = next_spec(None, identity="a", lease_duration=15, stamp="t1")
    assert first == {
        "holderIdentity": "a",
        "leaseDurationSeconds": 15,
        "renewTime": "t1",
        "acquireTime": "t1",
        "leaseTransitions": 0,
    }
    renewed = next_spec(first, identity="a", lease_duration=15, stamp="t2")
    assert (renewed["acquireTime"], renewed["renewTime"], renewed["leaseTransitions"]) == ("t1", "t2", 0)
    taken = next_spec(renewed, identity="b", lease_duration=15, stamp="t3")
    assert (taken["holderIdentity"], taken["acquireTime"], taken["leaseTransitions"]) == ("b", "t3", 1)
    after_release = next_spec({**taken, "holderIdentity": None}, identity="c", lease_duration=15, stamp="t4")
    assert after_release["leaseTransitions"] == 2
