"""The HTTP layer: one aiohttp handler that routes every Kubernetes request to the cluster and answers JSON.

Bodies: JSON everywhere; apply bodies may be YAML (JSON is tried first). Protobuf is not spoken: a protobuf
body is refused with 415 and ``Accept`` lists that prefer protobuf are answered in JSON, which every client
accepts. Lists of built-in types carry items without ``kind``/``apiVersion`` (as the real server's do), lists
of custom resources with them. ``Accept: ...;as=Table`` goes through ``seams.render_table``.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec

import yaml
from aiohttp import web

from tests.kubeapi import discovery, errors, protobuf, scale, seams
from tests.kubeapi.cluster import PATCH_TYPES
from tests.kubeapi.deletion import DeleteOptions, delete, delete_collection
from tests.kubeapi.managed import manager_name
from tests.kubeapi.resources import ResourceType
from tests.kubeapi.routing import Target
from tests.kubeapi.store import dumps
from tests.kubeapi.watch import parse_bool, serve_watch

if TYPE_CHECKING:
    from tests.kubeapi.server import KubeAPI

_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
JSON = "application/json"


def respond(body: Any, status: int = 200, *, content_type: str = JSON) -> web.Response:
    raw = body if isinstance(body, bytes) else dumps(body)
    return web.Response(body=raw, status=status, headers={"Content-Type": content_type})


def respond_written(api: KubeAPI, obj: dict[str, Any], status: int = 200) -> web.Response:
    """The answer to a write: when ``obj`` is the object the write just stored, the JSON its watch event
    carries (serialised once for both)."""
    event = api.cluster.store.last
    if event is not None and event.obj is obj:
        return respond(event.object_json(str(obj.get("apiVersion", ""))), status)
    return respond(obj, status)


def status_response(error: errors.StatusError) -> web.Response:
    response = respond(error.body(), error.code)
    for name, value in error.headers.items():
        response.headers[name] = value
    return response


async def _body(request: web.BaseRequest, *, apply: bool = False) -> Any:
    raw = await request.read()
    content_type = request.headers.get("Content-Type", "")
    if "protobuf" in content_type:
        return protobuf.decode(raw)
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError:
        if not (apply or "yaml" in content_type):
            raise errors.bad_request("the body of the request is not valid JSON") from None
    try:
        return yaml.load(raw, Loader=_YAML_LOADER)
    except yaml.YAMLError as exc:
        raise errors.bad_request(f"error decoding YAML: {exc}") from None


def _dry_run(query: Any) -> bool:
    return bool(query.getall("dryRun", [])) if hasattr(query, "getall") else bool(query.get("dryRun"))


async def handle_discovery(request: web.BaseRequest, api: KubeAPI, target: Target | None) -> web.Response:
    registry, path = api.cluster.registry, request.path.rstrip("/")
    accept = request.headers.get("Accept", "")
    if path == "/version":
        return respond(discovery.VERSION)
    if path in ("/api", "/apis"):
        if discovery.wants_aggregated(accept):
            return respond(
                discovery.aggregated(registry, core=path == "/api"), content_type=discovery.AGGREGATED
            )
        if path == "/api":
            return respond(discovery.api_versions(f"127.0.0.1:{api.port}"))
        return respond(discovery.api_group_list(registry))
    if path == "/openapi/v2":
        return respond(
            discovery.openapi_v2_protobuf(),
            content_type="application/com.github.proto-openapi.spec.v2.v1.0+protobuf",
        )
    if path == "/openapi/v3":
        return respond(discovery.openapi_v3_index(registry))
    if path.startswith("/openapi/v3/"):
        rest = path.removeprefix("/openapi/v3/").split("/")
        group, version = (
            ("", rest[1])
            if rest[0] == "api" and len(rest) == 2
            else ((rest[1], rest[2]) if rest[0] == "apis" and len(rest) == 3 else ("", ""))
        )
        doc = discovery.openapi_v3_group_version(registry, group, version) if version else None
        if doc is None:
            raise errors.path_not_found(path)
        return respond(doc)
    if path.startswith("/apis/") and path.count("/") == 2:
        doc = discovery.api_group(registry, path.split("/")[2])
        if doc is None:
            raise errors.path_not_found(path)
        return respond(doc)
    if target is not None and target.is_discovery:
        doc = discovery.resource_list(registry, target.group, target.version)
        if doc is None:
            raise errors.path_not_found(path)
        return respond(doc)
    if path in ("/healthz", "/livez", "/readyz"):
        return web.Response(text="ok")
    raise errors.path_not_found(path)


def _table_or(
    request: web.BaseRequest,
    rt: ResourceType,
    objects: list[dict[str, Any]],
    list_meta: dict[str, Any] | None,
) -> dict[str, Any] | None:
    if "as=Table" not in request.headers.get("Accept", ""):
        return None
    return seams.render_table(
        rt=rt,
        objects=objects,
        list_meta=list_meta,
        include_object=request.query.get("includeObject", "Metadata"),
    )


P = ParamSpec("P")
Serve = Callable[Concatenate[web.BaseRequest, P], Awaitable[web.StreamResponse]]


def _with_warnings(serve: Serve[P]) -> Serve[P]:
    """Per request, expose ``fieldValidation`` to the admission seam and send its warnings as ``Warning``
    headers."""

    async def wrapper(request: web.BaseRequest, /, *args: P.args, **kwargs: P.kwargs) -> web.StreamResponse:
        seams.field_validation.set(request.query.get("fieldValidation", ""))
        pending: list[str] = []
        seams.warnings.set(pending)
        response = await serve(request, *args, **kwargs)
        if not response.prepared:
            for message in pending:
                escaped = message.replace("\\", "\\\\").replace('"', '\\"')
                response.headers.add("Warning", f'299 - "{escaped}"')
        return response

    return wrapper


@_with_warnings
async def handle_resource(
    request: web.BaseRequest,
    api: KubeAPI,
    target: Target,
    verb: str,
    rt: ResourceType,
    *,
    on_start: Callable[[int], None] = lambda status: None,
) -> web.StreamResponse:
    cluster, query = api.cluster, request.query
    if target.namespace is not None and not rt.namespaced:
        raise errors.path_not_found(request.path)
    if rt.namespaced and target.name and target.namespace is None:
        raise errors.path_not_found(request.path)
    namespace = target.namespace or ""
    sub = target.subresource
    if sub and (sub not in rt.subresources or target.extra):
        raise errors.path_not_found(request.path)
    manager = manager_name(query.get("fieldManager"), request.headers.get("User-Agent"))
    dry_run = _dry_run(query)

    if verb == "get":
        obj = cluster.get(rt, namespace, target.name)
        if sub == "scale":
            return respond(scale.scale_of(rt, obj))
        table = _table_or(request, rt, [obj], None)
        return respond(table if table is not None else cluster.present(rt, obj))
    if verb == "list":
        return _list(request, api, rt, target.namespace)
    if verb == "watch":
        return await serve_watch(
            request,
            api,
            rt=rt,
            namespace=target.namespace,
            plan=api.faults.watch_plan(resource=rt.plural, namespace=namespace, path=request.path),
            on_start=on_start,
        )
    if verb == "create":
        if target.name:
            raise errors.method_not_allowed()
        obj = cluster.create(rt, namespace, await _body(request), manager=manager, dry_run=dry_run)
        return respond_written(api, obj, 201)
    if verb == "update":
        body = await _body(request)
        if sub == "scale":
            return respond(
                scale.update_scale(
                    cluster,
                    rt,
                    namespace,
                    target.name,
                    body,
                    patch_type=None,
                    manager=manager,
                    dry_run=dry_run,
                )
            )
        if sub == "finalize":
            return respond(_finalize(api, rt, target.name, body))
        return respond_written(
            api,
            cluster.replace(
                rt, namespace, target.name, body, manager=manager, subresource=sub, dry_run=dry_run
            ),
        )
    if verb == "patch":
        content_type = request.headers.get("Content-Type", "").split(";")[0].strip()
        patch_type = PATCH_TYPES.get(content_type)
        if patch_type is None:
            raise errors.unsupported_media_type(content_type, list(PATCH_TYPES)[:4])
        is_apply = patch_type == "apply"
        body = await _body(request, apply=is_apply)
        force = parse_bool(query.get("force"))
        if is_apply:
            manager = query.get("fieldManager", "")
        elif "force" in query:
            raise errors.invalid(
                "PatchOptions",
                "meta.k8s.io",
                "",
                [("force", "FieldValueForbidden", "Forbidden: may not be specified for non-apply patch")],
            )
        if sub == "scale":
            return respond(
                scale.update_scale(
                    cluster,
                    rt,
                    namespace,
                    target.name,
                    body,
                    patch_type=patch_type,
                    manager=manager,
                    force=force,
                    dry_run=dry_run,
                )
            )
        obj, created = cluster.patch(
            rt,
            namespace,
            target.name,
            body,
            patch_type=patch_type,
            manager=manager,
            subresource=sub,
            force=force,
            dry_run=dry_run,
        )
        return respond_written(api, obj, 201 if created else 200)
    if verb == "delete":
        if sub:
            raise errors.method_not_allowed()
        options = DeleteOptions.parse(await _body(request), dict(query))
        return respond(delete(cluster, rt, namespace, target.name, options))
    if verb == "deletecollection":
        options = DeleteOptions.parse(await _body(request), dict(query))
        return respond(
            delete_collection(
                cluster,
                rt,
                target.namespace,
                labels=query.get("labelSelector"),
                fields=query.get("fieldSelector"),
                options=options,
            )
        )
    raise errors.method_not_allowed()


def _finalize(api: KubeAPI, rt: ResourceType, name: str, body: Any) -> dict[str, Any]:
    """PUT /api/v1/namespaces/<name>/finalize: replaces ``spec.finalizers`` only."""
    cluster = api.cluster
    old = cluster.get(rt, "", name)
    finalizers = ((body or {}).get("spec") or {}).get("finalizers") or []

    def change(new: dict[str, Any]) -> dict[str, Any]:
        new["spec"] = {**(new.get("spec") or {}), "finalizers": finalizers}
        return new

    return cluster.controller_update(rt, old, change, manager="kubectl")


def _list(request: web.BaseRequest, api: KubeAPI, rt: ResourceType, namespace: str | None) -> web.Response:
    cluster, query = api.cluster, request.query
    limit_text = query.get("limit")
    try:
        limit = int(limit_text) if limit_text else None
    except ValueError:
        raise errors.bad_request(f"invalid limit: {limit_text}") from None
    result = cluster.list_objects(
        rt,
        namespace,
        labels=query.get("labelSelector"),
        fields=query.get("fieldSelector"),
        limit=limit,
        continue_token=query.get("continue"),
        resource_version=query.get("resourceVersion"),
        resource_version_match=query.get("resourceVersionMatch"),
    )
    meta: dict[str, Any] = {"resourceVersion": str(result.resource_version)}
    if result.continue_token:
        meta["continue"] = result.continue_token
    if result.remaining is not None:
        meta["remainingItemCount"] = result.remaining
    table = _table_or(request, rt, result.objects, meta)
    if table is not None:
        return respond(table)
    bucket = cluster.store.bucket(rt.key)
    if rt.custom:
        if rt.version == rt.storage_version:
            items = [cluster.store.raw_item(bucket, o) for o in result.objects]
            items = [
                b'{"apiVersion":' + dumps(o["apiVersion"]) + b',"kind":' + dumps(o["kind"]) + b"," + raw[1:]
                if raw != b"{}"
                else dumps({"apiVersion": o["apiVersion"], "kind": o["kind"]})
                for o, raw in zip(result.objects, items, strict=True)
            ]
        else:
            items = [dumps(cluster.present(rt, o)) for o in result.objects]
    elif rt.convert_out is not None:
        items = [
            dumps({k: v for k, v in cluster.present(rt, o).items() if k not in ("kind", "apiVersion")})
            for o in result.objects
        ]
    else:
        items = [cluster.store.raw_item(bucket, o) for o in result.objects]
    head = dumps({"kind": rt.list_kind, "apiVersion": rt.api_version, "metadata": meta})
    return respond(head[:-1] + b',"items":[' + b",".join(items) + b"]}")
