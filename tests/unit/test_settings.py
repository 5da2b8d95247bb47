"""Settings of asya-controller run: flags over environment over defaults, bad values refused by name."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from controller.settings import SettingsError, add_run_arguments, parse_duration, parse_run


def test_defaults_follow_the_contract() -> None:
    settings = parse_run([], {})
    assert settings.metrics_bind == ":8080"
    assert settings.probes_bind == ":8081"
    assert settings.leader_elect is False
    assert settings.max_concurrent_reconciles == 10
    assert settings.namespaces == ()
    assert settings.queue_health_check_interval == 300.0
    assert settings.sidecar_image is None


def test_environment_supplies_what_flags_leave_out() -> None:
    settings = parse_run(
        [],
        {
            "ASYA_MAX_CONCURRENT_RECONCILES": "4",
            "ASYA_WATCH_NAMESPACES": "team-b, team-a",
            "ASYA_SIDECAR_IMAGE": "reg/sidecar:1",
            "ASYA_GATEWAY_URL": "http://gw:8080",
            "ASYA_QUEUE_HEALTH_CHECK_INTERVAL": "90s",
            "POD_NAMESPACE": "asya-system",
            "POD_NAME": "asya-controller-7d9c",
        },
    )
    assert settings.max_concurrent_reconciles == 4
    assert settings.namespaces == ("team-a", "team-b")
    assert settings.sidecar_image == "reg/sidecar:1"
    assert settings.gateway_url == "http://gw:8080"
    assert settings.queue_health_check_interval == 90.0
    assert settings.lease_namespace == "asya-system"
    assert settings.pod_name == "asya-controller-7d9c"


def test_flags_win_over_the_environment() -> None:
    settings = parse_run(
        ["--max-concurrent-reconciles", "2", "--namespace", "x", "--namespace", "y", "--leader-elect"],
        {"ASYA_MAX_CONCURRENT_RECONCILES": "8", "ASYA_WATCH_NAMESPACES": "z"},
    )
    assert settings.max_concurrent_reconciles == 2
    assert settings.namespaces == ("x", "y")
    assert settings.leader_elect is True


@pytest.mark.parametrize(
    ("text", "seconds"), [("5m", 300.0), ("30s", 30.0), ("1h30m", 5400.0), ("90", 90.0), ("2h", 7200.0)]
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text, setting="X") == seconds


@pytest.mark.parametrize("text", ["", "5 minutes", "-1", "0s", "m"])
def test_bad_durations_name_the_setting(text: str) -> None:
    with pytest.raises(SettingsError, match="ASYA_QUEUE_HEALTH_CHECK_INTERVAL"):
        parse_run([], {"ASYA_QUEUE_HEALTH_CHECK_INTERVAL": text})


def test_a_bad_worker_count_names_the_setting() -> None:
    with pytest.raises(SettingsError, match="ASYA_MAX_CONCURRENT_RECONCILES: 'many' is not a whole number"):
        parse_run([], {"ASYA_MAX_CONCURRENT_RECONCILES": "many"})
    with pytest.raises(SettingsError, match="--max-concurrent-reconciles: must be at least 1"):
        parse_run(["--max-concurrent-reconciles", "0"], {})


def test_every_flag_of_run_is_in_the_readme_configuration_table() -> None:
    """A flag added to ``asya-controller run`` without a row in README.md's table fails here."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Configuration", 1)[1].split("### Transports", 1)[0]
    parser = argparse.ArgumentParser()
    add_run_arguments(parser)
    flags = [flag for action in parser._actions for flag in action.option_strings if flag.startswith("--")]
    missing = [flag for flag in flags if flag != "--help" and f"`{flag}" not in table]
    assert missing == []
