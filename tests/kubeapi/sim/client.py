"""JSON over the Kubernetes REST API through kubernetes-asyncio, as the simulators' only way to the cluster.

Requests go through `ApiClient.call_api` — kubernetes-asyncio's own HTTP machinery, with its configuration,
authentication and connection pool — but bodies stay plain JSON dicts: the simulators handle thousands of
pods, and building kubernetes-asyncio's model objects for each would cost more than the work itself. Every
request has a timeout; a watch has a server-side `timeoutSeconds` and a client read timeout a little longer,
so a stalled stream is noticed.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
from kubernetes_asyncio.client import ApiClient

REQUEST_TIMEOUT = 30.0
WATCH_TIMEOUT = 240

MERGE = "application/merge-patch+json"
STRATEGIC = "application/strategic-merge-patch+json"
APPLY = "application/apply-patch+yaml"


@dataclass(frozen=True, slots=True)
class Resource:
    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool = True

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    def path(
        self, namespace: str | None = None, name: str | None = None, subresource: str | None = None
    ) -> str:
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if self.namespaced and namespace:
            base += f"/namespaces/{namespace}"
        base += f"/{self.plural}"
        if name:
            base += f"/{name}"
            if subresource:
                base += f"/{subresource}"
        return base


NAMESPACES = Resource("", "v1", "namespaces", "Namespace", namespaced=False)
NODES = Resource("", "v1", "nodes", "Node", namespaced=False)
PODS = Resource("", "v1", "pods", "Pod")
EVENTS = Resource("", "v1", "events", "Event")
EVENTS_V1 = Resource("events.k8s.io", "v1", "events", "Event")
CONFIGMAPS = Resource("", "v1", "configmaps", "ConfigMap")
SECRETS = Resource("", "v1", "secrets", "Secret")
DEPLOYMENTS = Resource("apps", "v1", "deployments", "Deployment")
REPLICASETS = Resource("apps", "v1", "replicasets", "ReplicaSet")
STATEFULSETS = Resource("apps", "v1", "statefulsets", "StatefulSet")
HPAS = Resource("autoscaling", "v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler")
CRDS = Resource("apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition", False)
SCALEDOBJECTS = Resource("keda.sh", "v1alpha1", "scaledobjects", "ScaledObject")
TRIGGERAUTHS = Resource("keda.sh", "v1alpha1", "triggerauthentications", "TriggerAuthentication")


class ApiError(Exception):
    """A non-2xx answer; `status` is the HTTP status, `reason` the Status reason (NotFound, Conflict, …)."""

    def __init__(self, status: int, body: Mapping[str, Any]) -> None:
        self.status = status
        self.reason = str(body.get("reason") or "")
        self.body = body
        super().__init__(f"{status} {self.reason}: {body.get('message', '')}")


class WatchExpired(Exception):
    """The watch's resourceVersion is older than the server's history (410 Gone): relist."""


def owner_reference(obj: Mapping[str, Any], *, controller: bool = True) -> dict[str, Any]:
    metadata = obj["metadata"]
    return {
        "apiVersion": obj.get("apiVersion", ""),
        "kind": obj.get("kind", ""),
        "name": metadata["name"],
        "uid": metadata["uid"],
        "controller": controller,
        "blockOwnerDeletion": True,
    }


def controller_uid(obj: Mapping[str, Any]) -> str | None:
    for ref in (obj.get("metadata") or {}).get("ownerReferences") or []:
        if ref.get("controller"):
            return str(ref.get("uid"))
    return None


class Kube:
    """The few verbs the simulators need, on dicts."""

    def __init__(self, api_client: ApiClient, *, timeout: float = REQUEST_TIMEOUT) -> None:
        self.api_client = api_client
        self.timeout = timeout

    async def request(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, Any] | None = None,
        body: Any = None,
        content_type: str = "application/json",
    ) -> dict[str, Any]:
        response = await self.api_client.call_api(
            path,
            method,
            query_params=list((query or {}).items()),
            header_params={"Content-Type": content_type, "Accept": "application/json"},
            body=body,
            auth_settings=["BearerToken"],
            _preload_content=False,
            _request_timeout=self.timeout,
        )
        try:
            raw = await response.read()
        finally:
            response.release()
        data = json.loads(raw) if raw else {}
        if response.status >= 300:
            raise ApiError(response.status, data if isinstance(data, dict) else {})
        return data if isinstance(data, dict) else {}

    async def get(self, resource: Resource, namespace: str | None, name: str) -> dict[str, Any] | None:
        try:
            return await self.request("GET", resource.path(namespace, name))
        except ApiError as error:
            if error.status == 404:
                return None
            raise

    async def list(
        self, resource: Resource, namespace: str | None = None, **query: Any
    ) -> tuple[list[dict[str, Any]], str]:
        """Every object (following `continue`), and the list's resourceVersion."""
        items: list[dict[str, Any]] = []
        params = {_camel(k): v for k, v in query.items() if v is not None}
        params.setdefault("limit", 500)
        while True:
            page = await self.request("GET", resource.path(namespace), query=params)
            items.extend(page.get("items") or [])
            token = (page.get("metadata") or {}).get("continue")
            if not token:
                return items, str((page.get("metadata") or {}).get("resourceVersion", ""))
            params["continue"] = token

    async def create(
        self, resource: Resource, namespace: str | None, body: Mapping[str, Any], **query: Any
    ) -> dict[str, Any]:
        return await self.request("POST", resource.path(namespace), body=body, query=_query(query))

    async def patch(
        self,
        resource: Resource,
        namespace: str | None,
        name: str,
        body: Any,
        *,
        subresource: str | None = None,
        content_type: str = MERGE,
        **query: Any,
    ) -> dict[str, Any] | None:
        """The patched object, or None when it no longer exists."""
        try:
            return await self.request(
                "PATCH",
                resource.path(namespace, name, subresource),
                body=body,
                content_type=content_type,
                query=_query(query),
            )
        except ApiError as error:
            if error.status == 404:
                return None
            raise

    async def replace(
        self, resource: Resource, namespace: str | None, name: str, body: Mapping[str, Any], **query: Any
    ) -> dict[str, Any]:
        return await self.request("PUT", resource.path(namespace, name), body=body, query=_query(query))

    async def delete(
        self,
        resource: Resource,
        namespace: str | None,
        name: str,
        *,
        grace_period: int | None = None,
        propagation: str | None = None,
        uid: str | None = None,
    ) -> bool:
        """True when the server accepted the deletion, False when the object was already gone."""
        options: dict[str, Any] = {"apiVersion": "v1", "kind": "DeleteOptions"}
        if grace_period is not None:
            options["gracePeriodSeconds"] = grace_period
        if propagation:
            options["propagationPolicy"] = propagation
        if uid:
            options["preconditions"] = {"uid": uid}
        try:
            await self.request("DELETE", resource.path(namespace, name), body=options)
        except ApiError as error:
            if error.status in (404, 409):
                return False
            raise
        return True

    async def watch(
        self, resource: Resource, namespace: str | None = None, *, resource_version: str, **query: Any
    ) -> AsyncIterator[dict[str, Any]]:
        """Watch events from `resource_version`, with bookmarks, until the server closes the stream.
        Raises WatchExpired on 410."""
        params = {
            "watch": "true",
            "resourceVersion": resource_version,
            "allowWatchBookmarks": "true",
            "timeoutSeconds": WATCH_TIMEOUT,
            **{_camel(k): v for k, v in query.items() if v is not None},
        }
        response = await self.api_client.call_api(
            resource.path(namespace),
            "GET",
            query_params=list(params.items()),
            header_params={"Accept": "application/json"},
            auth_settings=["BearerToken"],
            _preload_content=False,
            _request_timeout=aiohttp.ClientTimeout(
                total=None, sock_connect=self.timeout, sock_read=WATCH_TIMEOUT + 30
            ),
        )
        try:
            if response.status == 410:
                raise WatchExpired(resource_version)
            if response.status >= 300:
                raise ApiError(response.status, json.loads(await response.read() or b"{}"))
            while True:
                line = await response.content.readline()
                if not line:
                    return
                event = json.loads(line)
                if event.get("type") == "ERROR":
                    status = event.get("object") or {}
                    if status.get("code") == 410:
                        raise WatchExpired(resource_version)
                    raise ApiError(int(status.get("code") or 500), status)
                yield event
        except asyncio.CancelledError:
            response.close()
            raise
        finally:
            response.release()


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _query(query: Mapping[str, Any]) -> dict[str, Any]:
    return {_camel(k): v for k, v in query.items() if v is not None}
