"""Realistic Pod objects (as a Deployment with a sidecar makes them) and the trim a controller would use."""

from __future__ import annotations

from typing import Any

from controller.kube.objects import trimmer

# What a controller of actors reads from a pod: identity and ownership, the phase and conditions, and per
# container readiness, restarts, and the reason it is waiting or terminated.
TRIM_POD = trimmer(
    "metadata.labels",
    "metadata.ownerReferences[].kind",
    "metadata.ownerReferences[].name",
    "metadata.ownerReferences[].uid",
    "metadata.creationTimestamp",
    "metadata.deletionTimestamp",
    "spec.nodeName",
    "status.phase",
    "status.reason",
    "status.conditions[].type",
    "status.conditions[].status",
    "status.conditions[].reason",
    "status.containerStatuses[].name",
    "status.containerStatuses[].ready",
    "status.containerStatuses[].restartCount",
    "status.containerStatuses[].state",
    "status.containerStatuses[].lastState",
)


def _container(name: str, image: str, index: int) -> dict[str, Any]:
    return {
        "name": name,
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "env": [
            {"name": "ASYA_ACTOR_NAME", "value": f"actor-{index % 100}"},
            {"name": "ASYA_TRANSPORT", "value": "rabbitmq"},
            {"name": "ASYA_RABBITMQ_HOST", "value": "rabbitmq.asya-system.svc.cluster.local"},
            {"name": "ASYA_SOCKET_DIR", "value": "/var/run/asya"},
            {
                "name": "POD_NAME",
                "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}},
            },
        ],
        "resources": {
            "limits": {"cpu": "500m", "memory": "256Mi"},
            "requests": {"cpu": "100m", "memory": "64Mi"},
        },
        "volumeMounts": [
            {"name": "asya-socket", "mountPath": "/var/run/asya"},
            {
                "name": "kube-api-access-abcde",
                "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
                "readOnly": True,
            },
        ],
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
    }


def _status(name: str, image: str, ready: bool) -> dict[str, Any]:
    return {
        "name": name,
        "image": image,
        "imageID": f"docker.io/library/{image}@sha256:{'ab' * 32}",
        "containerID": f"containerd://{'cd' * 32}",
        "ready": ready,
        "started": True,
        "restartCount": 0,
        "state": {"running": {"startedAt": "2026-01-01T10:00:05Z"}},
        "lastState": {},
    }


def pod(index: int, *, namespace: str = "default", resource_version: str = "1") -> dict[str, Any]:
    """Pod number ``index`` of actor ``actor-<index % 100>``: about 6 KB of JSON, like a real one."""
    actor = f"actor-{index % 100}"
    rs = f"{actor}-7d9f8b6c5"
    name = f"{rs}-{index:05x}"
    runtime, sidecar = "python:3.13-slim", "ghcr.io/deliveryhero/asya-sidecar:0.5.1"
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "generateName": f"{rs}-",
            "namespace": namespace,
            "uid": f"{index:08x}-1111-2222-3333-444455556666",
            "resourceVersion": resource_version,
            "creationTimestamp": "2026-01-01T10:00:00Z",
            "labels": {
                "asya.sh/actor": actor,
                "app.kubernetes.io/name": actor,
                "pod-template-hash": "7d9f8b6c5",
            },
            "annotations": {"kubectl.kubernetes.io/restartedAt": "2026-01-01T09:00:00Z"},
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "kind": "ReplicaSet",
                    "name": rs,
                    "uid": f"rs-{index % 100:04d}",
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
            "managedFields": [
                {
                    "manager": "kube-controller-manager",
                    "operation": "Update",
                    "apiVersion": "v1",
                    "time": "2026-01-01T10:00:00Z",
                    "fieldsType": "FieldsV1",
                    "fieldsV1": {
                        "f:metadata": {"f:generateName": {}, "f:labels": {".": {}, "f:asya.sh/actor": {}}},
                        "f:spec": {"f:containers": {'k:{"name":"runtime"}': {".": {}, "f:image": {}}}},
                    },
                },
                {
                    "manager": "kubelet",
                    "operation": "Update",
                    "apiVersion": "v1",
                    "subresource": "status",
                    "time": "2026-01-01T10:00:06Z",
                    "fieldsType": "FieldsV1",
                    "fieldsV1": {"f:status": {"f:conditions": {}, "f:containerStatuses": {}, "f:phase": {}}},
                },
            ],
        },
        "spec": {
            "containers": [_container("runtime", runtime, index), _container("asya-sidecar", sidecar, index)],
            "volumes": [
                {"name": "asya-socket", "emptyDir": {}},
                {
                    "name": "kube-api-access-abcde",
                    "projected": {
                        "defaultMode": 420,
                        "sources": [
                            {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                            {
                                "configMap": {
                                    "name": "kube-root-ca.crt",
                                    "items": [{"key": "ca.crt", "path": "ca.crt"}],
                                }
                            },
                        ],
                    },
                },
            ],
            "restartPolicy": "Always",
            "terminationGracePeriodSeconds": 30,
            "dnsPolicy": "ClusterFirst",
            "serviceAccountName": "default",
            "nodeName": f"node-{index % 7}",
            "schedulerName": "default-scheduler",
            "tolerations": [
                {
                    "key": "node.kubernetes.io/not-ready",
                    "operator": "Exists",
                    "effect": "NoExecute",
                    "tolerationSeconds": 300,
                },
                {
                    "key": "node.kubernetes.io/unreachable",
                    "operator": "Exists",
                    "effect": "NoExecute",
                    "tolerationSeconds": 300,
                },
            ],
            "priority": 0,
            "enableServiceLinks": True,
            "preemptionPolicy": "PreemptLowerPriority",
        },
        "status": {
            "phase": "Running",
            "conditions": [
                {
                    "type": t,
                    "status": "True",
                    "lastProbeTime": None,
                    "lastTransitionTime": "2026-01-01T10:00:06Z",
                }
                for t in (
                    "PodReadyToStartContainers",
                    "Initialized",
                    "Ready",
                    "ContainersReady",
                    "PodScheduled",
                )
            ],
            "hostIP": f"10.0.0.{index % 7}",
            "podIP": f"10.244.{index // 250 % 250}.{index % 250}",
            "podIPs": [{"ip": f"10.244.{index // 250 % 250}.{index % 250}"}],
            "startTime": "2026-01-01T10:00:00Z",
            "containerStatuses": [_status("runtime", runtime, True), _status("asya-sidecar", sidecar, True)],
            "qosClass": "Burstable",
        },
    }
