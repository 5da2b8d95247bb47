"""Kubernetes ``Status`` failures as exceptions, with the real API server's reasons, codes and messages.

A handler raises :class:`StatusError`; the HTTP layer turns it into the JSON ``Status`` body the real server
sends (``kind: Status``, ``status: Failure``, ``reason``, ``message``, ``details``, ``code``). Messages follow
the wording of k8s.io/apimachinery ``pkg/api/errors`` so that clients matching on them behave as on a cluster.
"""

from __future__ import annotations

from typing import Any


class StatusError(Exception):
    """A failed request: ``code`` is the HTTP status, ``body()`` the ``Status`` object the server returns."""

    def __init__(
        self,
        code: int,
        reason: str,
        message: str,
        *,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        status: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
        }
        if self.details is not None:
            status["details"] = self.details
        status["code"] = self.code
        return status


def qualified(plural: str, group: str) -> str:
    """``deployments.apps`` for grouped resources, ``pods`` for core ones, as the server names them."""
    return f"{plural}.{group}" if group else plural


def _details(name: str, plural: str, group: str, **extra: Any) -> dict[str, Any]:
    details: dict[str, Any] = {"name": name}
    if group:
        details["group"] = group
    details["kind"] = plural
    details.update(extra)
    return details


def not_found(plural: str, group: str, name: str) -> StatusError:
    return StatusError(
        404,
        "NotFound",
        f'{qualified(plural, group)} "{name}" not found',
        details=_details(name, plural, group),
    )


def already_exists(plural: str, group: str, name: str) -> StatusError:
    return StatusError(
        409,
        "AlreadyExists",
        f'{qualified(plural, group)} "{name}" already exists',
        details=_details(name, plural, group),
    )


def conflict(plural: str, group: str, name: str, why: str) -> StatusError:
    return StatusError(
        409,
        "Conflict",
        f'Operation cannot be fulfilled on {qualified(plural, group)} "{name}": {why}',
        details=_details(name, plural, group),
    )


STALE = "the object has been modified; please apply your changes to the latest version and try again"


def invalid(kind: str, group: str, name: str, causes: list[tuple[str, str, str]]) -> StatusError:
    """422 ``Invalid``; ``causes`` are ``(field, reason, message)`` with reason e.g.
    ``FieldValueRequired``."""
    what = f"{kind}.{group}" if group else kind
    texts = [f"{field}: {message}" for field, _, message in causes]
    summary = texts[0] if len(texts) == 1 else "[" + ", ".join(texts) + "]"
    details: dict[str, Any] = {"name": name}
    if group:
        details["group"] = group
    details["kind"] = kind
    details["causes"] = [{"reason": r, "message": m, "field": f} for f, r, m in causes]
    return StatusError(422, "Invalid", f'{what} "{name}" is invalid: {summary}', details=details)


def bad_request(message: str) -> StatusError:
    return StatusError(400, "BadRequest", message)


def forbidden(
    plural: str, group: str, name: str, why: str, *, causes: list[dict[str, str]] | None = None
) -> StatusError:
    extra: dict[str, Any] = {"causes": causes} if causes else {}
    return StatusError(
        403,
        "Forbidden",
        f'{qualified(plural, group)} "{name}" is forbidden: {why}',
        details=_details(name, plural, group, **extra),
    )


def method_not_allowed() -> StatusError:
    return StatusError(
        405, "MethodNotAllowed", "the server does not allow this method on the requested resource", details={}
    )


def unsupported_media_type(content_type: str, accepted: list[str]) -> StatusError:
    return StatusError(
        415,
        "UnsupportedMediaType",
        "the body of the request was in an unknown format - accepted media types include: "
        + ", ".join(accepted),
    )


def expired(message: str) -> StatusError:
    return StatusError(410, "Expired", message)


def too_large_resource_version(requested: int, current: int) -> StatusError:
    """504 for a resourceVersion the server has not reached (it waits a few seconds before answering)."""
    return StatusError(
        504,
        "Timeout",
        f"Too large resource version: {requested}, current: {current}",
        details={
            "causes": [{"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}],
            "retryAfterSeconds": 1,
        },
    )


def path_not_found(path: str) -> StatusError:
    """What the real server answers for a URL no resource serves (404 with no details)."""
    return StatusError(404, "NotFound", "the server could not find the requested resource", details={})


def success(plural: str, group: str, name: str, uid: str) -> dict[str, Any]:
    """The ``Status`` a DELETE returns when the object is gone at once (``Kind`` holds the resource, sic)."""
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "details": _details(name, plural, group, uid=uid),
    }
