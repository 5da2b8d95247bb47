"""Factories of Kubernetes objects exactly as a real API server returns them.

Pods are shaped like kubelet 1.30+ reports them (``PodReadyToStartContainers``, ``hostIPs``, ``started``),
events in both styles: the kubelet's classic core/v1 events (``firstTimestamp``/``lastTimestamp``/``count``,
``source``) and the scheduler's ``events.k8s.io`` events seen through core/v1 (``eventTime`` in microseconds,
``series``, ``reportingComponent``, null classic timestamps). Messages are the kubelet's and scheduler's own.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

NOW = datetime(2026, 11, 27, 12, 0, 0, tzinfo=UTC)
ACTOR = "text-processor"
NAMESPACE = "default"
RUNTIME = "asya-runtime"
SIDECAR = "asya-sidecar"
RUNTIME_IMAGE = "registry.example.com/text-processor:v3"
SIDECAR_IMAGE = "ghcr.io/deliveryhero/asya-sidecar:0.4.2"
HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)
SECOND = timedelta(seconds=1)

Obj = dict[str, Any]


def ts(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def micro(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def uid(*parts: str) -> str:
    digest = hashlib.sha1("/".join(parts).encode()).hexdigest()
    return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"


_counter = iter(range(41_000, 10**9, 7))


def _rv() -> str:
    return str(next(_counter))


# --- containers ---------------------------------------------------------------------------------------------


def _image(name: str) -> str:
    return RUNTIME_IMAGE if name == RUNTIME else SIDECAR_IMAGE if name == SIDECAR else f"busybox:1.36-{name}"


def last_terminated(*, finished: datetime, reason: str = "Error", exit_code: int = 1) -> Obj:
    return {
        "terminated": {
            "exitCode": exit_code,
            "reason": reason,
            "startedAt": ts(finished - 20 * SECOND),
            "finishedAt": ts(finished),
            "containerID": f"containerd://{uid('old', reason, ts(finished))}{uid('x')[:28]}".replace("-", ""),
        }
    }


def running(
    name: str, *, since: datetime, ready: bool = True, restarts: int = 0, last: Obj | None = None
) -> Obj:
    return {
        "name": name,
        "state": {"running": {"startedAt": ts(since)}},
        "lastState": last or {},
        "ready": ready,
        "restartCount": restarts,
        "image": _image(name),
        "imageID": f"{_image(name).split(':')[0]}@sha256:{hashlib.sha256(name.encode()).hexdigest()}",
        "containerID": f"containerd://{hashlib.sha256((name + ts(since)).encode()).hexdigest()}",
        "started": True,
    }


def waiting(name: str, reason: str, message: str = "", *, restarts: int = 0, last: Obj | None = None) -> Obj:
    state: Obj = {"reason": reason}
    if message:
        state["message"] = message
    status: Obj = {
        "name": name,
        "state": {"waiting": state},
        "lastState": last or {},
        "ready": False,
        "restartCount": restarts,
        "image": _image(name),
        "imageID": "",
        "started": False,
    }
    if last:
        status["imageID"] = f"{_image(name).split(':')[0]}@sha256:{hashlib.sha256(name.encode()).hexdigest()}"
        status["containerID"] = last["terminated"]["containerID"]
    return status


def crash_loop(
    name: str, pod: str, *, restarts: int = 4, backoff: str = "40s", finished: datetime = NOW
) -> Obj:
    return waiting(
        name,
        "CrashLoopBackOff",
        f"back-off {backoff} restarting failed container={name} pod={pod}_{NAMESPACE}({uid(pod)})",
        restarts=restarts,
        last=last_terminated(finished=finished - 30 * SECOND),
    )


# --- pods ---------------------------------------------------------------------------------------------------


def condition(
    kind: str, status: str, at: datetime, reason: str | None = None, message: str | None = None
) -> Obj:
    item: Obj = {"type": kind, "status": status, "lastProbeTime": None, "lastTransitionTime": ts(at)}
    if reason:
        item["reason"] = reason
    if message:
        item["message"] = message
    return item


def _unready(names: Iterable[str]) -> str:
    return f"containers with unready status: [{' '.join(names)}]"


def pod(
    name: str,
    *,
    created: datetime,
    phase: str,
    conditions: list[Obj],
    containers: list[Obj] | None = None,
    init_containers: list[Obj] | None = None,
    init_names: Iterable[str] = (),
    scheduled: bool = True,
    deleting: datetime | None = None,
    reason: str | None = None,
    message: str | None = None,
    actor: str = ACTOR,
    pod_uid: str | None = None,
) -> Obj:
    """A Pod of the actor's Deployment with the pod template the controller builds."""
    template_hash = "7d9c8b6f5"
    metadata: Obj = {
        "name": name,
        "generateName": f"{actor}-{template_hash}-",
        "namespace": NAMESPACE,
        "uid": pod_uid or uid(name),
        "resourceVersion": _rv(),
        "creationTimestamp": ts(created),
        "labels": {
            "app": actor,
            "asya.sh/asya": actor,
            "asya.sh/actor": actor,
            "asya.sh/workload": "deployment",
            "pod-template-hash": template_hash,
        },
        "ownerReferences": [
            {
                "apiVersion": "apps/v1",
                "kind": "ReplicaSet",
                "name": f"{actor}-{template_hash}",
                "uid": uid("rs", actor),
                "controller": True,
                "blockOwnerDeletion": True,
            }
        ],
    }
    if deleting is not None:
        metadata["deletionTimestamp"] = ts(deleting)
        metadata["deletionGracePeriodSeconds"] = 30
    spec: Obj = {
        "volumes": [
            {"name": "socket-dir", "emptyDir": {}},
            {"name": "tmp", "emptyDir": {}},
            {"name": "asya-runtime", "configMap": {"name": "asya-runtime", "defaultMode": 493}},
            {"name": "cfg", "configMap": {"name": "app-config", "defaultMode": 420}},
        ],
        "initContainers": [{"name": n, "image": _image(n)} for n in init_names],
        "containers": [
            {
                "name": RUNTIME,
                "image": RUNTIME_IMAGE,
                "command": ["python3", "/opt/asya/asya_runtime.py"],
                "env": [
                    {"name": "ASYA_HANDLER", "value": "text_processor.handle"},
                    {"name": "ASYA_SOCKET_DIR", "value": "/var/run/asya"},
                ],
                "resources": {"requests": {"cpu": "500m", "memory": "512Mi"}},
                "imagePullPolicy": "IfNotPresent",
                "terminationMessagePath": "/dev/termination-log",
                "terminationMessagePolicy": "File",
            },
            {
                "name": SIDECAR,
                "image": SIDECAR_IMAGE,
                "ports": [{"name": "metrics", "containerPort": 8080, "protocol": "TCP"}],
                "env": [{"name": "ASYA_ACTOR_NAME", "value": actor}],
                "imagePullPolicy": "IfNotPresent",
                "terminationMessagePath": "/dev/termination-log",
                "terminationMessagePolicy": "File",
            },
        ],
        "restartPolicy": "Always",
        "terminationGracePeriodSeconds": 30,
        "dnsPolicy": "ClusterFirst",
        "serviceAccountName": "default",
        "schedulerName": "default-scheduler",
        "tolerations": [
            {
                "key": "node.kubernetes.io/not-ready",
                "operator": "Exists",
                "effect": "NoExecute",
                "tolerationSeconds": 300,
            },
        ],
        "priority": 0,
        "enableServiceLinks": True,
        "preemptionPolicy": "PreemptLowerPriority",
    }
    if not init_names:
        del spec["initContainers"]
    status: Obj = {"phase": phase, "conditions": conditions, "qosClass": "Burstable"}
    if scheduled:
        spec["nodeName"] = "worker-2"
        status |= {"hostIP": "10.0.1.12", "hostIPs": [{"ip": "10.0.1.12"}], "startTime": ts(created + SECOND)}
    if phase in ("Running", "Failed") or (
        phase == "Pending" and containers and any("running" in c["state"] for c in containers)
    ):
        status |= {"podIP": "10.244.2.17", "podIPs": [{"ip": "10.244.2.17"}]}
    if reason:
        status["reason"] = reason
    if message:
        status["message"] = message
    if init_containers is not None:
        status["initContainerStatuses"] = init_containers
    if containers is not None:
        status["containerStatuses"] = containers
    return {"kind": "Pod", "apiVersion": "v1", "metadata": metadata, "spec": spec, "status": status}


