"""The three non-apply PATCH formats (pure functions on JSON values).

- ``application/merge-patch+json`` — RFC 7386: maps merge recursively, ``null`` deletes, the rest replaces.
- ``application/json-patch+json`` — RFC 6902 (add, remove, replace, move, copy, test); a failing operation is
  the server's 422 with the operation's error text.
- ``application/strategic-merge-patch+json`` — for built-in types only (custom resources answer 415, as on a
  real server): lists with a ``patchMergeKey`` merge by it, primitive lists with ``patchStrategy: merge``
  (``finalizers``) take the union, other lists replace. Directives: ``$patch: replace|delete|merge`` (in maps
  and in list items), ``$retainKeys``, ``$deleteFromPrimitiveList/<field>`` and ``$setElementOrder/<field>``
  (which kubectl's client-side apply sends). Simplification: ``$setElementOrder`` orders the items it lists
  first, then the others in their current order.
"""

from __future__ import annotations

from typing import Any

from tests.kubeapi import errors
from tests.kubeapi.meta import clone
from tests.kubeapi.structure import Schema, child, items, patch_merge_key, patch_merges_primitives

_MISSING: Any = object()


def merge_patch(target: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return clone(patch)
    out = dict(target) if isinstance(target, dict) else {}
    for name, value in patch.items():
        if value is None:
            out.pop(name, None)
        else:
            out[name] = merge_patch(out.get(name), value)
    return out


# RFC 6902


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def _tokens(pointer: str) -> list[str]:
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise ValueError(f"JSON pointer must start with '/': {pointer!r}")
    return [_unescape(t) for t in pointer[1:].split("/")]


def _resolve(doc: Any, tokens: list[str], op: str, pointer: str) -> Any:
    node = doc
    for token in tokens:
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            raise ValueError(f"{op} operation does not apply: doc is missing path: {pointer}")
    return node


def _add(doc: Any, tokens: list[str], value: Any, *, replace: bool, op: str, pointer: str) -> Any:
    if not tokens:
        return value
    parent = _resolve(doc, tokens[:-1], op, pointer)
    last = tokens[-1]
    if isinstance(parent, dict):
        if replace and last not in parent:
            raise ValueError(f"replace operation does not apply: doc is missing key: {pointer}")
        parent[last] = value
    elif isinstance(parent, list):
        if last == "-" and not replace:
            parent.append(value)
        elif last.isdigit() and int(last) <= len(parent) - (1 if replace else 0):
            if replace:
                parent[int(last)] = value
            else:
                parent.insert(int(last), value)
        else:
            raise ValueError(f"{op} operation does not apply: index out of range: {pointer}")
    else:
        raise ValueError(f"{op} operation does not apply: doc is missing path: {pointer}")
    return doc


def _remove(doc: Any, tokens: list[str], pointer: str) -> Any:
    parent = _resolve(doc, tokens[:-1], "remove", pointer)
    last = tokens[-1] if tokens else ""
    if isinstance(parent, dict) and last in parent:
        return parent.pop(last)
    if isinstance(parent, list) and last.isdigit() and int(last) < len(parent):
        return parent.pop(int(last))
    raise ValueError(f"remove operation does not apply: doc is missing path: {pointer}")


def json_patch(target: Any, operations: Any) -> Any:
    if not isinstance(operations, list):
        raise errors.bad_request("json: cannot unmarshal object into Go value of type jsonpatch.Patch")
    doc = clone(target)
    for operation in operations:
        if not isinstance(operation, dict) or not isinstance(operation.get("path", ""), str):
            raise errors.bad_request(f"the JSON patch operation is invalid: {operation!r}")
        if operation.get("op") in ("move", "copy") and not isinstance(operation.get("from"), str):
            raise errors.bad_request(f"the JSON patch operation is invalid: {operation!r}")
    try:
        for operation in operations:
            op, path = operation.get("op"), operation.get("path", "")
            tokens = _tokens(path)
            if op == "add":
                doc = _add(doc, tokens, clone(operation.get("value")), replace=False, op=op, pointer=path)
            elif op == "replace":
                doc = _add(doc, tokens, clone(operation.get("value")), replace=True, op=op, pointer=path)
            elif op == "remove":
                _remove(doc, tokens, path)
            elif op in ("move", "copy"):
                source = operation.get("from", "")
                value = _resolve(doc, _tokens(source), op, source)
                value = clone(value)
                if op == "move":
                    _remove(doc, _tokens(source), source)
                doc = _add(doc, tokens, value, replace=False, op=op, pointer=path)
            elif op == "test":
                if _resolve(doc, tokens, op, path) != operation.get("value"):
                    raise ValueError(f"testing value {path} failed: test failed")
            else:
                raise ValueError(f"Unexpected kind: {op}")
    except ValueError as exc:
        raise errors.StatusError(422, "Invalid", str(exc)) from None
    return doc


# Strategic merge patch


def strategic_merge(target: Any, patch: Any, schema: Schema) -> Any:
    if not isinstance(patch, dict):
        return clone(patch)
    if not isinstance(target, dict):
        target = {}
    directive = patch.get("$patch")
    if directive == "replace":
        return {k: clone(v) for k, v in patch.items() if k != "$patch"}
    if directive == "delete":
        return _MISSING
    out = dict(target)
    retain = patch.get("$retainKeys")
    orders: dict[str, list[Any]] = {}
    for name, value in patch.items():
        if name in ("$patch", "$retainKeys"):
            continue
        if name.startswith("$setElementOrder/"):
            orders[name.split("/", 1)[1]] = value or []
            continue
        if name.startswith("$deleteFromPrimitiveList/"):
            field = name.split("/", 1)[1]
            if isinstance(out.get(field), list):
                out[field] = [v for v in out[field] if v not in (value or [])]
            continue
        if value is None:
            out.pop(name, None)
            continue
        sub_schema = child(schema, name)
        if isinstance(value, list):
            out[name] = _merge_list(out.get(name), value, sub_schema)
        elif isinstance(value, dict):
            merged = strategic_merge(out.get(name), value, sub_schema)
            if merged is _MISSING:
                out.pop(name, None)
            else:
                out[name] = merged
        else:
            out[name] = value
    for name, order in orders.items():
        if isinstance(out.get(name), list):
            out[name] = _reorder(out[name], order, patch_merge_key(child(schema, name)))
    if isinstance(retain, list):
        out = {k: v for k, v in out.items() if k in retain}
    return out


def _merge_list(current: Any, patch: list[Any], schema: Schema) -> list[Any]:
    current = list(current) if isinstance(current, list) else []
    key = patch_merge_key(schema)
    if key is None:
        if patch_merges_primitives(schema):
            return [*current, *(clone(v) for v in patch if v not in current)]
        if any(isinstance(v, dict) and v.get("$patch") == "replace" for v in patch):
            return [clone(v) for v in patch if not (isinstance(v, dict) and "$patch" in v)]
        return clone(patch)
    if any(isinstance(v, dict) and v.get("$patch") == "replace" for v in patch):
        return [clone(v) for v in patch if not (isinstance(v, dict) and "$patch" in v)]
    item_schema = items(schema)
    for item in patch:
        if not isinstance(item, dict):
            continue
        index = next(
            (
                i
                for i, existing in enumerate(current)
                if isinstance(existing, dict) and existing.get(key) == item.get(key)
            ),
            None,
        )
        if item.get("$patch") == "delete":
            if index is not None:
                current.pop(index)
            continue
        if index is None:
            current.append({k: clone(v) for k, v in item.items() if k != "$patch"})
        else:
            current[index] = strategic_merge(current[index], item, item_schema)
    merged: list[Any] = current
    return merged


def _reorder(values: list[Any], order: list[Any], key: str | None) -> list[Any]:
    def ident(value: Any) -> Any:
        return value.get(key) if key and isinstance(value, dict) else value

    wanted = [ident(v) for v in order]
    first = sorted((v for v in values if ident(v) in wanted), key=lambda v: wanted.index(ident(v)))
    return first + [v for v in values if ident(v) not in wanted]
