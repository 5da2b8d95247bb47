"""The two places where custom-resource admission and Table rendering plug in.

# SEAM: admission. Every write of a custom resource — create, update, every patch type, apply, on the main
# resource and on /status and /scale — passes through :func:`admit_custom_resource` exactly once, after the
# change is merged and before it is stored. For now it admits everything unchanged: no pruning, defaulting,
# structural or CEL validation (``tests/kubeapi/schema.py`` is meant to be called from here, raising a
# StatusError 422 built from its field causes).
#
# SEAM: tables. Every request whose ``Accept`` asks for ``as=Table`` is answered by :func:`render_table`.
# For now it returns None, and the caller then answers with the plain object or list, which kubectl also
# accepts (it prints NAME and AGE) — ``tests/kubeapi/tables.py`` is meant to be called from here.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from tests.kubeapi.resources import ResourceType

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
    return obj


def render_table(
    *, rt: ResourceType, objects: list[dict[str, Any]], list_meta: dict[str, Any] | None, include_object: str
) -> dict[str, Any] | None:
    """A meta.k8s.io/v1 Table for ``objects`` (one object when ``list_meta`` is None), or None for plain
    output.

    ``include_object`` is the ``includeObject`` query parameter (``None``/``Metadata``/``Object``, default
    ``Metadata`` as on the server); ``rt.printer_columns`` holds a CRD version's additionalPrinterColumns.
    """
    return None