def _started_conditions(
    created: datetime, ready_at: datetime | None, unready: Iterable[str] = ()
) -> list[Obj]:
    unready = list(unready)
    started = created + 2 * SECOND
    if ready_at is not None and not unready:
        ready = [condition("Ready", "True", ready_at), condition("ContainersReady", "True", ready_at)]
    else:
        at = ready_at or started
        ready = [
            condition("Ready", "False", at, "ContainersNotReady", _unready(unready)),
            condition("ContainersReady", "False", at, "ContainersNotReady", _unready(unready)),
        ]
    return [
        condition("PodReadyToStartContainers", "True", started),
        condition("Initialized", "True", created + SECOND),
        *ready,
        condition("PodScheduled", "True", created),
    ]


def ready_pod(name: str, *, since: datetime = NOW - HOUR, restarts: int = 0, last: Obj | None = None) -> Obj:
    """Both containers running and ready since ``since``."""
    created = since - 20 * SECOND
    return pod(
        name,
        created=created,
        phase="Running",
        conditions=_started_conditions(created, since),
        containers=[
            running(RUNTIME, since=since, restarts=restarts, last=last),
            running(SIDECAR, since=since),
        ],
    )


def not_ready_pod(name: str, *, since: datetime, restarts: int = 0, last: Obj | None = None) -> Obj:
    """Containers running, the runtime's readiness probe not passing (yet)."""
    created = since - 20 * SECOND
    return pod(
        name,
        created=created,
        phase="Running",
        conditions=_started_conditions(created, since, unready=[RUNTIME]),
        containers=[
            running(RUNTIME, since=since, ready=False, restarts=restarts, last=last),
            running(SIDECAR, since=since),
        ],
    )


