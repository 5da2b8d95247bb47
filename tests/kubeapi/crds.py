"""CustomResourceDefinitions as the server keeps them: the checks without which a CRD could not be served,
and the state a new one is stored in (the ``customresourcecleanup.apiextensions.k8s.io`` finalizer, accepted
names with ``singular`` and ``listKind`` defaulted, conditions ``NamesAccepted`` and ``Established`` at once,
``storedVersions``). Simplification: a real server validates far more (schemas, names, conversion) and
establishes a CRD a moment after creating it.
"""

from __future__ import annotations

from typing import Any

from tests.kubeapi import errors
from tests.kubeapi.resources import CRD_FINALIZER, ResourceType


def validate_crd(rt: ResourceType, crd: dict[str, Any]) -> None:
    """The checks of a CRD without which it could not be served (a real server checks far more)."""
    spec: dict[str, Any] = crd["spec"] if isinstance(crd.get("spec"), dict) else {}
    names: dict[str, Any] = spec["names"] if isinstance(spec.get("names"), dict) else {}
    name = crd["metadata"]["name"]
    causes: list[tuple[str, str, str]] = []
    for field, value in (
        ("spec.group", spec.get("group")),
        ("spec.names.plural", names.get("plural")),
        ("spec.names.kind", names.get("kind")),
    ):
        if not value or not isinstance(value, str):
            causes.append((field, "FieldValueRequired", "Required value"))
    if spec.get("scope") not in ("Namespaced", "Cluster"):
        causes.append(
            (
                "spec.scope",
                "FieldValueNotSupported",
                f'Unsupported value: "{spec.get("scope")}": supported values: "Cluster", "Namespaced"',
            )
        )
    versions = spec.get("versions")
    if not isinstance(versions, list) or not versions:
        causes.append(("spec.versions", "FieldValueInvalid", "Invalid value: must have at least one version"))
    elif not all(isinstance(v, dict) and isinstance(v.get("name"), str) and v["name"] for v in versions):
        causes.append(("spec.versions[0].name", "FieldValueRequired", "Required value"))
    elif sum(1 for v in versions if v.get("storage")) != 1:
        causes.append(
            (
                "spec.versions",
                "FieldValueInvalid",
                "Invalid value: must have exactly one version marked as storage version",
            )
        )
    if not causes and name != f"{names['plural']}.{spec['group']}":
        causes.append(
            (
                "metadata.name",
                "FieldValueInvalid",
                f'Invalid value: "{name}": must be spec.names.plural+"."+spec.group',
            )
        )
    if causes:
        raise errors.invalid(rt.kind, rt.group, name, causes)


def prepare_crd(rt: ResourceType, obj: dict[str, Any], *, now: str) -> dict[str, Any]:
    """A new CRD as the server stores it: validated, with its cleanup finalizer and an Established status."""
    validate_crd(rt, obj)
    spec = obj.get("spec") or {}
    names = dict(spec.get("names") or {})
    names.setdefault("singular", str(names.get("kind", "")).lower())
    names.setdefault("listKind", f"{names.get('kind', '')}List")
    versions = spec.get("versions") or []
    storage = [v["name"] for v in versions if v.get("storage")]
    meta = obj["metadata"]
    finalizers = list(meta.get("finalizers") or [])
    if CRD_FINALIZER not in finalizers:
        finalizers.append(CRD_FINALIZER)
    meta["finalizers"] = finalizers
    obj["status"] = {
        "acceptedNames": names,
        "conditions": [
            {
                "type": "NamesAccepted",
                "status": "True",
                "lastTransitionTime": now,
                "reason": "NoConflicts",
                "message": "no conflicts found",
            },
            {
                "type": "Established",
                "status": "True",
                "lastTransitionTime": now,
                "reason": "InitialNamesAccepted",
                "message": "the initial names have been accepted",
            },
        ],
        "storedVersions": storage,
    }
    return obj
