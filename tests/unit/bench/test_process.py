"""Reading the controller's Prometheus metrics, and a process's resident set and CPU time."""

from __future__ import annotations

import os

from tests.bench.rig.process import metric_sum, parse_metrics
from tests.bench.rig.procfs import cpu_seconds, rss_mib

TEXT = """\
# HELP controller_runtime_reconcile_total Reconciles by result.
# TYPE controller_runtime_reconcile_total counter
controller_runtime_reconcile_total{controller="asyncactor",result="success"} 12.0
controller_runtime_reconcile_total{controller="asyncactor",result="error"} 3.0
controller_runtime_reconcile_created{controller="asyncactor",result="success"} 1.7e+09
rest_client_requests_total{code="500",host="127.0.0.1:1",method="GET"} 2.0
rest_client_requests_total{code="200",host="127.0.0.1:1",method="GET"} 40.0
workqueue_depth{controller="asyncactor",name="asyncactor"} 0.0
"""


def test_samples_are_read_by_name_and_labels() -> None:
    samples = parse_metrics(TEXT)

    assert samples['workqueue_depth{controller="asyncactor",name="asyncactor"}'] == 0.0
    assert len(samples) == 6


def test_sums_match_the_whole_name_and_every_label_given() -> None:
    samples = parse_metrics(TEXT)

    assert metric_sum(samples, "controller_runtime_reconcile_total") == 15.0
    assert metric_sum(samples, "controller_runtime_reconcile_total", result="error") == 3.0
    assert metric_sum(samples, "rest_client_requests_total", code="500", method="GET") == 2.0
    assert metric_sum(samples, "rest_client_requests_total", code="429") == 0.0


def test_resident_set_and_cpu_time_of_a_live_process_and_of_none() -> None:
    assert rss_mib() > 1
    assert rss_mib(os.getpid()) > 1
    assert cpu_seconds() > 0
    assert (rss_mib(2**22 + 1), cpu_seconds(2**22 + 1)) == (0.0, 0.0)  # above the kernel's pid limit