def starting_pod(name: str, *, age: timedelta = 5 * SECOND) -> Obj:
    """Just scheduled: sandbox not ready yet, containers being created."""
    created = NOW - age
    return pod(
        name,
        created=created,
        phase="Pending",
        conditions=[
            condition("PodReadyToStartContainers", "False", created),
            condition("Initialized", "True", created),
            condition("Ready", "False", created, "ContainersNotReady", _unready([RUNTIME, SIDECAR])),
            condition(
                "ContainersReady", "False", created, "ContainersNotReady", _unready([RUNTIME, SIDECAR])
            ),
            condition("PodScheduled", "True", created),
        ],
        containers=[waiting(RUNTIME, "ContainerCreating"), waiting(SIDECAR, "ContainerCreating")],
    )


def crashing_pod(
    name: str,
    *,
    container: str = RUNTIME,
    restarts: int = 4,
    backoff: str = "40s",
    age: timedelta = 3 * MINUTE,
) -> Obj:
    """One container in CrashLoopBackOff, the other running."""
    created = NOW - age
    other = SIDECAR if container == RUNTIME else RUNTIME
    statuses = {
        container: crash_loop(container, name, restarts=restarts, backoff=backoff),
        other: running(other, since=created + 3 * SECOND, ready=other == SIDECAR),
    }
    return pod(
        name,
        created=created,
        phase="Running",
        conditions=_started_conditions(created, None, unready=sorted({container, RUNTIME})),
        containers=[statuses[RUNTIME], statuses[SIDECAR]],
    )


def waiting_pod(name: str, *, container: str, reason: str, message: str, age: timedelta = 2 * MINUTE) -> Obj:
    """One container stuck waiting before it ever started (image pull, config), the other running."""
    created = NOW - age
    other = SIDECAR if container == RUNTIME else RUNTIME
    statuses = {
        container: waiting(container, reason, message),
        other: running(other, since=created + 4 * SECOND),
    }
    return pod(
        name,
        created=created,
        phase="Pending",
        conditions=_started_conditions(created, None, unready=[container]),
        containers=[statuses[RUNTIME], statuses[SIDECAR]],
    )


