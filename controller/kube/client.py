"""The API client: configuration, timeouts on every request, raw JSON, request metrics.

Contract:
- ``KubeClient.connect()`` loads the in-cluster configuration when running in a pod (and no kubeconfig is
  named), otherwise the kubeconfig (``KUBECONFIG`` or ``~/.kube/config``, or the path given).
- Every request has a timeout: ``settings.request_timeout`` unless the call says otherwise (kubernetes-asyncio
  has none by default). This holds for calls made through ``api_client`` with the generated typed APIs too:
  the REST layer under it is this module's, which also counts every request in ``rest_client_requests_total
  {code,method,host}`` (``code`` is ``<error>`` when no response came) and times it in
  ``rest_client_request_duration_seconds{verb,host}``.
- ``request`` returns the response body as a plain dict (never the slow OpenAPI models) and raises
  ``ApiError`` for any non-2xx status, with the Kubernetes ``Status`` reason and message and any
  ``Retry-After``.
- ``stream`` opens a streaming GET (a watch) and yields the response after checking its status.
- Patches must say their content type: ``request`` takes ``content_type`` and sends it as given.
- ``close()`` closes the HTTP session; the client is unusable afterwards.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit
from urllib.request import getproxies, proxy_bypass

import aiohttp
from kubernetes_asyncio import client as k8s_client
from kubernetes_asyncio import config as k8s_config
from kubernetes_asyncio.client import rest as k8s_rest

from controller.kube.resources import Obj
from controller.metrics import Metrics

APPLY_PATCH = "application/apply-patch+yaml"
# As the library sets it: a watch event of a large object does not fit aiohttp's default read buffer.
READ_BUFFER = 2**21
MERGE_PATCH = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"


class ApiError(Exception):
    """A non-2xx answer from the API server."""

    def __init__(
        self,
        status: int,
        *,
        reason: str = "",
        message: str = "",
        body: Obj | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(f"{status} {reason}: {message}".strip())
        self.status = status
        self.reason = reason
        self.message = message
        self.body = body
        self.retry_after = retry_after

    @property
    def not_found(self) -> bool:
        return self.status == 404

    @property
    def conflict(self) -> bool:
        return self.status == 409

    @property
    def gone(self) -> bool:
        """The resourceVersion is too old (410 Gone / Expired): relist."""
        return self.status == 410 or self.reason == "Expired"

    @property
    def throttled(self) -> bool:
        return self.status == 429


def parse_retry_after(value: str | None) -> float | None:
    """``Retry-After`` in seconds (only the delta-seconds form, which the API server uses)."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


def error_from_response(status: int, data: bytes, retry_after: str | None) -> ApiError:
    """An ``ApiError`` from a response (whose body is a ``Status`` when the server follows conventions)."""
    body: Obj | None = None
    try:
        parsed = json.loads(data) if data else None
        body = parsed if isinstance(parsed, dict) else None
    except ValueError:
        body = None
    reason = str(body.get("reason", "")) if body else ""
    message = str(body.get("message", "")) if body else data[:200].decode("utf-8", "replace")
    return ApiError(
        status, reason=reason, message=message, body=body, retry_after=parse_retry_after(retry_after)
    )


@dataclass(frozen=True, kw_only=True)
class ClientSettings:
    request_timeout: float = 30.0
    """Total time for one ordinary request (seconds)."""
    connect_timeout: float = 10.0
    """Time to establish a connection, for every request including watches (seconds)."""


def _timeout(settings: ClientSettings, total: float | None = None) -> aiohttp.ClientTimeout:
    return aiohttp.ClientTimeout(
        total=total if total is not None else settings.request_timeout,
        connect=settings.connect_timeout,
        sock_connect=settings.connect_timeout,
    )


def environment_proxy(url: str) -> str | None:
    """The proxy the environment names for ``url`` (``HTTP(S)_PROXY`` less ``NO_PROXY``), as aiohttp would
    find it: an ``http://`` URL, credentials included; ``None`` when there is none."""
    parts = urlsplit(url)
    if not parts.hostname or proxy_bypass(parts.hostname):
        return None
    proxy = getproxies().get(parts.scheme)
    return proxy if proxy and urlsplit(proxy).scheme == "http" else None


class _MeteredRest(k8s_rest.RESTClientObject):
    """The library's REST layer with a default timeout and request metrics."""

    def __init__(self, configuration: Any, *, settings: ClientSettings, metrics: Metrics | None) -> None:
        super().__init__(configuration)
        self._settings = settings
        self._metrics = metrics
        self._host = urlsplit(configuration.host).netloc or configuration.host
        # The library's session trusts the environment, so aiohttp reads ~/.netrc and the proxy variables in
        # a worker thread on every request: two thread hops that cost several times the request itself. The
        # environment's proxy is looked up once here instead (a kubeconfig's proxy-url still comes first).
        library_session = self.pool_manager
        self.pool_manager = aiohttp.ClientSession(
            connector=library_session.connector, trust_env=False, read_bufsize=READ_BUFFER
        )
        library_session.detach()
        proxy = environment_proxy(configuration.host)
        if not self.proxy and proxy is not None:
            self.proxy = proxy

    async def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("_request_timeout") is None:
            kwargs["_request_timeout"] = _timeout(self._settings)
        started = time.perf_counter()
        code = "<error>"
        try:
            response = await super().request(method, url, *args, **kwargs)
            code = str(response.status)
            return response
        except k8s_client.ApiException as exc:
            code = str(exc.status)
            raise
        finally:
            if self._metrics is not None:
                self._metrics.rest_requests.labels(code=code, method=method.upper(), host=self._host).inc()
                self._metrics.rest_duration.labels(verb=method.upper(), host=self._host).observe(
                    time.perf_counter() - started
                )


