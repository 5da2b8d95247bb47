"""URL → (group, version, resource, namespace, name, subresource, verb), as the API server routes them.

``/api/v1/...`` is the core group, ``/apis/<group>/<version>/...`` the others; ``namespaces/<ns>/<plural>``
scopes a namespaced resource, while ``/<plural>`` lists it across namespaces (or addresses a cluster-scoped
one). ``/api/v1/namespaces/<name>/status|finalize`` are the namespace's own subresources.
"""

from __future__ import annotations

from dataclasses import dataclass

from tests.kubeapi.watch import parse_bool


@dataclass(frozen=True, slots=True)
class Target:
    group: str
    version: str
    plural: str = ""
    namespace: str | None = None
    name: str = ""
    subresource: str = ""
    extra: tuple[str, ...] = ()

    @property
    def is_discovery(self) -> bool:
        return not self.plural


def parse(path: str) -> Target | None:
    """The resource a URL addresses, or None when it is not under /api or /apis/<group>/<version>."""
    parts = [p for p in path.split("/") if p]
    if len(parts) >= 2 and parts[0] == "api":
        group, version, rest = "", parts[1], parts[2:]
    elif len(parts) >= 3 and parts[0] == "apis":
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        return None
    if not rest:
        return Target(group, version)
    if (
        rest[0] == "namespaces"
        and len(rest) >= 3
        and not (group == "" and len(rest) == 3 and rest[2] in ("status", "finalize"))
    ):
        namespace, rest = rest[1], rest[2:]
    else:
        namespace = None
    plural = rest[0]
    name = rest[1] if len(rest) > 1 else ""
    sub = rest[2] if len(rest) > 2 else ""
    return Target(group, version, plural, namespace, name, sub, tuple(rest[3:]))


def verb_of(method: str, target: Target, query: dict[str, str]) -> str:
    if target.is_discovery:
        return "discovery"
    if method == "GET":
        if target.name:
            return "get"
        return "watch" if parse_bool(query.get("watch")) else "list"
    if method == "POST":
        return "create"
    if method == "PUT":
        return "update"
    if method == "PATCH":
        return "patch"
    if method == "DELETE":
        return "delete" if target.name else "deletecollection"
    return method.lower()
