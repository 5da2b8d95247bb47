"""``metadata.managedFields`` bookkeeping for non-apply writes (create, update, patch), as the server does it.

Entries are identified by (manager, operation, subresource). An *update* by manager M takes ownership of
every path it added or changed (maps it created included) and takes those paths away from every other entry;
paths it removed are removed from all entries; entries left empty disappear. The manager name is the
``fieldManager`` query parameter, else the User-Agent up to its first ``/`` (``OpenAPI-Generator`` for
kubernetes-asyncio). A request carrying ``managedFields: []`` keeps the stored entries, ``[{}]`` strips them,
anything else replaces them. Simplification: entries are not grouped per apiVersion (the last write's
apiVersion is recorded), and the server's cap on the number of update entries is not applied.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.kubeapi.fields import Path, decode, diff, encode
from tests.kubeapi.structure import Schema


@dataclass(slots=True)
class Entry:
    manager: str
    operation: str
    subresource: str
    api_version: str
    time: str
    paths: set[Path]
    source: dict[str, Any] | None = field(default=None, repr=False)  # the fieldsV1 it was decoded from
    source_paths: frozenset[Path] = frozenset()

    @property
    def ident(self) -> tuple[str, str, str]:
        return (self.manager, self.operation, self.subresource)

    def describe(self) -> str:
        """How conflict messages name a manager: ``"m" using apps/v1`` or ``"m" with subresource
        "scale" ...``."""
        sub = f' with subresource "{self.subresource}"' if self.subresource else ""
        return f'"{self.manager}"{sub} using {self.api_version}'


_DECODED: dict[int, tuple[dict[str, Any], frozenset[Path]]] = {}


def _decode_cached(tree: Any) -> frozenset[Path]:
    """Stored objects are immutable, so a fieldsV1 tree decodes to the same set every time it is read."""
    if not isinstance(tree, dict):
        return frozenset(decode(tree))
    cached = _DECODED.get(id(tree))
    if cached is not None and cached[0] is tree:
        return cached[1]
    if len(_DECODED) > 20_000:
        _DECODED.clear()
    paths = frozenset(decode(tree))
    _DECODED[id(tree)] = (tree, paths)
    return paths


_ENCODED: dict[frozenset[Path], dict[str, Any]] = {}


def _encode_cached(paths: set[Path]) -> dict[str, Any]:
    """The fieldsV1 tree of ``paths``, shared by every entry that owns the same set: the trees are stored
    in objects, which are immutable, and many objects have entries alike (the kubelet's of every pod of a
    Deployment). The tree's paths are remembered for ``entries_of``, which then has nothing to decode."""
    key = frozenset(paths)
    tree = _ENCODED.get(key)
    if tree is None:
        tree = _remember(key, _encode_by_field(key))
    if () not in key:  # the root alone encodes to {}, which decodes to nothing; every other set round-trips
        if len(_DECODED) > 20_000:
            _DECODED.clear()
        _DECODED[id(tree)] = (tree, key)
    return tree


def _remember(key: frozenset[Path], tree: dict[str, Any]) -> dict[str, Any]:
    if len(_ENCODED) > 8_000:
        _ENCODED.clear()
    _ENCODED[key] = tree
    return tree


def _encode_by_field(paths: frozenset[Path]) -> dict[str, Any]:
    """``encode(paths)``, each top-level field's subtree shared with every set that has the same paths under
    it: pods created from one template differ in their metadata (owner, name) but not in their spec."""
    if () in paths:
        return encode(paths)
    groups: dict[str, list[Path]] = {}
    for path in paths:
        groups.setdefault(path[0], []).append(path)
    tree: dict[str, Any] = {}
    for name in sorted(groups):
        group = frozenset(groups[name])
        part = _ENCODED.get(group)
        if part is None:
            part = _remember(group, encode(group))
        tree[name] = part[name]
    return tree


def entries_of(obj: dict[str, Any] | None) -> list[Entry]:
    if not obj:
        return []
    result = []
    for raw in obj.get("metadata", {}).get("managedFields") or ():
        if not isinstance(raw, dict) or (not raw.get("manager") and not raw.get("fieldsV1")):
            continue
        result.append(
            Entry(
                manager=str(raw.get("manager", "")),
                operation=str(raw.get("operation", "Update")),
                subresource=str(raw.get("subresource", "")),
                api_version=str(raw.get("apiVersion", "")),
                time=str(raw.get("time", "")),
                paths=set(paths := _decode_cached(raw.get("fieldsV1"))),
                source=raw.get("fieldsV1") if isinstance(raw.get("fieldsV1"), dict) else None,
                source_paths=paths,
            )
        )
    return result


def to_managed_fields(entries: list[Entry]) -> list[dict[str, Any]]:
    out = []
    for entry in entries:
        if not entry.paths:
            continue
        raw: dict[str, Any] = {
            "manager": entry.manager,
            "operation": entry.operation,
            "apiVersion": entry.api_version,
            "time": entry.time,
            "fieldsType": "FieldsV1",
            "fieldsV1": entry.source
            if entry.source is not None and entry.paths == entry.source_paths
            else _encode_cached(entry.paths),
        }
        if entry.subresource:
            raw["subresource"] = entry.subresource
        out.append(raw)
    return out


def manager_name(field_manager: str | None, user_agent: str | None) -> str:
    if field_manager:
        return field_manager
    return (user_agent or "unknown").split("/", 1)[0][:128] or "unknown"


def changes(old: dict[str, Any] | None, new: dict[str, Any], schema: Schema) -> tuple[set[Path], set[Path]]:
    """(added or modified paths, removed paths) between two objects, inner nodes included."""
    return diff(old, new, schema)


def track_update(
    *,
    old: dict[str, Any] | None,
    new: dict[str, Any],
    schema: Schema,
    entries: list[Entry],
    manager: str,
    subresource: str,
    api_version: str,
    now: str,
) -> list[Entry]:
    changed, removed = changes(old, new, schema)
    ident = (manager, "Update", subresource)
    mine = next((e for e in entries if e.ident == ident), None)
    for entry in entries:
        entry.paths -= removed
        if entry is not mine:
            entry.paths -= changed
    if changed:
        if mine is None:
            mine = Entry(manager, "Update", subresource, api_version, now, set())
            entries.append(mine)
        mine.paths |= changed
        mine.time = now
        mine.api_version = api_version
    return [e for e in entries if e.paths]
