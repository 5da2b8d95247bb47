"""Small pure helpers over object metadata: timestamps, names, uids, copying, generation."""

from __future__ import annotations

import random
import time
import uuid
from typing import Any

_NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789"  # what the server's generateName suffix is drawn from


def rfc3339(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def new_uid() -> str:
    return str(uuid.uuid4())


def generated_name(prefix: str, rng: random.Random) -> str:
    return prefix + "".join(rng.choice(_NAME_CHARS) for _ in range(5))


def clone(value: Any) -> Any:
    """A deep copy of a JSON value (several times faster than ``copy.deepcopy``)."""
    if isinstance(value, dict):
        return {k: clone(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clone(v) for v in value]
    return value


def spec_changed(old: dict[str, Any], new: dict[str, Any], *, ignore_status: bool) -> bool:
    """Whether a write changes anything that bumps ``metadata.generation``: every top-level field but
    ``metadata`` (and ``status`` where a status subresource exists)."""
    ignored = {"metadata", "apiVersion", "kind"} | ({"status"} if ignore_status else set())
    keys = (old.keys() | new.keys()) - ignored
    return any(old.get(k) != new.get(k) for k in keys)


def without_volatile(obj: dict[str, Any]) -> dict[str, Any]:
    """``obj`` without resourceVersion and managedFields, for detecting writes that change nothing."""
    meta = {k: v for k, v in obj.get("metadata", {}).items() if k not in ("resourceVersion", "managedFields")}
    return {**obj, "metadata": meta}


def get_path(obj: Any, dotted: str) -> Any:
    node = obj
    for part in dotted.strip(".").split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def set_path(obj: dict[str, Any], dotted: str, value: Any) -> dict[str, Any]:
    """A copy of ``obj`` with ``value`` at ``dotted`` (copying only the dicts along the path)."""
    parts = dotted.strip(".").split(".")
    out = dict(obj)
    node = out
    for part in parts[:-1]:
        nxt = node.get(part)
        node[part] = dict(nxt) if isinstance(nxt, dict) else {}
        node = node[part]
    node[parts[-1]] = value
    return out
