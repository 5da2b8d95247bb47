"""What a person sees with kubectl against the emulator: printer columns, pod columns, admission errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kubernetes_asyncio import client

from tests.kubectl import Kubectl

CRD_PATH = Path(__file__).parents[2] / "manifests" / "crd" / "asyncactors.asya.sh.yaml"

ACTOR = """
apiVersion: asya.sh/v1alpha1
kind: AsyncActor
metadata:
  name: {name}
  namespace: default
spec:
  transport: rabbitmq
  {extra}
  scaling:
    enabled: true
    maxReplicas: 10
  workload:
    template:
      spec:
        containers:
        - name: asya-runtime
          image: python:3.13-slim
          {command}
"""


def actor_yaml(name: str = "echo", *, extra: str = "", command: str = "") -> str:
    return ACTOR.format(name=name, extra=extra, command=command)


def table(text: str) -> list[list[str]]:
    """Rows of kubectl's tabular output, split on runs of two or more spaces (single spaces stay in cells)."""
    lines = [line for line in text.splitlines() if line.strip()]
    header = lines[0]
    starts = [i for i, ch in enumerate(header) if ch != " " and (i == 0 or header[i - 1] == " ")]
    starts = [s for s in starts if s == 0 or header[s - 2 : s] == "  "]
    bounds = [*starts[1:], None]
    return [[line[a:b].strip() for a, b in zip(starts, bounds, strict=True)] for line in lines]


async def test_get_asya_prints_the_printer_columns_and_wide_adds_the_priority_ones(kubectl: Kubectl) -> None:
    await kubectl("apply", "-f", str(CRD_PATH))
    await kubectl("apply", "--server-side", "-f", "-", stdin=actor_yaml())
    narrow = await kubectl("get", "asya")
    wide = await kubectl("get", "asyncactors", "-o", "wide")
    narrow_rows, wide_rows = table(narrow), table(wide)
    assert narrow_rows[0] == [
        "NAME", "STATUS", "RUNNING", "PENDING", "FAILING", "TOTAL", "DESIRED", "MIN", "MAX", "LAST-SCALE",
        "AGE",
    ]  # fmt: skip
    assert wide_rows[0][len(narrow_rows[0]) :] == [
        "READY",
        "WORKLOAD",
        "TRANSPORT",
        "SCALING",
        "QUEUED",
        "PROCESSING",
    ]
    row = dict(zip(wide_rows[0], wide_rows[1], strict=True))
    assert (row["NAME"], row["MIN"], row["MAX"], row["WORKLOAD"], row["STATUS"]) == (
        "echo",
        "0",
        "10",
        "Deployment",
        "",
    )


async def test_status_fields_show_up_in_the_columns(kubeapi_client: Any, kubectl: Kubectl) -> None:
    await kubectl("apply", "-f", str(CRD_PATH))
    await kubectl("apply", "--server-side", "-f", "-", stdin=actor_yaml())
    status = {
        "status": "Running",
        "replicas": 2,
        "desiredReplicas": 2,
        "lastScaleFormatted": "5m ago (up)",
        "conditions": [
            {
                "type": "Ready",
                "status": "True",
                "reason": "Running",
                "message": "",
                "lastTransitionTime": "2026-01-01T00:00:00Z",
            }
        ],
    }
    await client.CustomObjectsApi(kubeapi_client).patch_namespaced_custom_object_status(
        "asya.sh",
        "v1alpha1",
        "default",
        "asyncactors",
        "echo",
        {"status": status},
        _content_type="application/merge-patch+json",
    )
    wide = await kubectl("get", "asya", "echo", "-o", "wide")
    rows = table(wide)
    row = dict(zip(rows[0], rows[1], strict=True))
    assert (row["STATUS"], row["RUNNING"], row["DESIRED"], row["LAST-SCALE"], row["READY"]) == (
        "Running",
        "2",
        "2",
        "5m ago (up)",
        "True",
    )


