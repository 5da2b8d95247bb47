"""The words a real cluster uses, in one place, each with where it comes from.

Scheduler (`pkg/scheduler/framework/types.go` `FitError.Error`, `schedule_one.go`, default preemption):
  `0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims
  found for incoming pod.` — reasons are counted per node, rendered `"<count> <reason>"`, sorted as strings
  and joined with ", ". `Successfully assigned <ns>/<pod> to <node>` for `Scheduled`.
Kubelet (`kuberuntime/kuberuntime_container.go` `startContainer`, `kuberuntime_manager.go` `doBackOff`,
  `images/image_manager.go`, `prober/prober.go`, `volumemanager`, `kubelet_pods.go`
  `makeEnvironmentVariables`): `Pulling image "x"`, `Successfully pulled image "x" in 1.2s (1.2s including
  waiting). Image size: 123 bytes.`, `Container image "x" already present on machine`, `Created container: x`,
  `Started container x`, `Stopping container x`, `Failed to pull image "x": <err>`, `Error: ErrImagePull`,
  `Back-off pulling image "x"`, `Back-off restarting failed container x in pod p_ns(uid)`,
  `back-off 40s restarting failed container=x pod=p_ns(uid)`, `MountVolume.SetUp failed for volume "v" :
  configmap "c" not found`, `couldn't find key K in ConfigMap ns/c`, `Readiness probe failed: …`.
Deployment and ReplicaSet controllers (`pkg/controller/deployment/util/deployment_util.go`, `sync.go`,
  `replica_set.go`): condition reasons and messages, `Scaled up replica set x-hash from 0 to 3`,
  `Created pod: x-hash-abcde`. StatefulSet controller (`stateful_pod_control.go`):
  `create Pod x-0 in StatefulSet x successful`.
Container runtime (containerd) pull errors: `failed to pull and unpack image "…": failed to resolve reference
  "…": …` wrapped by the CRI as `rpc error: code = … desc = …`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

# Scheduler -------------------------------------------------------------------------------------------------

INSUFFICIENT = "Insufficient {}"
TOO_MANY_PODS = "Too many pods"
NO_VICTIMS = "No preemption victims found for incoming pod"
PREEMPTION_NOT_HELPFUL = "Preemption is not helpful for scheduling"


def _histogram(counts: Mapping[str, int]) -> str:
    return ", ".join(sorted(f"{count} {reason}" for reason, count in counts.items()))


def fit_error(nodes: int, reasons: Mapping[str, int], preemption: Mapping[str, int] | None = None) -> str:
    """The FailedScheduling message and the PodScheduled=False condition message."""
    message = f"0/{nodes} nodes are available:"
    if reasons:
        message += f" {_histogram(reasons)}."
    if preemption:
        message += f" preemption: 0/{nodes} nodes are available: {_histogram(preemption)}."
    return message


def scheduled(namespace: str, pod: str, node: str) -> str:
    return f"Successfully assigned {namespace}/{pod} to {node}"


def no_nodes() -> str:
    return fit_error(0, Counter(), Counter())


# Kubelet: images -------------------------------------------------------------------------------------------


def pulling(image: str) -> str:
    return f'Pulling image "{image}"'


def pulled(image: str, seconds: float, size: int) -> str:
    took = f"{seconds:.3f}".rstrip("0").rstrip(".") + "s"
    return (
        f'Successfully pulled image "{image}" in {took} ({took} including waiting). Image size: {size} bytes.'
    )


def already_present(image: str) -> str:
    return f'Container image "{image}" already present on machine'


def failed_to_pull(image: str, error: str) -> str:
    return f'Failed to pull image "{image}": {error}'


def back_off_pulling(image: str) -> str:
    return f'Back-off pulling image "{image}"'


def image_pull_back_off_waiting(image: str, error: str) -> str:
    """The waiting message of a container in ImagePullBackOff (the last pull error is carried along)."""
    return f"{back_off_pulling(image)}: ErrImagePull: {error}"


def registry_unreachable(image: str, reference: str, host: str, path: str, tag: str) -> str:
    """containerd's error when the registry host does not resolve, as the CRI reports it."""
    return (
        f'rpc error: code = Unknown desc = failed to pull and unpack image "{reference}": failed to resolve '
        f'reference "{reference}": failed to do request: Head "https://{host}/v2/{path}/manifests/{tag}": '
        f"dial tcp: lookup {host} on 10.96.0.10:53: no such host"
    )


