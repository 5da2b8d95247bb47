"""Field sets: the paths of an object as server-side apply names them, and their ``fieldsV1`` encoding.

A path is a tuple of fieldsV1 elements: ``f:<field>``, ``k:<json key>`` for an item of a map list (keys
sorted, compact JSON, as in structured-merge-diff), ``v:<json value>`` for an item of a set. Atomic lists and
maps are leaves. :func:`flatten` maps each path to its leaf value (or :data:`NODE` for maps and list items);
``containers=False`` yields the set an *apply* claims (leaves and list items), ``containers=True`` also maps
(not lists, nor the structs of built-in types, which always exist), which an *update* is charged for when it
adds them. Server-maintained metadata is never tracked.

:func:`diff` gives what comparing the ``containers=True`` flattenings of an old and a new object gives (paths
added or changed, paths removed) without flattening what the two have in common: a value equal on both sides
is skipped whole, maps and map lists (by item key) are compared entry by entry, and only what differs is
walked. Simplification: values Python holds equal (``1``, ``1.0`` and ``true``) count as unchanged even
inside a set item or a map-list key, where their JSON (and so the path) differs.
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


_MISSING: Any = object()


def _walked(value: Any, schema: Schema, path: Path) -> dict[Path, Any]:
    out: dict[Path, Any] = {}
    if value is not _MISSING:
        _walk(value, schema, path, out, True)
    return out


def _item_walked(item: Any, item_schema: Schema, item_path: Path) -> dict[Path, Any]:
    """What ``_walk`` records for one item of a map list."""
    if item is _MISSING:
        return {}
    out: dict[Path, Any] = {item_path: NODE}
    if isinstance(item, dict):
        for name, sub in item.items():
            _walk(sub, child(item_schema, name), (*item_path, f"f:{name}"), out, True)
    return out


def _compare(before: dict[Path, Any], after: dict[Path, Any], changed: set[Path], removed: set[Path]) -> None:
    for path, value in after.items():
        previous = before.get(path, _MISSING)
        if previous is _MISSING or ((value is not NODE or previous is not NODE) and previous != value):
            changed.add(path)
    removed.update(before.keys() - after.keys())


def _keyed(value: list[Any], schema: Schema) -> dict[str, Any] | None:
    """The items of a map list by key, or None when two share a key (then only a full walk tells)."""
    keyed = {key_of(item, schema): item for item in value}
    return keyed if len(keyed) == len(value) else None


def _diff(old: Any, new: Any, schema: Schema, prefix: Path, changed: set[Path], removed: set[Path]) -> None:
    if old is new or old == new:
        return
    if isinstance(old, dict) and old and isinstance(new, dict) and new and not is_atomic_map(schema):
        # the map itself is NODE on both sides: only its fields can differ
        _diff_fields(old, new, schema, prefix, changed, removed)
        return
    if (
        isinstance(old, list)
        and old
        and isinstance(new, list)
        and new
        and list_type(schema) == "map"
        and (old_items := _keyed(old, schema)) is not None
        and (new_items := _keyed(new, schema)) is not None
    ):
        item_schema = items(schema)
        for key in old_items.keys() | new_items.keys():
            item_path = (*prefix, "k:" + key)
            before, after = old_items.get(key, _MISSING), new_items.get(key, _MISSING)
            if isinstance(before, dict) and isinstance(after, dict):
                if before != after:
                    _diff_fields(before, after, item_schema, item_path, changed, removed)
            else:
                before_paths = _item_walked(before, item_schema, item_path)
                _compare(before_paths, _item_walked(after, item_schema, item_path), changed, removed)
        return
    _compare(_walked(old, schema, prefix), _walked(new, schema, prefix), changed, removed)


def _diff_fields(
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    schema: Schema,
    prefix: Path,
    changed: set[Path],
    removed: set[Path],
    *,
    skip: frozenset[str] = frozenset(),
) -> None:
    for name in old.keys() | new.keys():
        path = (*prefix, f"f:{name}")
        if path[-1] in skip:
            continue
        before, after = old.get(name, _MISSING), new.get(name, _MISSING)
        if before is _MISSING or after is _MISSING:
            # paths under one field are nobody else's: all of them are added, or all removed
            sub_schema = child(schema, name)
            changed.update(_walked(after, sub_schema, path))
            removed.update(_walked(before, sub_schema, path))
        else:
            _diff(before, after, child(schema, name), path, changed, removed)


def diff(
    old: Mapping[str, Any] | None, new: Mapping[str, Any] | None, schema: Schema
) -> tuple[set[Path], set[Path]]:
    """(paths added or changed, paths removed) from ``old`` to ``new``: what comparing
    ``flatten(old, containers=True)`` with ``flatten(new, containers=True)`` gives, leaves by value."""
    changed: set[Path] = set()
    removed: set[Path] = set()
    old, new = old or {}, new or {}
    for name in old.keys() | new.keys():
        if name in ("apiVersion", "kind"):
            continue
        before, after = old.get(name, _MISSING), new.get(name, _MISSING)
        if before is after or before == after:
            continue
        if name == "metadata" and isinstance(before, dict) and isinstance(after, dict):
            meta_schema = child(schema, "metadata")
            _diff_fields(before, after, meta_schema, ("f:metadata",), changed, removed, skip=_UNTRACKED_META)
        elif name == "metadata" or before is _MISSING or after is _MISSING:
            was = flatten({name: before} if before is not _MISSING else None, schema, containers=True)
            now = flatten({name: after} if after is not _MISSING else None, schema, containers=True)
            _compare(was, now, changed, removed)
        else:
            _diff(before, after, child(schema, name), (f"f:{name}",), changed, removed)
    return changed, removed


def encode(paths: Iterable[Path]) -> dict[str, Any]:
    """The fieldsV1 tree of a path set (``.`` marks an owned node that also has owned children)."""
    # Sorted paths come parent first and siblings in order, so building the tree in that order leaves every
    # map sorted; an owned node gets its "." the moment its first child arrives, which keeps "." first. Each
    # path shares a prefix with the one before and adds only new nodes below it.
    root: dict[str, Any] = {}
    owned: set[int] = set()
    stack = [root]  # the nodes along the previous path
    previous: Path = ()
    for path in sorted(paths):
        shared = 0
        limit = min(len(previous), len(path))
        while shared < limit and previous[shared] == path[shared]:
            shared += 1
        del stack[shared + 1 :]
        node = stack[shared]
        if not node and id(node) in owned:
            node["."] = {}
        for element in path[shared:]:
            child: dict[str, Any] = {}
            node[element] = child
            stack.append(child)
            node = child
        owned.add(id(node))
        previous = path
    return root


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
