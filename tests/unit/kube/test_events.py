"""Event aggregation: which occurrence is written, which waits, which is dropped (pure bookkeeping)."""

from __future__ import annotations

from controller.kube.events import Aggregator, EventSettings, micro_time, reference

POD = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "ns", "uid": "u1"}}
REF = reference(POD)


def test_reference_names_the_object_without_empty_fields() -> None:
    assert REF == {"apiVersion": "v1", "kind": "Pod", "name": "p", "namespace": "ns", "uid": "u1"}
    assert reference({"kind": "Node", "metadata": {"name": "n"}}) == {"kind": "Node", "name": "n"}


def test_micro_time_is_rfc3339_utc() -> None:
    assert micro_time(0.0) == "1970-01-01T00:00:00Z"


def test_the_first_occurrence_is_written_and_repeats_wait_for_the_update_interval() -> None:
    agg = Aggregator(EventSettings(update_interval=30.0))
    decision, series = agg.observe(REF, type="Warning", reason="Crash", message="m", now=0.0)
    assert decision == "write"
    assert series is not None
    series.written_at, series.written_count = 0.0, 1
    for now in (1.0, 2.0, 3.0):
        assert agg.observe(REF, type="Warning", reason="Crash", message="m", now=now)[0] == "wait"
    assert series.count == 4
    assert agg.observe(REF, type="Warning", reason="Crash", message="m", now=31.0)[0] == "write"
    assert series.count == 5
    assert series.last == 31.0


def test_a_repeat_while_a_write_is_pending_only_counts() -> None:
    agg = Aggregator(EventSettings(update_interval=0.0))
    _, series = agg.observe(REF, type="Normal", reason="R", message="m", now=0.0)
    assert series is not None
    series.pending = True
    assert agg.observe(REF, type="Normal", reason="R", message="m", now=1.0)[0] == "wait"
    assert series.count == 2


def test_another_message_or_reason_is_another_series() -> None:
    agg = Aggregator(EventSettings())
    _, first = agg.observe(REF, type="Warning", reason="R", message="a", now=0.0)
    _, second = agg.observe(REF, type="Warning", reason="R", message="b", now=0.0)
    _, third = agg.observe(REF, type="Warning", reason="S", message="a", now=0.0)
    assert first is not second
    assert second is not third
    assert len(agg.series) == 3


def test_a_repeat_after_the_window_starts_a_new_series() -> None:
    agg = Aggregator(EventSettings(series_window=600.0))
    _, first = agg.observe(REF, type="Normal", reason="R", message="m", now=0.0)
    decision, second = agg.observe(REF, type="Normal", reason="R", message="m", now=601.0)
    assert decision == "write"
    assert second is not first
    assert second is not None
    assert second.count == 1


def test_new_series_beyond_the_per_object_allowance_are_dropped_until_it_refills() -> None:
    agg = Aggregator(EventSettings(burst=3, refill=300.0))
    decisions = [agg.observe(REF, type="Warning", reason="R", message=str(i), now=0.0)[0] for i in range(5)]
    assert decisions == ["write", "write", "write", "drop", "drop"]
    other = {**REF, "uid": "u2", "name": "q"}
    assert agg.observe(other, type="Warning", reason="R", message="x", now=0.0)[0] == "write"
    assert agg.observe(REF, type="Warning", reason="R", message="late", now=300.0)[0] == "write"
    assert agg.observe(REF, type="Warning", reason="R", message="later", now=300.0)[0] == "drop"


def test_old_series_are_forgotten() -> None:
    agg = Aggregator(EventSettings(series_window=10.0))
    agg.observe(REF, type="Normal", reason="R", message="m", now=0.0)
    agg.forget_old(5.0)
    assert len(agg.series) == 1
    agg.forget_old(11.0)
    assert agg.series == {}