def image_not_found(reference: str) -> str:
    """containerd's error when the registry answers but has no such image or tag."""
    return (
        f'rpc error: code = NotFound desc = failed to pull and unpack image "{reference}": failed to resolve '
        f'reference "{reference}": {reference}: not found'
    )


def invalid_image_name(image: str, reason: str) -> str:
    return f'Failed to apply default image tag "{image}": couldn\'t parse image name "{image}": {reason}'


# Kubelet: containers ---------------------------------------------------------------------------------------


def created(container: str) -> str:
    return f"Created container: {container}"


def started(container: str) -> str:
    return f"Started container {container}"


def stopping(container: str) -> str:
    return f"Stopping container {container}"


def error(detail: str) -> str:
    """The `Failed` event the kubelet records when it cannot start a container."""
    return f"Error: {detail}"


def pod_full_name(name: str, namespace: str, uid: str) -> str:
    """`format.Pod`: how the kubelet names a pod in messages."""
    return f"{name}_{namespace}({uid})"


def back_off_restarting(container: str, pod_full: str) -> str:
    """The `BackOff` Warning event of a crash-looping container."""
    return f"Back-off restarting failed container {container} in pod {pod_full}"


def crash_loop_waiting(delay: str, container: str, pod_full: str) -> str:
    """The waiting message of a container in CrashLoopBackOff."""
    return f"back-off {delay} restarting failed container={container} pod={pod_full}"


def containers_not_ready(names: list[str]) -> str:
    return f"containers with unready status: [{' '.join(names)}]"


def containers_not_initialized(names: list[str]) -> str:
    return f"containers with incomplete status: [{' '.join(names)}]"


def probe_failed(probe: str, output: str) -> str:
    """`Unhealthy` events: probe is Readiness, Liveness or Startup."""
    return f"{probe} probe failed: {output}"


def liveness_restart(container: str) -> str:
    return f"Container {container} failed liveness probe, will be restarted"


# Kubelet: volumes and configuration ------------------------------------------------------------------------


def mount_failed(volume: str, cause: str) -> str:
    return f'MountVolume.SetUp failed for volume "{volume}" : {cause}'


def not_found(kind: str, name: str) -> str:
    """The API server's NotFound message, as the kubelet passes it on (`configmap "x" not found`)."""
    return f'{kind} "{name}" not found'


def missing_volume_key(kind: str, key: str) -> str:
    """A ConfigMap or Secret volume whose `items` name a key the object lacks."""
    return f"{kind} references non-existent config key: {key}"


def missing_env_key(key: str, kind: str, namespace: str, name: str) -> str:
    """`kind` is `ConfigMap` or `Secret`."""
    return f"couldn't find key {key} in {kind} {namespace}/{name}"


# Workload controllers --------------------------------------------------------------------------------------


def scaled_replica_set(direction: str, replica_set: str, old: int, new: int) -> str:
    return f"Scaled {direction} replica set {replica_set} from {old} to {new}"


def created_pod(pod: str) -> str:
    return f"Created pod: {pod}"


def deleted_pod(pod: str) -> str:
    return f"Deleted pod: {pod}"


def stateful_pod(verb: str, pod: str, statefulset: str) -> str:
    """`verb` is `create` or `delete`."""
    return f"{verb} Pod {pod} in StatefulSet {statefulset} successful"


MINIMUM_AVAILABLE = "Deployment has minimum availability."
MINIMUM_UNAVAILABLE = "Deployment does not have minimum availability."


def new_replica_set_created(replica_set: str) -> str:
    return f'Created new replica set "{replica_set}"'


def replica_set_progressing(replica_set: str) -> str:
    return f'ReplicaSet "{replica_set}" is progressing.'


def replica_set_progressed(replica_set: str) -> str:
    return f'ReplicaSet "{replica_set}" has successfully progressed.'


def replica_set_timed_out(replica_set: str) -> str:
    return f'ReplicaSet "{replica_set}" has timed out progressing.'
