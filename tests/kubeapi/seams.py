"""The two places where custom-resource admission and Table rendering plug in.

# SEAM: admission. Every write of a custom resource — create, update, every patch type, apply, on the main
# resource and on /status and /scale — passes through :func:`admit_custom_resource` exactly once, after the
# change is merged and before it is stored. It runs ``schema.admit`` with the CRD version's schema (on /status
# only ``.status`` is checked against the schema, as the server's status strategy does) and turns its causes
# into the server's 422 ``Invalid`` Status. Unknown fields (``schema.unknown_fields``) fail the write with
# the server's 400 "strict decoding error" under ``fieldValidation=Strict`` (what kubectl sends), become
# ``Warning`` headers under ``Warn`` or when the parameter is absent, and are pruned silently under
# ``Ignore``. Simplification: apply requests report them the same way (a server words them as "field not
# declared in schema" there). The caller decides ``metadata.generation`` on the admitted object, as the
# server does after pruning and defaulting: a write that only adds unknown fields or restates defaults does
# not bump it.
#
# SEAM: tables. Every request whose ``Accept`` asks for ``as=Table`` is answered by :func:`render_table`
# (``tables.render_table``): printer columns for custom resources, the built-in printers' columns otherwise.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from tests.kubeapi import errors, tables
from tests.kubeapi.fielderrors import Invalid, strict_decoding_status
from tests.kubeapi.resources import ResourceType
from tests.kubeapi.schema import admit, unknown_fields

# Per request (each request is its own task): the ``fieldValidation`` query parameter ("" when absent, which
# the server treats as Warn), and the warnings to send back as ``Warning: 299 - "..."`` headers (kubectl
# prints them).
field_validation: ContextVar[str] = ContextVar("field_validation", default="")
warnings: ContextVar[list[str] | None] = ContextVar("warnings", default=None)


def warn(message: str) -> None:
    """Add a ``Warning`` header to the response of the current request (no-op outside a request)."""
    pending = warnings.get()
    if pending is not None:
        pending.append(message)


def admit_custom_resource(
    *,
    rt: ResourceType,
    obj: dict[str, Any],
    old: dict[str, Any] | None,
    subresource: str,
    field_validation: str,
) -> dict[str, Any]:
    """The object to store for a write of a custom resource (``rt.raw_schema`` is its CRD version's schema).

    ``field_validation`` is ``Strict``, ``Warn``, ``Ignore`` or "" (absent: Warn). Raise
    ``errors.StatusError`` (422 ``Invalid``, or 400 for Strict unknown fields) to reject the write; call
    :func:`warn` for Warn.
    """
    if rt.raw_schema is None:
        return obj
    if field_validation != "Ignore":
        unknown = unknown_fields(schema=rt.raw_schema, obj=obj)
        if unknown and field_validation == "Strict":
            body = strict_decoding_status(kind=rt.kind, version=rt.version, fields=unknown)
            raise errors.StatusError(400, "BadRequest", body["message"])
        for path in unknown:
            warn(f'unknown field "{path}"')
    try:
        admitted = admit(
            schema=rt.raw_schema,
            obj=obj,
            old=old,
            subresource="status" if subresource == "status" else None,
        )
    except Invalid as invalid:
        name = str((obj.get("metadata") or {}).get("name", ""))
        body = invalid.status(group=rt.group, kind=rt.kind, name=name)
        raise errors.StatusError(422, "Invalid", body["message"], details=body["details"]) from None
    return admitted


def render_table(
    *, rt: ResourceType, objects: list[dict[str, Any]], list_meta: dict[str, Any] | None, include_object: str
) -> dict[str, Any] | None:
    """A meta.k8s.io/v1 Table for ``objects`` (one object when ``list_meta`` is None).

    ``include_object`` is the ``includeObject`` query parameter (``None``/``Metadata``/``Object``, default
    ``Metadata`` as on the server); ``rt.printer_columns`` holds a CRD version's additionalPrinterColumns.
    """
    meta = list_meta if list_meta is not None else {}
    if list_meta is None and objects:
        meta = {"resourceVersion": (objects[0].get("metadata") or {}).get("resourceVersion")}
    served = [
        {
            "apiVersion": rt.api_version,
            "kind": rt.kind,
            **{k: v for k, v in o.items() if k not in ("apiVersion", "kind")},
        }
        for o in objects
    ]
    try:
        return tables.render_table(
            group=rt.group,
            resource=rt.plural,
            objects=served,
            printer_columns=list(rt.printer_columns) if rt.custom else None,
            include_object=include_object,
            resource_version=meta.get("resourceVersion"),
            continue_token=meta.get("continue"),
            remaining_item_count=meta.get("remainingItemCount"),
        )
    except ValueError as error:
        raise errors.bad_request(str(error)) from None
