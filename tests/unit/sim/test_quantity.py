"""Resource quantities and what the scheduler reserves for a pod."""

from __future__ import annotations

import pytest

from tests.kubeapi.sim.quantity import Resources, parse_quantity, pod_requests


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("100m", 0.1),
        ("2", 2.0),
        ("1.5", 1.5),
        ("512Mi", 512 * 2**20),
        ("1Gi", 2**30),
        ("2G", 2e9),
        ("1e3", 1000.0),
    ],
)
def test_quantities_parse_like_the_api_server(text: str, value: float) -> None:
    assert parse_quantity(text) == pytest.approx(value)


def test_text_that_is_not_a_quantity_is_rejected() -> None:
    with pytest.raises(ValueError, match="quantities must match"):
        parse_quantity("lots")


def test_pod_requests_sum_app_containers_and_respect_the_largest_init_container() -> None:
    spec = {
        "containers": [
            {"name": "a", "resources": {"requests": {"cpu": "250m", "memory": "64Mi"}}},
            {"name": "b", "resources": {"limits": {"cpu": "500m"}}},
        ],
        "initContainers": [{"name": "i", "resources": {"requests": {"memory": "1Gi"}}}],
    }
    assert pod_requests(spec) == Resources(cpu=0.75, memory=float(2**30))


def test_a_pod_without_requests_reserves_nothing() -> None:
    assert pod_requests({"containers": [{"name": "a"}]}) == Resources()
