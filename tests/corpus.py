"""AsyncActors shared by the CRD's rule tests and the controller's own validation tests.

``RULE_CASES`` are well-formed actors (the OpenAPI schema accepts them), each with the admission rules it
breaks; ``SCHEMA_INVALID`` are actors whose spec the OpenAPI schema itself refuses. Specs are as a user
writes them: defaults left out.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from controller.api import rules
from controller.api.rules import Rule

RUNTIME = {
    "name": "asya-runtime",
    "image": "python:3.13-slim",
    "env": [{"name": "ASYA_HANDLER", "value": "m.f"}],
}


def spec(**sections: Any) -> dict[str, Any]:
    """A minimal valid spec, with ``sections`` replacing or adding top-level parts."""
    base: dict[str, Any] = {
        "transport": "rabbitmq",
        "workload": {"template": {"spec": {"containers": [copy.deepcopy(RUNTIME)]}}},
    }
    return {**base, **copy.deepcopy(sections)}


def pod(**fields: Any) -> dict[str, Any]:
    """A spec whose pod spec is exactly ``fields``."""
    return spec(workload={"template": {"spec": fields}})


def runtime(**fields: Any) -> dict[str, Any]:
    return {**copy.deepcopy(RUNTIME), **fields}


@dataclass(frozen=True)
class Case:
    id: str
    spec: Any
    breaks: tuple[Rule, ...] = ()
    name: str = "text-processor"

    @property
    def messages(self) -> list[str]:
        return sorted(rule.message for rule in self.breaks)


FULL = spec(
    sidecar={
        "image": "ghcr.io/asya/sidecar:1.2",
        "imagePullPolicy": "Always",
        "resources": {"limits": {"cpu": "500m", "memory": "256Mi"}, "requests": {"cpu": 0.1}},
        "env": [{"name": "ASYA_LOG_LEVEL", "value": "debug"}, {"name": "X", "valueFrom": {"fieldRef": {}}}],
    },
    timeout={"processing": 60, "gracefulShutdown": 0},
    scaling={
        "enabled": True,
        "minReplicas": 2,
        "maxReplicas": 20,
        "pollingInterval": 5,
        "cooldownPeriod": 0,
        "queueLength": 10,
        "advanced": {
            "formula": "queue * 2",
            "target": "10",
            "activationTarget": "1",
            "metricType": "AverageValue",
            "restoreToOriginalReplicaCount": True,
        },
    },
    workload={
        "kind": "StatefulSet",
        "replicas": 0,
        "pythonExecutable": "/usr/bin/python3.13",
        "template": {
            "metadata": {
                "labels": {"app": "text-processor", "team": "nlp"},
                "annotations": {"prometheus.io/scrape": "true"},
            },
            "spec": {
                "serviceAccountName": "reader",
                "initContainers": [
                    {"name": "fetch-model", "image": "busybox", "command": ["sh", "-c", "true"]}
                ],
                "containers": [
                    runtime(volumeMounts=[{"name": "models", "mountPath": "/models", "readOnly": True}]),
                    {"name": "helper", "image": "busybox", "command": ["sleep", "infinity"]},
                ],
                "volumes": [{"name": "models", "emptyDir": {}}, {"name": "tmp-data", "emptyDir": {}}],
                "nodeSelector": {"gpu": "true"},
            },
        },
    },
)

RULE_CASES: tuple[Case, ...] = (
    Case("minimal", spec()),
    Case("every field set", FULL),
    Case("runtime with an empty command", pod(containers=[runtime(command=[])])),
    Case("runtime with args only", pod(containers=[runtime(args=["--verbose"])])),
    Case("another container with a command", pod(containers=[runtime(), {"name": "x", "command": ["sh"]}])),
    Case("minReplicas equal to maxReplicas", spec(scaling={"minReplicas": 7, "maxReplicas": 7})),
    Case("minReplicas at the default maxReplicas", spec(scaling={"minReplicas": 50})),
    Case("target without formula", spec(scaling={"advanced": {"target": "5"}})),
    Case("name of 63 characters", spec(), name="a" * 63),
    Case("no asya-runtime container", pod(containers=[{"name": "app"}]), (rules.ONE_RUNTIME_CONTAINER,)),
    Case(
        "two asya-runtime containers", pod(containers=[runtime(), runtime()]), (rules.ONE_RUNTIME_CONTAINER,)
    ),
    Case(
        "init container named asya-runtime only",
        pod(initContainers=[runtime()], containers=[{"name": "app"}]),
        (rules.ONE_RUNTIME_CONTAINER,),
    ),
    Case(
        "container named asya-sidecar",
        pod(containers=[runtime(), {"name": "asya-sidecar"}]),
        (rules.SIDECAR_NAME_RESERVED,),
    ),
    Case(
        "init container named asya-sidecar",
        pod(containers=[runtime()], initContainers=[{"name": "asya-sidecar"}]),
        (rules.SIDECAR_NAME_RESERVED,),
    ),
    Case(
        "asya-runtime with a command",
        pod(containers=[runtime(command=["python", "main.py"])]),
        (rules.RUNTIME_COMMAND_RESERVED,),
    ),
    *(
        Case(
            f"volume named {volume}",
            pod(containers=[runtime()], volumes=[{"name": "data"}, {"name": volume, "emptyDir": {}}]),
            (rules.VOLUME_NAMES_RESERVED,),
        )
        for volume in ("socket-dir", "tmp", "asya-runtime")
    ),
    Case(
        "minReplicas above maxReplicas",
        spec(scaling={"minReplicas": 5, "maxReplicas": 3}),
        (rules.MIN_NOT_ABOVE_MAX,),
    ),
    Case(
        "minReplicas above the default maxReplicas",
        spec(scaling={"minReplicas": 51}),
        (rules.MIN_NOT_ABOVE_MAX,),
    ),
    Case(
        "formula without target",
        spec(scaling={"advanced": {"formula": "queue"}}),
        (rules.FORMULA_NEEDS_TARGET,),
    ),
    Case("name of 64 characters", spec(), (rules.NAME_LENGTH,), name="a" * 64),
    Case(
        "only a sidecar, with a runtime volume, under a long name",
        pod(containers=[{"name": "asya-sidecar"}], volumes=[{"name": "asya-runtime"}]),
        (
            rules.ONE_RUNTIME_CONTAINER,
            rules.SIDECAR_NAME_RESERVED,
            rules.VOLUME_NAMES_RESERVED,
            rules.NAME_LENGTH,
        ),
        name="b" * 80,
    ),
)

SCHEMA_INVALID: tuple[Case, ...] = (
    Case("no spec", None),
    Case("no transport", {k: v for k, v in spec().items() if k != "transport"}),
    Case("empty transport", spec(transport="")),
    Case("transport not a string", spec(transport=5)),
    Case("no workload", {"transport": "rabbitmq"}),
    Case("no pod spec", spec(workload={"template": {}})),
    Case("no containers", pod(volumes=[])),
    Case("container without a name", pod(containers=[runtime(), {"image": "busybox"}])),
    Case("container name of 64 characters", pod(containers=[runtime(), {"name": "c" * 64}])),
    Case("65 containers", pod(containers=[runtime(), *({"name": f"c{i}"} for i in range(64))])),
    Case("command not a list", pod(containers=[{"name": "x", "command": "sh"}, runtime()])),
    Case("volume without a name", pod(containers=[runtime()], volumes=[{"emptyDir": {}}])),
    Case("sidecar env without a name", spec(sidecar={"env": [{"value": "1"}]})),
    Case("unknown pull policy", spec(sidecar={"imagePullPolicy": "Sometimes"})),
    Case("processing timeout 0", spec(timeout={"processing": 0})),
    Case("negative graceful shutdown", spec(timeout={"gracefulShutdown": -1})),
    Case("negative minReplicas", spec(scaling={"minReplicas": -1})),
    Case("maxReplicas 0", spec(scaling={"maxReplicas": 0})),
    Case("maxReplicas beyond int32", spec(scaling={"maxReplicas": 2**31})),
    Case("queueLength 0", spec(scaling={"queueLength": 0})),
    Case("pollingInterval 0", spec(scaling={"pollingInterval": 0})),
    Case("enabled as a string", spec(scaling={"enabled": "true"})),
    Case("unknown metric type", spec(scaling={"advanced": {"metricType": "Average"}})),
    Case(
        "unknown workload kind",
        spec(workload={"kind": "Job", "template": {"spec": {"containers": [RUNTIME]}}}),
    ),
    Case(
        "negative replicas", spec(workload={"replicas": -1, "template": {"spec": {"containers": [RUNTIME]}}})
    ),
    Case(
        "label value not a string",
        spec(workload={"template": {"metadata": {"labels": {"tier": 1}}, "spec": {"containers": [RUNTIME]}}}),
    ),
)