async def test_apply_of_an_invalid_actor_shows_the_cel_message(kubectl: Kubectl) -> None:
    await kubectl("apply", "-f", str(CRD_PATH))
    refused = await kubectl.run("apply", "-f", "-", stdin=actor_yaml("bad", command="command: [python3]"))
    assert refused.code == 1
    assert (
        'The AsyncActor "bad" is invalid: spec.workload.template.spec: Invalid value: "object": '
        in refused.err
    )
    assert "the asya-runtime container must not set command" in refused.err
    code, err = (missing := await kubectl.run("get", "asya", "bad")).code, missing.err
    assert code == 1
    assert "NotFound" in err


async def test_defaults_are_visible_and_unknown_fields_are_gone_after_create(kubectl: Kubectl) -> None:
    await kubectl("apply", "-f", str(CRD_PATH))
    await kubectl("apply", "--validate=false", "-f", "-", stdin=actor_yaml(extra="replicaCount: 3"))
    out = await kubectl("get", "asya", "echo", "-o", "json")
    spec = json.loads(out)["spec"]
    assert "replicaCount" not in spec
    assert (spec["workload"]["kind"], spec["workload"]["replicas"], spec["scaling"]["queueLength"]) == (
        "Deployment",
        1,
        5,
    )


def pod(name: str, app: str) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "labels": {"app": app}},
        "spec": {
            "containers": [
                {"name": "asya-runtime", "image": "python:3.13"},
                {"name": "asya-sidecar", "image": "s"},
            ]
        },
    }


def container(name: str, state: dict[str, Any], *, ready: bool = False, restarts: int = 0) -> dict[str, Any]:
    return {
        "name": name,
        "ready": ready,
        "restartCount": restarts,
        "image": "i",
        "imageID": "",
        "state": state,
    }


async def test_get_pods_shows_the_status_kubectl_would_compute(kubeapi_client: Any, kubectl: Kubectl) -> None:
    core = client.CoreV1Api(kubeapi_client)
    statuses = {
        "ok": {
            "phase": "Running",
            "podIP": "10.1.0.7",
            "conditions": [{"type": "Ready", "status": "True"}],
            "containerStatuses": [
                container("asya-runtime", {"running": {}}, ready=True),
                container("asya-sidecar", {"running": {}}, ready=True),
            ],
        },
        "crashing": {
            "phase": "Running",
            "containerStatuses": [
                container("asya-runtime", {"waiting": {"reason": "CrashLoopBackOff"}}, restarts=4),
                container("asya-sidecar", {"running": {}}, ready=True),
            ],
        },
        "pulling": {
            "phase": "Pending",
            "containerStatuses": [
                container("asya-runtime", {"waiting": {"reason": "ImagePullBackOff"}}),
                container("asya-sidecar", {"waiting": {"reason": "ContainerCreating"}}),
            ],
        },
    }
    for name, status in statuses.items():
        await core.create_namespaced_pod("default", pod(name, "x"))
        await core.patch_namespaced_pod_status(name, "default", {"status": status})
    await core.create_namespaced_pod("default", pod("other", "y"))

    out = await kubectl("get", "pods", "-l", "app=x")
    rows = table(out)
    assert rows[0] == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert [r[:4] for r in rows[1:]] == [
        ["crashing", "1/2", "CrashLoopBackOff", "4"],
        ["ok", "2/2", "Running", "0"],
        ["pulling", "0/2", "ImagePullBackOff", "0"],
    ]
    wide = await kubectl("get", "pod", "ok", "-o", "wide")
    wide_rows = table(wide)
    assert wide_rows[0][5:] == ["IP", "NODE", "NOMINATED NODE", "READINESS GATES"]
    assert wide_rows[1][5:] == ["10.1.0.7", "<none>", "<none>", "<none>"]


async def test_kubectl_accepts_the_crd_manifest_in_a_client_dry_run(kubectl: Kubectl) -> None:
    out = await kubectl("apply", "--dry-run=client", "-f", str(CRD_PATH))
    crd = "customresourcedefinition.apiextensions.k8s.io/asyncactors.asya.sh"
    assert out.strip() == f"{crd} created (dry run)"