def init_pod(name: str, *, init: Obj, age: timedelta = 2 * MINUTE) -> Obj:
    """An init container that has not completed; app containers wait in PodInitializing."""
    created = NOW - age
    return pod(
        name,
        created=created,
        phase="Pending",
        init_names=[init["name"]],
        conditions=[
            condition("PodReadyToStartContainers", "True", created + 2 * SECOND),
            condition(
                "Initialized",
                "False",
                created,
                "ContainersNotInitialized",
                f"containers with incomplete status: [{init['name']}]",
            ),
            condition("Ready", "False", created, "ContainersNotReady", _unready([RUNTIME, SIDECAR])),
            condition(
                "ContainersReady", "False", created, "ContainersNotReady", _unready([RUNTIME, SIDECAR])
            ),
            condition("PodScheduled", "True", created),
        ],
        init_containers=[init],
        containers=[waiting(RUNTIME, "PodInitializing"), waiting(SIDECAR, "PodInitializing")],
    )


def unschedulable_pod(name: str, *, message: str | None, age: timedelta = 2 * MINUTE) -> Obj:
    """Not scheduled: only the PodScheduled condition; ``message`` None leaves it out of the condition."""
    created = NOW - age
    return pod(
        name,
        created=created,
        phase="Pending",
        scheduled=False,
        conditions=[condition("PodScheduled", "False", created, "Unschedulable", message)],
    )


def evicted_pod(name: str) -> Obj:
    created = NOW - 2 * HOUR
    message = (
        "The node was low on resource: memory. Threshold quantity: 100Mi, available: 87340Ki. "
        "Container asya-runtime was using 1804Mi, request is 512Mi, has larger consumption of memory. "
    )
    terminated = {
        "terminated": {
            "exitCode": 137,
            "reason": "ContainerStatusUnknown",
            "startedAt": ts(created),
            "finishedAt": ts(NOW - HOUR),
        }
    }
    return pod(
        name,
        created=created,
        phase="Failed",
        reason="Evicted",
        message=message,
        conditions=[
            condition("PodReadyToStartContainers", "False", NOW - HOUR),
            condition("Initialized", "True", created),
            condition("Ready", "False", NOW - HOUR, "PodFailed"),
            condition("ContainersReady", "False", NOW - HOUR, "PodFailed"),
            condition("PodScheduled", "True", created),
        ],
        containers=[
            {
                "name": n,
                "state": copy.deepcopy(terminated),
                "lastState": {},
                "ready": False,
                "restartCount": 0,
                "image": _image(n),
                "imageID": "",
                "started": False,
            }
            for n in (RUNTIME, SIDECAR)
        ],
    )


# --- events -------------------------------------------------------------------------------------------------


def kubelet_event(
    pod_name: str,
    reason: str,
    message: str,
    *,
    last: datetime,
    count: int = 1,
    first: datetime | None = None,
    container: str | None = None,
    kind: str = "Warning",
    pod_uid: str | None = None,
) -> Obj:
    """A classic core/v1 event as the kubelet records it."""
    first = first or last
    involved: Obj = {
        "kind": "Pod",
        "namespace": NAMESPACE,
        "name": pod_name,
        "uid": pod_uid or uid(pod_name),
        "apiVersion": "v1",
        "resourceVersion": _rv(),
    }
    if container is not None:
        involved["fieldPath"] = f"spec.containers{{{container}}}"
    return {
        "kind": "Event",
        "apiVersion": "v1",
        "metadata": {
            "name": f"{pod_name}.{hashlib.sha1((reason + message).encode()).hexdigest()[:16]}",
            "namespace": NAMESPACE,
            "uid": uid("event", pod_name, reason, message),
            "resourceVersion": _rv(),
            "creationTimestamp": ts(first),
        },
        "involvedObject": involved,
        "reason": reason,
        "message": message,
        "source": {"component": "kubelet", "host": "worker-2"},
        "firstTimestamp": ts(first),
        "lastTimestamp": ts(last),
        "count": count,
        "type": kind,
        "eventTime": None,
        "reportingComponent": "kubelet",
        "reportingInstance": "worker-2",
    }


