"""Server-side apply (``application/apply-patch+yaml``): merge, field ownership and conflicts (pure).

Follows the server-side-apply documentation and structured-merge-diff:

- The applied configuration claims its leaves and the items of its map/set lists (the *applied set*).
- It is merged into the live object: maps recursively (unless ``x-kubernetes-map-type: atomic``), map lists by
  their keys (items keep their live order; new items are appended), sets by value, everything else replaced.
- Fields the manager applied before but omits now are removed from the object unless another manager owns
  them (or something under them); maps emptied by such removals are dropped.
- A *conflict* is a path owned by another manager (apply or update) whose value the merge would change.
  Without ``force`` any conflict fails the request with 409 and the server's message; with ``force`` the other
  managers lose those paths. Agreeing on a value shares ownership.
- The manager's Apply entry (per subresource) then owns exactly the applied set.

Simplifications: ``null`` values in an applied configuration are dropped rather than treated specially; the
applied configuration is neither validated nor defaulted before merging (custom resources are admitted after
the merge, like any write).
"""

from __future__ import annotations

import json
from typing import Any

from tests.kubeapi import errors
from tests.kubeapi.fields import Path, flatten, readable, under
from tests.kubeapi.managed import Entry, changes
from tests.kubeapi.structure import Schema, child, is_atomic_map, items, key_of, list_type


def drop_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [drop_nulls(v) for v in value if v is not None]
    return value


def merge(live: Any, applied: Any, schema: Schema) -> Any:
    if isinstance(live, dict) and isinstance(applied, dict) and not is_atomic_map(schema):
        out = dict(live)
        for name, value in applied.items():
            out[name] = merge(live[name], value, child(schema, name)) if name in live else value
        return out
    if isinstance(live, list) and isinstance(applied, list):
        kind = list_type(schema)
        if kind == "set":
            return live + [v for v in applied if v not in live]
        if kind == "map":
            incoming = {key_of(item, schema): item for item in applied}
            merged_items: list[Any] = []
            for item in live:
                key = key_of(item, schema)
                merged_items.append(
                    merge(item, incoming.pop(key), items(schema)) if key in incoming else item
                )
            return merged_items + list(incoming.values())
    return applied


def _remove(obj: Any, path: Path, schema: Schema) -> Any:
    """``obj`` without the node at ``path`` (copying only along the path)."""
    if not path:
        return obj
    element, rest = path[0], path[1:]
    if isinstance(obj, dict) and element.startswith("f:"):
        name = element[2:]
        if name not in obj:
            return obj
        out = dict(obj)
        if not rest:
            del out[name]
        else:
            out[name] = _remove(obj[name], rest, child(schema, name))
            if out[name] in ({}, []) and obj[name] not in ({}, []):
                del out[name]
        return out
    if isinstance(obj, list) and element[:2] in ("k:", "v:"):
        out_list = []
        for item in obj:
            ident = "k:" + key_of(item, schema) if element.startswith("k:") else None
            if element.startswith("v:"):
                ident = "v:" + json.dumps(item, sort_keys=True, separators=(",", ":"))
            if ident != element:
                out_list.append(item)
            elif rest:
                out_list.append(_remove(item, rest, items(schema)))
        return out_list
    return obj


def _conflict_error(conflicts: list[tuple[Entry, Path]]) -> errors.StatusError:
    count = len(conflicts)
    if count == 1:
        entry, path = conflicts[0]
        text = f"conflict with {entry.describe()}: {readable(path)}"
    else:
        lines: list[str] = []
        by_manager: dict[str, list[Path]] = {}
        for entry, path in conflicts:
            by_manager.setdefault(entry.describe(), []).append(path)
        for manager, paths in by_manager.items():
            lines.append(f"conflicts with {manager}:")
            lines.extend(f"- {readable(p)}" for p in sorted(paths))
        text = "\n".join(lines)
    plural = "" if count == 1 else "s"
    causes = [
        {
            "reason": "FieldManagerConflict",
            "message": f"conflict with {entry.describe()}",
            "field": readable(path),
        }
        for entry, path in conflicts
    ]
    return errors.StatusError(
        409, "Conflict", f"Apply failed with {count} conflict{plural}: {text}", details={"causes": causes}
    )


def apply(
    *,
    live: dict[str, Any],
    applied: dict[str, Any],
    schema: Schema,
    entries: list[Entry],
    manager: str,
    subresource: str,
    force: bool,
    api_version: str,
    now: str,
) -> tuple[dict[str, Any], list[Entry]]:
    """The merged object and the new managedFields entries, or a 409 StatusError for conflicts."""
    applied = drop_nulls(applied)
    applied_set = set(flatten(applied, schema, containers=False))
    ident = (manager, "Apply", subresource)
    mine = next((e for e in entries if e.ident == ident), None)
    others = [e for e in entries if e.ident != ident]
    merged = merge(live, applied, schema)
    if mine is not None:
        removable: list[Path] = []
        for path in sorted(mine.paths - applied_set, key=len):
            if any(under(path, kept) for kept in removable):
                continue  # goes with its parent (a list item is matched by its key fields)
            if any(under(p, path) for p in applied_set):
                continue
            if any(under(p, path) for other in others for p in other.paths):
                continue
            removable.append(path)
        for path in reversed(removable):
            merged = _remove(merged, path, schema)
    changed, removed = changes(live, merged, schema)
    conflicts = [(other, path) for other in others for path in sorted(other.paths & changed & applied_set)]
    if conflicts and not force:
        raise _conflict_error(conflicts)
    for other in others:
        other.paths -= removed
        if force:
            other.paths -= applied_set & changed
    if mine is None:
        mine = Entry(manager, "Apply", subresource, api_version, now, set())
        entries = [*entries, mine]
    mine.paths = applied_set
    mine.time = now
    mine.api_version = api_version
    return merged, [e for e in entries if e.paths]
