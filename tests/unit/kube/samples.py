"""Sample objects shared by the unit tests of the cache and the object helpers."""

from __future__ import annotations

from typing import Any

from controller.kube.objects import trimmer

trim_pod = trimmer(
    "metadata.labels",
    "metadata.ownerReferences",
    "status.phase",
    "status.containerStatuses[].name",
    "status.containerStatuses[].ready",
)


def pod(
    name: str, *, ns: str = "ns", actor: str = "a", rv: str = "1", phase: str = "Running", **extra: Any
) -> Any:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": ns,
            "uid": f"uid-{name}",
            "resourceVersion": rv,
            "labels": {"asya.sh/actor": actor},
            "ownerReferences": [{"kind": "ReplicaSet", "name": "rs", "uid": f"owner-{actor}"}],
            "managedFields": [{"manager": "kubelet"}],
        },
        "spec": {"containers": [{"name": "c", "image": "x", "env": [{"name": "A", "value": "1"}]}]},
        "status": {
            "phase": phase,
            "containerStatuses": [{"name": "c", "ready": True, "restartCount": 0, "imageID": "sha"}],
        },
        **extra,
    }
