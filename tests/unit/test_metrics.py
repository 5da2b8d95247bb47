"""Metrics names and labels, health checks, and the HTTP server that serves them."""

from __future__ import annotations

import aiohttp
import pytest

from controller.kube.queue import QueueSettings, WorkQueue
from controller.metrics import Health, HttpServer, Metrics, parse_bind, run_checks


def test_reconcile_results_are_exposed_at_zero_before_any_reconcile() -> None:
    text = Metrics(controller="asyncactor").exposition().decode()
    for result in ("success", "error", "requeue", "requeue_after"):
        assert f'controller_runtime_reconcile_total{{controller="asyncactor",result="{result}"}} 0.0' in text
    assert 'controller_runtime_reconcile_errors_total{controller="asyncactor"} 0.0' in text
    assert 'controller_runtime_active_workers{controller="asyncactor"} 0.0' in text


def test_two_metrics_objects_do_not_collide() -> None:
    first, second = Metrics(controller="a"), Metrics(controller="a")
    first.reconcile_errors.labels(controller="a").inc()
    assert b'controller_runtime_reconcile_errors_total{controller="a"} 0.0' in second.exposition()


async def test_the_queue_reports_workqueue_series_under_its_name() -> None:
    metrics = Metrics(controller="asyncactor")
    queue: WorkQueue[str] = WorkQueue(
        name="asyncactor", settings=QueueSettings(debounce=0.0), metrics=metrics.workqueue("asyncactor")
    )
    queue.add("a")
    queue.add("b")
    key = await queue.get()
    queue.add_rate_limited("c")
    text = metrics.exposition().decode()
    labels = '{controller="asyncactor",name="asyncactor"}'
    assert f"workqueue_adds_total{labels} 2.0" in text
    assert f"workqueue_depth{labels} 1.0" in text
    assert f"workqueue_retries_total{labels} 1.0" in text
    assert f"workqueue_queue_duration_seconds_count{labels} 1.0" in text
    assert f"workqueue_longest_running_processor_seconds{labels}" in text
    queue.done(key)
    assert f"workqueue_work_duration_seconds_count{labels} 1.0" in metrics.exposition().decode()


def test_a_label_set_is_one_child_until_it_is_removed() -> None:
    metrics = Metrics(controller="c")
    child = metrics.applies.labels(controller="c", resource="pods", result="done")
    child.inc()
    assert metrics.applies.labels(controller="c", resource="pods", result="done") is child
    metrics.applies.labels(controller="c", resource="pods", result="done").inc()
    assert 'controller_applies_total{controller="c",resource="pods",result="done"} 2.0' in (
        metrics.exposition().decode()
    )
    metrics.applies.remove("c", "pods", "done")
    metrics.applies.labels(controller="c", resource="pods", result="done").inc()
    assert 'controller_applies_total{controller="c",resource="pods",result="done"} 1.0' in (
        metrics.exposition().decode()
    )


def test_run_checks_lists_each_check_and_fails_on_any_problem() -> None:
    def broken() -> str | None:
        raise RuntimeError("boom")

    assert run_checks({"a": lambda: None}) == (True, "[+]a ok\nhealthz check passed\n")
    ok, body = run_checks({"a": lambda: None, "b": lambda: "stuck", "c": broken})
    assert not ok
    assert "[-]b failed: stuck" in body
    assert "[-]c failed: check raised RuntimeError: boom" in body
    assert run_checks({"a": lambda: "x"}, only="a")[0] is False
    assert run_checks({"a": lambda: "x"}, only="missing")[0] is False


@pytest.mark.parametrize(
    ("address", "parsed"),
    [(":8080", ("0.0.0.0", 8080)), ("127.0.0.1:0", ("127.0.0.1", 0)), ("[::1]:9", ("::1", 9)), ("0", None),
     ("", None), (None, None)],
)  # fmt: skip
def test_parse_bind(address: str | None, parsed: tuple[str, int] | None) -> None:
    assert parse_bind(address) == parsed


def test_parse_bind_refuses_an_address_without_port() -> None:
    with pytest.raises(ValueError, match="host:port"):
        parse_bind("localhost")


async def test_the_server_serves_metrics_and_probes_on_their_addresses() -> None:
    metrics, health = Metrics(controller="asyncactor"), Health()
    stuck: list[str] = []
    health.add_liveness("workers", lambda: stuck[0] if stuck else None)
    health.add_readiness("caches", lambda: "not synced")
    server = HttpServer(metrics=metrics, health=health)
    await server.start(metrics_bind="127.0.0.1:0", probes_bind="127.0.0.1:0")
    try:
        metrics_port, probes_port = server.addresses["metrics"][1], server.addresses["probes"][1]
        assert metrics_port != probes_port
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{metrics_port}/metrics") as resp:
                assert resp.status == 200
                assert "controller_runtime_reconcile_total" in await resp.text()
            async with http.get(f"http://127.0.0.1:{metrics_port}/healthz") as resp:
                assert resp.status == 404
            async with http.get(f"http://127.0.0.1:{probes_port}/healthz") as resp:
                assert resp.status == 200
            stuck.append("worker stuck for 700s")
            async with http.get(f"http://127.0.0.1:{probes_port}/healthz") as resp:
                assert resp.status == 500
                assert "worker stuck for 700s" in await resp.text()
            async with http.get(f"http://127.0.0.1:{probes_port}/readyz/caches") as resp:
                assert resp.status == 500
    finally:
        await server.stop()


async def test_a_disabled_address_serves_nothing() -> None:
    server = HttpServer(metrics=Metrics(controller="x"), health=Health())
    await server.start(metrics_bind="0", probes_bind="127.0.0.1:0")
    try:
        assert set(server.addresses) == {"probes"}
    finally:
        await server.stop()
