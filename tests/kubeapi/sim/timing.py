"""How long things take in the simulated cluster, and the back-off schedules of the real one.

`Timings` holds every delay the simulators use. The defaults look like a small real cluster (a pod is Ready a
few hundred milliseconds after it is scheduled, back-offs follow the kubelet's schedule); tests use
`Timings.fast()`, which keeps the same sequence of states and messages but compresses the waits.

Back-off schedules (sources):
- container restarts: kubelet `pkg/kubelet/kubelet.go` (`backOffPeriod = 10s`, `MaxContainerBackOff =
  300s`) and `kuberuntime_manager.go` `doBackOff`: the first restart after a crash is immediate, every later
  one waits 10 s, 20 s, 40 s, … capped at 5 min; a container that ran for 10 min without crashing starts over.
- image pulls: kubelet `imageBackOffPeriod = 10s` doubling to the same 300 s cap (`images/image_manager.go`).
- volume mounts: `nestedpendingoperations` exponential back-off, 500 ms doubling to 2 min 2 s.
- pod sync after an error (e.g. CreateContainerConfigError): the pod worker's 10 s back-off period.

Messages always show the real (unscaled) durations, formatted like Go's `time.Duration.String()`
("10s", "1m20s", "5m0s"); only the waiting is multiplied by `backoff_scale`.
"""

from __future__ import annotations

from dataclasses import dataclass

CRASH_BACKOFF_INITIAL = 10.0
CRASH_BACKOFF_MAX = 300.0
CRASH_BACKOFF_RESET = 600.0
IMAGE_BACKOFF_INITIAL = 10.0
IMAGE_BACKOFF_MAX = 300.0
MOUNT_BACKOFF_INITIAL = 0.5
MOUNT_BACKOFF_MAX = 122.0
POD_SYNC_BACKOFF = 10.0


@dataclass(frozen=True, slots=True)
class Timings:
    """Delays in seconds. `backoff_scale` multiplies every back-off wait (not the message);
    `autoscaler_scale` multiplies KEDA's polling interval and cooldown and the HPA's sync period and
    stabilization windows; `grace_scale` multiplies `terminationGracePeriodSeconds`."""

    schedule_delay: float = 0.0
    pull_duration: float = 0.4
    start_delay: float = 0.3
    ready_delay: float = 0.2
    stop_delay: float = 0.2
    crash_after: float = 1.0
    fail_after: float = 5.0
    slow_start: float = 30.0
    probe_period: float = 10.0
    backoff_scale: float = 1.0
    autoscaler_scale: float = 1.0
    grace_scale: float = 1.0
    hpa_sync_period: float = 15.0

    @classmethod
    def fast(cls) -> Timings:
        """Timings for tests: the same sequences, compressed about a hundredfold."""
        return cls(
            pull_duration=0.02,
            start_delay=0.02,
            ready_delay=0.02,
            stop_delay=0.01,
            crash_after=0.05,
            fail_after=0.3,
            slow_start=0.5,
            probe_period=0.1,
            backoff_scale=0.01,
            autoscaler_scale=0.01,
            grace_scale=0.01,
        )


def crash_backoff(restarts: int) -> float:
    """The real wait before restarting a container that has crashed and been restarted `restarts` times
    already: 0 before the first restart, then 10 s doubling to 5 min."""
    if restarts <= 0:
        return 0.0
    return min(CRASH_BACKOFF_INITIAL * 2.0 ** (restarts - 1), CRASH_BACKOFF_MAX)


def image_backoff(failures: int) -> float:
    """The real wait after the `failures`-th failed pull of an image (failures >= 1)."""
    return min(IMAGE_BACKOFF_INITIAL * 2.0 ** max(failures - 1, 0), IMAGE_BACKOFF_MAX)


def mount_backoff(failures: int) -> float:
    """The real wait after the `failures`-th failed volume set-up (failures >= 1)."""
    return min(MOUNT_BACKOFF_INITIAL * 2.0 ** max(failures - 1, 0), MOUNT_BACKOFF_MAX)


def go_duration(seconds: float) -> str:
    """Formats like Go's `time.Duration.String()`: 10s, 1m20s, 5m0s, 500ms."""
    if seconds < 1:
        millis = round(seconds * 1000)
        return f"{millis}ms" if millis else "0s"
    total = round(seconds, 3)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    sec_text = f"{secs:.3f}".rstrip("0").rstrip(".") + "s"
    if hours:
        return f"{int(hours)}h{int(minutes)}m{sec_text}"
    if minutes:
        return f"{int(minutes)}m{sec_text}"
    return sec_text
