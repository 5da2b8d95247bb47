"""LIST semantics: ordering, selectors, pagination with continue tokens, resourceVersion and
resourceVersionMatch, as the API server answers them (functions over the store).

Objects come sorted by namespace/name (etcd's key order). ``limit`` pages with a continue token that encodes,
like the real one, the resourceVersion of the first page and the last key served; the next pages are served
as of that version from the history (``Store.state_at``), and a token older than the history is 410
``Expired``. ``remainingItemCount`` is set when no selector filters. ``resourceVersionMatch=Exact`` serves a
past version; a version newer than the current one is 504 "Too large resource version". Simplification:
unlike the watch cache of a real server, ``resourceVersion=0`` does not make it ignore ``limit``.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from tests.kubeapi import errors
from tests.kubeapi.resources import ResourceType
from tests.kubeapi.selectors import Matcher
from tests.kubeapi.store import Store

_EXPIRED_CONTINUE = (
    "The provided continue parameter is too old to display a consistent list result. You can start "
    "a new list "
    "without the continue parameter, or use the continue token in this response to retrieve the remainder of "
    "the results. Continuing with the provided token results in an inconsistent list - objects that were "
    "created, modified, or deleted between the time the first chunk was returned and now may show "
    "up in the list."
)


@dataclass(slots=True)
class ListResult:
    objects: list[dict[str, Any]]
    resource_version: int
    continue_token: str | None
    remaining: int | None


def _list_options_invalid(field: str, reason: str, message: str) -> errors.StatusError:
    return errors.invalid("ListOptions", "meta.k8s.io", "", [(field, reason, message)])


def sort_key(obj: dict[str, Any]) -> str:
    meta = obj["metadata"]
    namespace = meta.get("namespace")
    return f"{namespace}/{meta['name']}" if namespace else str(meta["name"])


def list_objects(
    store: Store,
    rt: ResourceType,
    namespace: str | None,
    *,
    match: Matcher | None,
    limit: int | None = None,
    continue_token: str | None = None,
    resource_version: str | None = None,
    resource_version_match: str | None = None,
) -> ListResult:
    """The objects of ``rt`` (in ``namespace`` when given) that ``match``, one page of them."""
    rv_text = resource_version or ""
    if resource_version_match:
        if resource_version_match not in ("NotOlderThan", "Exact"):
            raise _list_options_invalid(
                "resourceVersionMatch",
                "FieldValueNotSupported",
                f'Unsupported value: "{resource_version_match}": supported values: "Exact", '
                '"NotOlderThan", ""',
            )
        if continue_token:
            raise _list_options_invalid(
                "resourceVersionMatch",
                "FieldValueForbidden",
                "Forbidden: resourceVersionMatch is forbidden when continue is provided",
            )
        if not rv_text:
            raise _list_options_invalid(
                "resourceVersionMatch",
                "FieldValueForbidden",
                "Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided",
            )
        if resource_version_match == "Exact" and rv_text == "0":
            raise _list_options_invalid(
                "resourceVersionMatch",
                "FieldValueForbidden",
                'Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0"',
            )
    start = ""
    if continue_token:
        if rv_text not in ("", "0"):
            raise errors.bad_request("specifying resource version is not allowed when using continue")
        snapshot_rv, start = _decode_continue(continue_token)
        state = store.state_at(rt.key, snapshot_rv)
        if state is None:
            raise errors.expired(_EXPIRED_CONTINUE)
        candidates = list(state.values())
    else:
        snapshot_rv = store.rv
        rv = _parse_rv(rv_text)
        if rv > store.rv:
            raise errors.too_large_resource_version(rv, store.rv)
        if resource_version_match == "Exact":
            state = store.state_at(rt.key, rv)
            if state is None:
                raise errors.expired("The resourceVersion for the provided list is too old.")
            candidates, snapshot_rv = list(state.values()), rv
        else:
            candidates = store.objects(rt.key)
    if rt.namespaced and namespace:
        candidates = [o for o in candidates if o["metadata"].get("namespace") == namespace]
    ordered = sorted(((sort_key(o), o) for o in candidates), key=lambda pair: pair[0])
    if start:
        ordered = [pair for pair in ordered if pair[0] > start]
    selected = [pair for pair in ordered if match is None or match(pair[1])]
    token = remaining = None
    if limit and limit > 0 and len(selected) > limit:
        token = _encode_continue(snapshot_rv, selected[limit - 1][0])
        if match is None:
            remaining = len(selected) - limit
        selected = selected[:limit]
    return ListResult([o for _, o in selected], snapshot_rv, token, remaining)


def _parse_rv(text: str) -> int:
    if text in ("", "0"):
        return 0
    try:
        value = int(text)
    except ValueError:
        raise errors.bad_request(f'resourceVersion: Invalid value: "{text}": strconv.ParseUint') from None
    return value


def _encode_continue(rv: int, start: str) -> str:
    raw = json.dumps({"v": "meta.k8s.io/v1", "rv": rv, "start": start + "\x00"}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_continue(token: str) -> tuple[int, str]:
    try:
        padded = token + "=" * (-len(token) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded))
        return int(data["rv"]), str(data["start"]).rstrip("\x00")
    except (ValueError, KeyError, TypeError):
        raise errors.bad_request(
            "continue key is not valid: incorrect encoded start resourceVersion"
        ) from None
