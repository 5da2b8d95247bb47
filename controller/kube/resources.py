"""Kubernetes resource coordinates and object keys, as plain values.

Contract: a ``Resource`` names one API resource (group, version, plural, kind, whether namespaced) and builds
its REST paths; ``object_key`` is the ``namespace/name`` (or ``name`` for cluster-scoped objects) every part
of the machinery uses as the key of an object: in the cache, in the work queue, in log lines. Objects are
plain dicts as the API returns them (``Obj``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Obj = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Resource:
    """One API resource: ``Resource(group="apps", version="v1", plural="deployments", kind="Deployment")``."""

    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool = True

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def name(self) -> str:
        """``plural.group`` as kubectl spells it (``deployments.apps``; ``pods`` for the core group)."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    def path(
        self, *, namespace: str | None = None, name: str | None = None, subresource: str | None = None
    ) -> str:
        """The REST path of the collection (in ``namespace`` or across all) or of one object."""
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if self.namespaced and namespace:
            base += f"/namespaces/{namespace}"
        base += f"/{self.plural}"
        if name is not None:
            base += f"/{name}"
            if subresource:
                base += f"/{subresource}"
        return base

    def __str__(self) -> str:
        return self.name


def object_key(obj: Obj) -> str:
    """``namespace/name`` of ``obj`` (``name`` when it has no namespace)."""
    meta = obj.get("metadata") or {}
    name = meta.get("name") or ""
    namespace = meta.get("namespace")
    return f"{namespace}/{name}" if namespace else str(name)


def split_key(key: str) -> tuple[str | None, str]:
    """``"ns/name"`` → ``("ns", "name")``; ``"name"`` → ``(None, "name")``."""
    namespace, sep, name = key.partition("/")
    return (namespace, name) if sep else (None, namespace)


def make_key(namespace: str | None, name: str) -> str:
    return f"{namespace}/{name}" if namespace else name