def _query(params: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for key, value in (params or {}).items():
        if value is None:
            continue
        pairs.append((key, ("true" if value else "false") if isinstance(value, bool) else str(value)))
    return pairs


async def load_configuration(*, kubeconfig: str | None = None, context: str | None = None) -> Any:
    """In-cluster configuration inside a pod (unless ``kubeconfig`` is given), else the kubeconfig."""
    configuration = k8s_client.Configuration()
    if kubeconfig is None and os.environ.get("KUBERNETES_SERVICE_HOST"):
        k8s_config.load_incluster_config(client_configuration=configuration)  # type: ignore[no-untyped-call]
    else:
        await k8s_config.load_kube_config(
            config_file=kubeconfig, context=context, client_configuration=configuration
        )
    return configuration


class _PlainBody(dict[str, Any]):
    """A request body of this module: plain JSON data already (never the library's model objects)."""


class _ApiClient(k8s_client.ApiClient):
    """The library's API client, less its walk through a plain body (``_PlainBody``): that walk looks for
    model objects to turn into dicts and finds none; it took twice as long as encoding the bodies (1.1 of
    the client's 7.5 CPU-seconds, profiled, while 1 000 actors converged). Bodies given through the typed
    APIs are walked as before."""

    def sanitize_for_serialization(self, obj: Any) -> Any:
        if type(obj) is _PlainBody:
            return obj
        return super().sanitize_for_serialization(obj)


class KubeClient:
    """One HTTP session to the API server; see the module docstring."""

    def __init__(
        self, configuration: Any, *, metrics: Metrics | None = None, settings: ClientSettings | None = None
    ) -> None:
        self.settings = settings or ClientSettings()
        self.configuration = configuration
        self.api_client = _ApiClient(configuration)
        # Swap the REST layer before any request: the library's own has no timeout and no metrics. Its session
        # was created without a connection, so closing it now costs nothing.
        plain = self.api_client.rest_client
        self.api_client.rest_client = _MeteredRest(configuration, settings=self.settings, metrics=metrics)
        self._plain_rest = plain
        self.host = urlsplit(configuration.host).netloc or configuration.host
        self._closed = False

    @classmethod
    async def connect(
        cls,
        *,
        kubeconfig: str | None = None,
        context: str | None = None,
        metrics: Metrics | None = None,
        settings: ClientSettings | None = None,
    ) -> KubeClient:
        configuration = await load_configuration(kubeconfig=kubeconfig, context=context)
        return cls(configuration, metrics=metrics, settings=settings)

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        await self._plain_rest.close()
        await self.api_client.close()

    @property
    def closed(self) -> bool:
        return self._closed

    async def _send(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, Any] | None,
        client_timeout: aiohttp.ClientTimeout,
        body: Any = None,
        content_type: str | None = None,
    ) -> aiohttp.ClientResponse:
        headers = {"Accept": "application/json", "Content-Type": content_type or "application/json"}
        response: aiohttp.ClientResponse = await self.api_client.call_api(
            path,
            method,
            query_params=_query(query),
            header_params=headers,
            body=_PlainBody(body) if type(body) is dict else body,
            auth_settings=["BearerToken"],
            _preload_content=False,
            _request_timeout=client_timeout,
        )
        return response

    async def request(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, Any] | None = None,
        body: Any = None,
        content_type: str | None = None,
        request_timeout: float | None = None,
    ) -> Obj:
        """Send one request; the JSON body of a 2xx response as a dict (``{}`` when empty)."""
        response = await self._send(
            method,
            path,
            query=query,
            body=body,
            content_type=content_type,
            client_timeout=_timeout(self.settings, request_timeout),
        )
        try:
            data = await response.read()
        finally:
            response.release()
        if not 200 <= response.status < 300:
            raise error_from_response(response.status, data, response.headers.get("Retry-After"))
        if not data:
            return {}
        parsed = json.loads(data)
        return parsed if isinstance(parsed, dict) else {"items": parsed}

    @asynccontextmanager
    async def stream(
        self, path: str, *, query: Mapping[str, Any] | None = None, total_timeout: float
    ) -> AsyncIterator[aiohttp.ClientResponse]:
        """A streaming GET; raises ``ApiError`` before yielding when the status is not 2xx."""
        response = await self._send(
            "GET", path, query=query, client_timeout=_timeout(self.settings, total_timeout)
        )
        try:
            if not 200 <= response.status < 300:
                data = await response.read()
                raise error_from_response(response.status, data, response.headers.get("Retry-After"))
            yield response
        finally:
            response.close()
