"""Field sets: the paths of an object as server-side apply names them, and their ``fieldsV1`` encoding.

A path is a tuple of fieldsV1 elements: ``f:<field>``, ``k:<json key>`` for an item of a map list (keys
sorted, compact JSON, as in structured-merge-diff), ``v:<json value>`` for an item of a set. Atomic lists and
maps are leaves. :func:`flatten` maps each path to its leaf value (or :data:`NODE` for maps and list items);
``containers=False`` yields the set an *apply* claims (leaves and list items), ``containers=True`` also maps
(not lists, nor the structs of built-in types, which always exist), which an *update* is charged for when it
adds them. Server-maintained metadata is never tracked.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from tests.kubeapi.structure import STRUCT, Schema, child, is_atomic_map, items, key_of, list_type

Path = tuple[str, ...]
NODE: Any = object()

_UNTRACKED_META = frozenset(
    {
        "f:name",
        "f:namespace",
        "f:uid",
        "f:resourceVersion",
        "f:generation",
        "f:creationTimestamp",
        "f:deletionTimestamp",
        "f:deletionGracePeriodSeconds",
        "f:managedFields",
        "f:selfLink",
    }
)


def _walk(value: Any, schema: Schema, prefix: Path, out: dict[Path, Any], containers: bool) -> None:
    if isinstance(value, dict) and value and not is_atomic_map(schema):
        if containers and prefix and not schema.get(STRUCT):
            out[prefix] = NODE
        for name, sub in value.items():
            _walk(sub, child(schema, name), (*prefix, f"f:{name}"), out, containers)
        return
    if isinstance(value, list) and value and list_type(schema) in ("map", "set"):
        item_schema = items(schema)
        if list_type(schema) == "set":
            for item in value:
                out[(*prefix, "v:" + json.dumps(item, sort_keys=True, separators=(",", ":")))] = item
            return
        for item in value:
            item_path = (*prefix, "k:" + key_of(item, schema))
            out[item_path] = NODE
            if isinstance(item, dict):
                for name, sub in item.items():
                    _walk(sub, child(item_schema, name), (*item_path, f"f:{name}"), out, containers)
        return
    out[prefix] = value


def flatten(obj: Mapping[str, Any] | None, schema: Schema, *, containers: bool) -> dict[Path, Any]:
    """Tracked paths of ``obj`` → leaf values (``NODE`` for inner nodes)."""
    out: dict[Path, Any] = {}
    if not obj:
        return out
    for name, value in obj.items():
        if name in ("apiVersion", "kind"):
            continue
        if name == "metadata" and isinstance(value, dict):
            meta_schema = child(schema, "metadata")
            for mname, mvalue in value.items():
                if f"f:{mname}" not in _UNTRACKED_META:
                    _walk(mvalue, child(meta_schema, mname), ("f:metadata", f"f:{mname}"), out, containers)
            continue
        _walk(value, child(schema, name), (f"f:{name}",), out, containers)
    return out


def encode(paths: Iterable[Path]) -> dict[str, Any]:
    """The fieldsV1 tree of a path set (``.`` marks an owned node that also has owned children)."""
    root: dict[str, Any] = {}
    owned: list[dict[str, Any]] = []
    for path in sorted(paths):
        node = root
        for element in path:
            node = node.setdefault(element, {})
        owned.append(node)
    for node in owned:
        if node and "." not in node:
            node["."] = {}
    return _sorted(root)


def _sorted(node: dict[str, Any]) -> dict[str, Any]:
    return {key: _sorted(node[key]) for key in sorted(node, key=lambda k: (k != ".", k))}


def decode(tree: Mapping[str, Any] | None) -> set[Path]:
    out: set[Path] = set()

    def visit(node: Mapping[str, Any], prefix: Path) -> None:
        for element, sub in node.items():
            if element == ".":
                out.add(prefix)
                continue
            path = (*prefix, _canonical(element))
            if not sub:
                out.add(path)
            else:
                visit(sub, path)

    visit(tree or {}, ())
    return out


def _canonical(element: str) -> str:
    if element[:2] in ("k:", "v:"):
        try:
            return element[:2] + json.dumps(json.loads(element[2:]), sort_keys=True, separators=(",", ":"))
        except ValueError:
            return element
    return element


def readable(path: Path) -> str:
    """A path as the server prints it in conflict messages: ``.spec.containers[name="c"].image``."""
    parts = []
    for element in path:
        kind, text = element[:2], element[2:]
        if kind == "f:":
            parts.append(f".{text}")
        elif kind == "k:":
            key = json.loads(text)
            parts.append("[" + ",".join(f"{k}={json.dumps(v)}" for k, v in key.items()) + "]")
        elif kind == "v:":
            parts.append(f"[={text}]")
        else:
            parts.append(f"[{text}]")
    return "".join(parts)


def under(path: Path, prefix: Path) -> bool:
    return path[: len(prefix)] == prefix
