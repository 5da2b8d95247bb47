"""Names the real controllers give to what they create.

- `pod-template-hash` (Deployment → ReplicaSet → Pod): `controller.ComputeHash` is an FNV-32a hash of the pod
  template (plus the collision count) rendered through `rand.SafeEncodeString`, which maps each decimal digit
  of the hash onto the alphabet `bcdfghjklmnpqrstvwxz2456789`, so hashes look like `7c5ddbdf54`. The real
  controller hashes Go's deep-printed struct; here the canonical JSON of the template is hashed — the value
  differs from a real cluster's for the same template, but it has the same shape, is stable, and changes
  exactly when the template changes.
- Pod names `<replicaset>-<5 chars>` come from the API server's `generateName` (same alphabet).
- StatefulSet pods are `<name>-<ordinal>`; their `controller-revision-hash` label is `<name>-<hash>`.
- Event names are `<involvedObject.name>.<unix nanoseconds in hex>` (client-go `record.makeEvent`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

ALPHANUMS = "bcdfghjklmnpqrstvwxz2456789"
_FNV_OFFSET = 0x811C9DC5
_FNV_PRIME = 0x01000193


def fnv32a(data: bytes) -> int:
    """FNV-1a, 32 bits (Go's `hash/fnv.New32a`)."""
    value = _FNV_OFFSET
    for byte in data:
        value = ((value ^ byte) * _FNV_PRIME) & 0xFFFFFFFF
    return value


def safe_encode(text: str) -> str:
    """`k8s.io/apimachinery/pkg/util/rand.SafeEncodeString`: no vowels, no look-alike characters."""
    return "".join(ALPHANUMS[ord(char) % len(ALPHANUMS)] for char in text)


_HASHES: dict[bytes, str] = {}


def template_hash(template: Mapping[str, Any], collision_count: int = 0) -> str:
    """The `pod-template-hash` of a pod template."""
    canonical = json.dumps(template, sort_keys=True, separators=(",", ":")).encode()
    if collision_count:
        canonical += str(collision_count).encode()
    # a Deployment is synced many times with the same template; hashing byte by byte in Python is the cost
    known = _HASHES.get(canonical)
    if known is None:
        if len(_HASHES) > 10_000:
            _HASHES.clear()
        known = _HASHES[canonical] = safe_encode(str(fnv32a(canonical)))
    return known


def event_name(object_name: str, now_ns: int | None = None) -> str:
    """The name client-go's event recorder gives an Event about `object_name`."""
    return f"{object_name}.{now_ns if now_ns is not None else time.time_ns():x}"
