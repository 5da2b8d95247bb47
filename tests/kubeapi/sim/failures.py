"""What will go wrong with a pod: chosen by an annotation, or by the pod itself as on a real cluster.

The annotation `sim.asya.sh/fail` on a pod (put it on the workload's pod template) takes a comma-separated
list of `<mode>[:<container>]`; without a container the mode applies to the first app container:

- `crash-loop`: the container exits 1 (`Error`) `crash_after` after each start and restarts on the kubelet's
  back-off schedule: `CrashLoopBackOff` waiting state, `BackOff` Warning events, growing `restartCount`;
- `oom-kill`: as `crash-loop`, but terminated with reason `OOMKilled`, exit code 137;
- `fail-after-ready`: the container becomes Ready, then exits 1 after `fail_after`; restarts with back-off;
- `image-pull`: pulling the container's image fails (`ErrImagePull`, `ImagePullBackOff`, `Failed` events);
- `unschedulable`: no node fits the pod (`PodScheduled=False`, `Unschedulable`, `FailedScheduling`);
- `mount`: the pod's first ConfigMap/Secret volume fails to mount (`FailedMount`), the pod stays
  ContainerCreating;
- `config`: the container cannot be configured (`CreateContainerConfigError`, `Failed` events);
- `never-ready`: the container runs but its readiness probe always fails (`Unhealthy` events); added to a
  pod that runs already (`kubectl annotate pod`), it makes that one pod unready from then on, until removed;
- `slow-start`: the container runs but becomes Ready only after `slow_start`;
- `slow-stop`: the container ignores SIGTERM, so deletion takes the whole grace period.

Without the annotation, the pod fails by itself where a real cluster would: an image from a registry outside
the known list (`KNOWN_REGISTRIES`, extendable) fails to pull with containerd's `no such host` error; an image
name that is not a valid reference gives `InvalidImageName`; a volume referring to a ConfigMap or Secret that
does not exist (or to a key it lacks) fails to mount; an env `valueFrom`/`envFrom` referring to a missing
ConfigMap, Secret or key gives `CreateContainerConfigError` — each unless marked `optional`.

Image references follow the distribution reference grammar closely enough for the usual cases (host with a
dot, a colon or `localhost`; lowercase path components; default tag `latest`; short names normalized to
`docker.io/library/…`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from fnmatch import fnmatch
from typing import Any, Literal

from tests.kubeapi.sim import messages

ANNOTATION = "sim.asya.sh/fail"
MODES = frozenset(
    {
        "crash-loop",
        "oom-kill",
        "fail-after-ready",
        "image-pull",
        "unschedulable",
        "mount",
        "config",
        "never-ready",
        "slow-start",
        "slow-stop",
    }
)
KNOWN_REGISTRIES = (
    "docker.io",
    "index.docker.io",
    "registry-1.docker.io",
    "ghcr.io",
    "quay.io",
    "gcr.io",
    "*.gcr.io",
    "*.pkg.dev",
    "registry.k8s.io",
    "k8s.gcr.io",
    "public.ecr.aws",
    "*.amazonaws.com",
    "mcr.microsoft.com",
    "*.azurecr.io",
    "registry.gitlab.com",
    "localhost",
    "localhost:*",
    "127.0.0.1:*",
)

Kind = Literal["configmap", "secret"]
# (kind, namespace, name) -> the object's keys, or None when it does not exist
Lookup = Callable[[Kind, str, str], frozenset[str] | None]


@dataclass(frozen=True, slots=True)
class Fault:
    mode: str
    container: str | None = None


def parse_faults(value: str | None) -> tuple[list[Fault], list[str]]:
    """The faults an annotation value asks for, and a complaint for each part that is not a known mode."""
    faults: list[Fault] = []
    errors: list[str] = []
    for part in (value or "").split(","):
        part = part.strip()
        if not part:
            continue
        mode, _, container = part.partition(":")
        if mode not in MODES:
            errors.append(f"unknown {ANNOTATION} mode {mode!r} (known: {', '.join(sorted(MODES))})")
            continue
        faults.append(Fault(mode, container or None))
    return faults, errors


def faults_for(pod: Mapping[str, Any]) -> dict[str, set[str]]:
    """Modes per container name (the empty name holds pod-level modes such as `unschedulable`)."""
    annotations = (pod.get("metadata") or {}).get("annotations") or {}
    faults, _ = parse_faults(annotations.get(ANNOTATION))
    containers = (pod.get("spec") or {}).get("containers") or []
    first = containers[0]["name"] if containers else ""
    result: dict[str, set[str]] = {}
    for fault in faults:
        target = "" if fault.mode in ("unschedulable", "mount") else fault.container or first
        result.setdefault(target, set()).add(fault.mode)
    return result


# Images ----------------------------------------------------------------------------------------------------

_COMPONENT = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$")
_TAG = re.compile(r"^[\w][\w.-]{0,127}$")


@dataclass(frozen=True, slots=True)
class ImageRef:
    host: str
    path: str
    tag: str
    digest: str

    @property
    def reference(self) -> str:
        """The fully qualified reference containerd reports (`docker.io/library/nginx:latest`)."""
        suffix = f"@{self.digest}" if self.digest else f":{self.tag}"
        return f"{self.host}/{self.path}{suffix}"


def parse_image(image: str) -> ImageRef | str:
    """The parsed reference, or the reason the name is invalid (`invalid reference format…`)."""
    name, _, digest = image.partition("@")
    head, _, last = name.rpartition("/")
    tag = ""
    if ":" in last:
        last, _, tag = last.partition(":")
    name = f"{head}/{last}" if head else last
    parts = name.split("/")
    host = "docker.io"
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        host, parts = parts[0], parts[1:]
    elif len(parts) == 1:
        parts = ["library", *parts]
    if not name or not all(parts):
        return "invalid reference format"
    if any(component != component.lower() for component in parts):
        return "invalid reference format: repository name must be lowercase"
    if not all(_COMPONENT.match(component) for component in parts):
        return "invalid reference format"
    if tag and not _TAG.match(tag):
        return "invalid reference format"
    return ImageRef(host=host, path="/".join(parts), tag=tag or "latest", digest=digest)


def registry_known(host: str, known: Iterable[str] = KNOWN_REGISTRIES) -> bool:
    return any(fnmatch(host, pattern) for pattern in known)


def pull_error(image: str, *, forced: bool, known: Iterable[str] = KNOWN_REGISTRIES) -> str | None:
    """The CRI error pulling `image` gives, or None when it succeeds (`forced`: the `image-pull` mode)."""
    ref = parse_image(image)
    if isinstance(ref, str):
        return None  # reported as InvalidImageName before any pull
    if not registry_known(ref.host, known):
        return messages.registry_unreachable(ref.reference, ref.reference, ref.host, ref.path, ref.tag)
    if forced:
        return messages.image_not_found(ref.reference)
    return None


# Volumes and configuration ---------------------------------------------------------------------------------


def _object_problem(
    kind: Kind, namespace: str, source: Mapping[str, Any], lookup: Lookup, *, name_key: str
) -> str | None:
    if source.get("optional"):
        return None
    name = source.get(name_key) or ""
    keys = lookup(kind, namespace, name)
    if keys is None:
        return messages.not_found(kind, name)
    for item in source.get("items") or []:
        if item.get("key") not in keys:
            return messages.missing_volume_key(kind, item.get("key", ""))
    return None


def volume_problem(
    spec: Mapping[str, Any], namespace: str, lookup: Lookup, *, forced: bool = False
) -> tuple[str, str] | None:
    """(volume name, cause) of the first volume that cannot be set up, or None.
    `forced` (the `mount` mode) fails the first ConfigMap/Secret volume as if its object were missing."""
    for volume in spec.get("volumes") or []:
        sources: list[tuple[Kind, Mapping[str, Any], str]] = []
        if "configMap" in volume:
            sources.append(("configmap", volume["configMap"] or {}, "name"))
        if "secret" in volume:
            sources.append(("secret", volume["secret"] or {}, "secretName"))
        for projection in ((volume.get("projected") or {}).get("sources")) or []:
            if "configMap" in projection:
                sources.append(("configmap", projection["configMap"] or {}, "name"))
            if "secret" in projection:
                sources.append(("secret", projection["secret"] or {}, "name"))
        for kind, source, name_key in sources:
            if forced:
                return volume["name"], messages.not_found(kind, source.get(name_key) or "")
            cause = _object_problem(kind, namespace, source, lookup, name_key=name_key)
            if cause:
                return volume["name"], cause
    if forced:
        volumes = spec.get("volumes") or []
        name = volumes[0]["name"] if volumes else "data"
        return name, messages.not_found("configmap", name)
    return None


_ENV_FROM: tuple[tuple[str, Kind], ...] = (("configMapRef", "configmap"), ("secretRef", "secret"))
_VALUE_FROM: tuple[tuple[str, Kind, str], ...] = (
    ("configMapKeyRef", "configmap", "ConfigMap"),
    ("secretKeyRef", "secret", "Secret"),
)


def config_problem(container: Mapping[str, Any], namespace: str, lookup: Lookup) -> str | None:
    """Why the kubelet cannot build the container's environment, or None (envFrom is read before env)."""
    for source in container.get("envFrom") or []:
        for field, kind in _ENV_FROM:
            ref = source.get(field)
            if ref is None or ref.get("optional"):
                continue
            if lookup(kind, namespace, ref.get("name") or "") is None:
                return messages.not_found(kind, ref.get("name") or "")
    for variable in container.get("env") or []:
        value_from = variable.get("valueFrom") or {}
        for field, kind, label in _VALUE_FROM:
            ref = value_from.get(field)
            if ref is None or ref.get("optional"):
                continue
            keys = lookup(kind, namespace, ref.get("name") or "")
            if keys is None:
                return messages.not_found(kind, ref.get("name") or "")
            if ref.get("key") not in keys:
                return messages.missing_env_key(ref.get("key", ""), label, namespace, ref.get("name") or "")
    return None


def forced_config_problem(container: Mapping[str, Any], namespace: str) -> str:
    """The `config` mode's message: the container's first referenced key, else a missing Secret."""
    for variable in container.get("env") or []:
        value_from = variable.get("valueFrom") or {}
        for field, label in (("configMapKeyRef", "ConfigMap"), ("secretKeyRef", "Secret")):
            ref = value_from.get(field)
            if ref:
                return messages.missing_env_key(ref.get("key", ""), label, namespace, ref.get("name") or "")
    return messages.not_found("secret", f"{container.get('name', 'app')}-config")