def scheduler_event(pod_name: str, message: str, *, first: datetime, last: datetime | None = None) -> Obj:
    """The scheduler's FailedScheduling, an events.k8s.io event read through core/v1."""
    event: Obj = {
        "kind": "Event",
        "apiVersion": "v1",
        "metadata": {
            "name": f"{pod_name}.{hashlib.sha1(message.encode()).hexdigest()[:16]}",
            "namespace": NAMESPACE,
            "uid": uid("event", pod_name, message),
            "resourceVersion": _rv(),
            "creationTimestamp": ts(first),
        },
        "involvedObject": {
            "kind": "Pod",
            "namespace": NAMESPACE,
            "name": pod_name,
            "uid": uid(pod_name),
            "apiVersion": "v1",
            "resourceVersion": _rv(),
        },
        "reason": "FailedScheduling",
        "message": message,
        "source": {},
        "firstTimestamp": None,
        "lastTimestamp": None,
        "type": "Warning",
        "eventTime": micro(first),
        "action": "Scheduling",
        "reportingComponent": "default-scheduler",
        "reportingInstance": "default-scheduler-control-plane",
    }
    if last is not None:
        event["series"] = {"count": 4, "lastObservedTime": micro(last)}
    return event


INSUFFICIENT_CPU = (
    "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: "
    "3 No preemption victims found for incoming pod."
)
CONFIGMAP_MOUNT = 'MountVolume.SetUp failed for volume "cfg" : configmap "app-config" not found'


# --- the actor and what it owns -----------------------------------------------------------------------------


def actor_object(
    *,
    name: str = ACTOR,
    generation: int = 1,
    scaling: bool = False,
    replicas: int = 1,
    kind: str = "Deployment",
    containers: list[Obj] | None = None,
    status: Obj | None = None,
    deleting: datetime | None = None,
    transport: str = "rabbitmq",
) -> Obj:
    """An AsyncActor as the API server returns it (CRD defaults applied)."""
    runtime = {
        "name": RUNTIME,
        "image": RUNTIME_IMAGE,
        "env": [
            {"name": "ASYA_HANDLER", "value": "text_processor.handle"},
            {"name": "ASYA_HANDLER_MODE", "value": "payload"},
        ],
    }
    metadata: Obj = {
        "name": name,
        "namespace": NAMESPACE,
        "uid": uid("actor", name),
        "resourceVersion": _rv(),
        "generation": generation,
        "creationTimestamp": ts(NOW - 3 * HOUR),
        "finalizers": ["asya.sh/finalizer"],
    }
    if deleting is not None:
        metadata["deletionTimestamp"] = ts(deleting)
        metadata["deletionGracePeriodSeconds"] = 0
    obj: Obj = {
        "apiVersion": "asya.sh/v1alpha1",
        "kind": "AsyncActor",
        "metadata": metadata,
        "spec": {
            "transport": transport,
            "sidecar": {"imagePullPolicy": "IfNotPresent"},
            "timeout": {"processing": 300, "gracefulShutdown": 30},
            "scaling": {
                "enabled": scaling,
                "minReplicas": 0,
                "maxReplicas": 10,
                "pollingInterval": 10,
                "cooldownPeriod": 60,
                "queueLength": 5,
            },
            "workload": {
                "kind": kind,
                "replicas": replicas,
                "pythonExecutable": "python3",
                "template": {"spec": {"containers": containers if containers is not None else [runtime]}},
            },
        },
    }
    if status is not None:
        obj["status"] = status
    return obj


def deployment(
    *,
    name: str = ACTOR,
    replicas: int | None = 1,
    generation: int = 1,
    observed: int | None = 1,
    ready: int = 0,
) -> Obj:
    """The actor's Deployment; ``observed`` None: its controller has not written status yet."""
    spec: Obj = {
        "selector": {"matchLabels": {"app": name, "asya.sh/asya": name, "asya.sh/workload": "deployment"}},
        "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": []}},
        "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}},
        "revisionHistoryLimit": 10,
        "progressDeadlineSeconds": 600,
    }
    if replicas is not None:
        spec["replicas"] = replicas
    status: Obj = {}
    if observed is not None:
        status = {
            "observedGeneration": observed,
            "replicas": replicas or 0,
            "updatedReplicas": replicas or 0,
            "readyReplicas": ready,
            "availableReplicas": ready,
            "conditions": [
                {
                    "type": "Available",
                    "status": "True" if ready else "False",
                    "lastUpdateTime": ts(NOW - HOUR),
                    "lastTransitionTime": ts(NOW - HOUR),
                    "reason": "MinimumReplicasAvailable",
                    "message": "Deployment has minimum availability.",
                },
            ],
        }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": name,
            "namespace": NAMESPACE,
            "uid": uid("deploy", name),
            "resourceVersion": _rv(),
            "generation": generation,
            "creationTimestamp": ts(NOW - 3 * HOUR),
            "labels": {"app.kubernetes.io/managed-by": "asya-controller"},
        },
        "spec": spec,
        "status": status,
    }


