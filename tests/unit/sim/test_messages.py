"""Messages worded exactly as the scheduler and the kubelet word them."""

from __future__ import annotations

from tests.kubeapi.sim import messages


def test_fit_error_counts_reasons_per_node_sorted_with_the_preemption_tail() -> None:
    text = messages.fit_error(3, {"Insufficient cpu": 3}, {messages.NO_VICTIMS: 3})
    assert text == (
        "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: "
        "3 No preemption victims found for incoming pod."
    )


def test_fit_error_sorts_reason_strings() -> None:
    text = messages.fit_error(3, {"Insufficient cpu": 2, "Insufficient memory": 1})
    assert text == "0/3 nodes are available: 1 Insufficient memory, 2 Insufficient cpu."


def test_crash_loop_wording_names_the_container_and_the_pod() -> None:
    pod = messages.pod_full_name("web-7d9c-x2", "prod", "u-1")
    assert (
        messages.back_off_restarting("app", pod)
        == "Back-off restarting failed container app in pod web-7d9c-x2_prod(u-1)"
    )
    assert messages.crash_loop_waiting("40s", "app", pod) == (
        "back-off 40s restarting failed container=app pod=web-7d9c-x2_prod(u-1)"
    )


def test_mount_failure_wording() -> None:
    text = messages.mount_failed("config", messages.not_found("configmap", "settings"))
    assert text == 'MountVolume.SetUp failed for volume "config" : configmap "settings" not found'


def test_container_lifecycle_wording() -> None:
    assert messages.created("app") == "Created container: app"
    assert messages.started("app") == "Started container app"
    assert messages.pulled("nginx:1", 1.25, 100) == (
        'Successfully pulled image "nginx:1" in 1.25s (1.25s including waiting). Image size: 100 bytes.'
    )
    assert messages.missing_env_key("K", "ConfigMap", "ns", "c") == "couldn't find key K in ConfigMap ns/c"
