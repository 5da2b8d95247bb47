"""The controller's settings (contract §8), from command-line flags and the environment, validated at start.

A flag given on the command line wins over its environment variable, which wins over the default. A bad
value stops the process at start with a message naming the setting; nothing is guessed.

The Lease lives in the controller's own namespace: ``POD_NAMESPACE`` (set from the downward API in
``manifests/``), else the service account's namespace file inside a pod, else ``default``.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

LEASE_NAME = "asya-operator.asya.sh"
_IN_CLUSTER_NAMESPACE = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")
_DURATION = re.compile(r"^\s*(?:(?P<h>\d+)h)?\s*(?:(?P<m>\d+)m)?\s*(?:(?P<s>\d+)s)?\s*$")


class SettingsError(ValueError):
    """A setting has a value the controller cannot run with; the message names it."""


@dataclass(frozen=True, kw_only=True)
class Settings:
    metrics_bind: str = ":8080"
    probes_bind: str = ":8081"
    leader_elect: bool = False
    lease_namespace: str = "default"
    pod_name: str = ""
    max_concurrent_reconciles: int = 10
    namespaces: tuple[str, ...] = ()
    sidecar_image: str | None = None
    gateway_url: str | None = None
    queue_health_check_interval: float = 300.0
    log_format: Literal["json", "console"] | None = None
    log_level: str = "info"
    kubeconfig: str | None = None
    context: str | None = None


def parse_duration(text: str, *, setting: str) -> float:
    """``"5m"``, ``"30s"``, ``"1h30m"`` or plain seconds (``"90"``) → seconds."""
    value = text.strip()
    if value.isdigit():
        seconds = float(value)
    else:
        match = _DURATION.match(value)
        if not value or match is None or not any(match.groupdict().values()):
            raise SettingsError(f"{setting}: {text!r} is not a duration such as 30s, 5m or 1h")
        parts = {unit: int(amount or 0) for unit, amount in match.groupdict().items()}
        seconds = float(parts["h"] * 3600 + parts["m"] * 60 + parts["s"])
    if seconds <= 0:
        raise SettingsError(f"{setting}: the duration must be positive, got {text!r}")
    return seconds


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--metrics-bind-address", default=None, help="address of /metrics (default :8080, 0 off)"
    )
    parser.add_argument(
        "--health-probe-bind-address", default=None, help="address of /healthz and /readyz (default :8081)"
    )
    parser.add_argument(
        "--leader-elect", action="store_true", help=f"run workers only while holding the Lease {LEASE_NAME}"
    )
    parser.add_argument("--max-concurrent-reconciles", type=int, default=None, help="workers (default 10)")
    parser.add_argument(
        "--namespace",
        action="append",
        default=None,
        help="watch only this namespace (repeatable; default all)",
    )
    parser.add_argument("--log-format", choices=("json", "console"), default=None)
    parser.add_argument("--log-level", default=None, help="debug, info, warning or error (default info)")
    parser.add_argument(
        "--kubeconfig", default=None, help="kubeconfig file (default: in-cluster, then ~/.kube)"
    )
    parser.add_argument("--context", default=None, help="kubeconfig context")


def _positive_int(text: str, *, setting: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise SettingsError(f"{setting}: {text!r} is not a whole number") from None
    if value < 1:
        raise SettingsError(f"{setting}: must be at least 1, got {value}")
    return value


def _lease_namespace(env: Mapping[str, str]) -> str:
    if env.get("POD_NAMESPACE"):
        return env["POD_NAMESPACE"]
    try:
        return _IN_CLUSTER_NAMESPACE.read_text().strip() or "default"
    except OSError:
        return "default"


def settings_from(args: argparse.Namespace, env: Mapping[str, str]) -> Settings:
    """The settings of ``asya-controller run`` from its parsed flags and the environment."""
    workers_flag = args.max_concurrent_reconciles
    workers_env = env.get("ASYA_MAX_CONCURRENT_RECONCILES")
    if workers_flag is not None:
        workers = _positive_int(str(workers_flag), setting="--max-concurrent-reconciles")
    elif workers_env:
        workers = _positive_int(workers_env, setting="ASYA_MAX_CONCURRENT_RECONCILES")
    else:
        workers = 10
    namespaces = args.namespace or [n for n in env.get("ASYA_WATCH_NAMESPACES", "").split(",") if n.strip()]
    level = args.log_level or "info"
    if level.lower() not in ("debug", "info", "warning", "error"):
        raise SettingsError(f"--log-level: {level!r} is not one of debug, info, warning, error")
    return Settings(
        metrics_bind=args.metrics_bind_address if args.metrics_bind_address is not None else ":8080",
        probes_bind=args.health_probe_bind_address if args.health_probe_bind_address is not None else ":8081",
        leader_elect=bool(args.leader_elect),
        lease_namespace=_lease_namespace(env),
        pod_name=env.get("POD_NAME", ""),
        max_concurrent_reconciles=workers,
        namespaces=tuple(sorted({n.strip() for n in namespaces})),
        sidecar_image=env.get("ASYA_SIDECAR_IMAGE") or None,
        gateway_url=env.get("ASYA_GATEWAY_URL") or None,
        queue_health_check_interval=parse_duration(
            env.get("ASYA_QUEUE_HEALTH_CHECK_INTERVAL", "5m"), setting="ASYA_QUEUE_HEALTH_CHECK_INTERVAL"
        ),
        log_format=args.log_format,
        log_level=level.lower(),
        kubeconfig=args.kubeconfig,
        context=args.context,
    )


def parse_run(argv: Sequence[str], env: Mapping[str, str]) -> Settings:
    """Settings from the arguments that follow ``run`` (for tests and embedding)."""
    parser = argparse.ArgumentParser(prog="asya-controller run")
    add_run_arguments(parser)
    return settings_from(parser.parse_args(list(argv)), env)