def hpa(*, name: str = ACTOR, desired: int, current: int = 0) -> Obj:
    """KEDA's HorizontalPodAutoscaler (autoscaling/v2)."""
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {
            "name": f"keda-hpa-{name}",
            "namespace": NAMESPACE,
            "uid": uid("hpa", name),
            "resourceVersion": _rv(),
            "labels": {"app.kubernetes.io/managed-by": "keda-operator", "scaledobject.keda.sh/name": name},
        },
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
            "minReplicas": 1,
            "maxReplicas": 10,
            "metrics": [
                {
                    "type": "External",
                    "external": {
                        "metric": {
                            "name": "s0-rabbitmq-asya-" + name,
                            "selector": {"matchLabels": {"scaledobject.keda.sh/name": name}},
                        },
                        "target": {"type": "AverageValue", "averageValue": "5"},
                    },
                }
            ],
        },
        "status": {
            "currentReplicas": current,
            "desiredReplicas": desired,
            "lastScaleTime": ts(NOW - 10 * MINUTE),
        },
    }


def scaled_object(
    *,
    name: str = ACTOR,
    ready: str | None = "True",
    reason: str = "ScaledObjectReady",
    message: str = "ScaledObject is defined correctly and is ready for scaling",
) -> Obj:
    """KEDA's ScaledObject; ``ready`` None: KEDA has not written conditions yet."""
    status: Obj = {}
    if ready is not None:
        status = {
            "scaleTargetKind": "apps/v1.Deployment",
            "scaleTargetGVKR": {
                "group": "apps",
                "kind": "Deployment",
                "resource": "deployments",
                "version": "v1",
            },
            "originalReplicaCount": 1,
            "hpaName": f"keda-hpa-{name}",
            "conditions": [
                {"type": "Ready", "status": ready, "reason": reason, "message": message},
                {
                    "type": "Active",
                    "status": "False",
                    "reason": "ScalerNotActive",
                    "message": "Scaling is not performed because triggers are not active",
                },
                {
                    "type": "Fallback",
                    "status": "False",
                    "reason": "NoFallbackFound",
                    "message": "No fallbacks are active on this scaled object",
                },
                {
                    "type": "Paused",
                    "status": "False",
                    "reason": "ScaledObjectUnpaused",
                    "message": "ScaledObject is not paused",
                },
            ],
        }
    return {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "ScaledObject",
        "metadata": {
            "name": name,
            "namespace": NAMESPACE,
            "uid": uid("so", name),
            "resourceVersion": _rv(),
            "generation": 1,
        },
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
            "minReplicaCount": 0,
            "maxReplicaCount": 10,
            "triggers": [
                {
                    "type": "rabbitmq",
                    "name": "queue",
                    "metadata": {"queueName": f"asya-{name}", "mode": "QueueLength", "value": "5"},
                }
            ],
        },
        "status": status,
    }


# --- trimming, as a cache that keeps only the listed fields would -------------------------------------------


def trim(obj: Mapping[str, Any], paths: Iterable[str]) -> Obj:
    """Keep only ``paths`` (dotted; a list on the way applies the rest of the path to each item)."""
    result: Obj = {}
    for path in paths:
        _copy_path(obj, result, path.split("."))
    return result


def _copy_path(source: Any, target: Obj, parts: list[str]) -> None:
    key, rest = parts[0], parts[1:]
    if not isinstance(source, Mapping) or key not in source:
        return
    value = source[key]
    if not rest:
        target[key] = copy.deepcopy(value)
    elif isinstance(value, list):
        items = target.setdefault(key, [{} for _ in value])
        for item, into in zip(value, items, strict=True):
            _copy_path(item, into, rest)
    elif isinstance(value, Mapping):
        _copy_path(value, target.setdefault(key, {}), rest)
