"""Just enough of the Kubernetes protobuf encoding to read the bodies kubectl's typed clients send.

kubectl's ``create namespace|configmap|secret|serviceaccount`` send ``application/vnd.kubernetes.protobuf``
bodies and client-go does not fall back to JSON on a 415, so the emulator decodes them: the ``k8s\\0``
envelope (``runtime.Unknown``: typeMeta, raw), ``ObjectMeta`` (name, generateName, namespace, labels,
annotations, finalizers), and the top-level fields of Namespace, ConfigMap, Secret and ServiceAccount. Any
other kind is refused with 415. Responses are always JSON, which those clients also accept.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

from tests.kubeapi import errors

MAGIC = b"k8s\x00"


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def _fields(data: bytes) -> Iterator[tuple[int, int | bytes]]:
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(data, pos)
            yield number, value
        elif wire == 2:
            length, pos = _varint(data, pos)
            yield number, data[pos : pos + length]
            pos += length
        elif wire == 1:
            pos += 8
        elif wire == 5:
            pos += 4
        else:
            raise ValueError(f"unsupported wire type {wire}")


def _map_entry(data: bytes) -> tuple[str, bytes]:
    key, value = "", b""
    for number, raw in _fields(data):
        if number == 1 and isinstance(raw, bytes):
            key = raw.decode()
        elif number == 2 and isinstance(raw, bytes):
            value = raw
    return key, value


def _object_meta(data: bytes) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    names = {1: "name", 2: "generateName", 3: "namespace"}
    for number, raw in _fields(data):
        if not isinstance(raw, bytes):
            continue
        if number in names:
            if raw:  # proto2 encodes empty optional strings; the JSON form omits them
                meta[names[number]] = raw.decode()
        elif number in (11, 12):
            key, value = _map_entry(raw)
            meta.setdefault("labels" if number == 11 else "annotations", {})[key] = value.decode()
        elif number == 14:
            meta.setdefault("finalizers", []).append(raw.decode())
    return meta


def _string_map(entries: list[bytes], *, binary: bool) -> dict[str, str]:
    out = {}
    for entry in entries:
        key, value = _map_entry(entry)
        out[key] = base64.b64encode(value).decode() if binary else value.decode()
    return out


def decode(body: bytes) -> dict[str, Any]:
    """The JSON form of a protobuf-encoded Namespace, ConfigMap, Secret or ServiceAccount."""
    if not body.startswith(MAGIC):
        raise errors.unsupported_media_type("application/vnd.kubernetes.protobuf", ["application/json"])
    api_version = kind = ""
    raw = b""
    for number, value in _fields(body[len(MAGIC) :]):
        if number == 1 and isinstance(value, bytes):
            for sub, text in _fields(value):
                if isinstance(text, bytes):
                    if sub == 1:
                        api_version = text.decode()
                    elif sub == 2:
                        kind = text.decode()
        elif number == 2 and isinstance(value, bytes):
            raw = value
    if kind not in ("Namespace", "ConfigMap", "Secret", "ServiceAccount"):
        raise errors.unsupported_media_type("application/vnd.kubernetes.protobuf", ["application/json"])
    obj: dict[str, Any] = {"apiVersion": api_version, "kind": kind, "metadata": {}}
    maps: dict[int, list[bytes]] = {}
    for number, value in _fields(raw):
        if number == 1 and isinstance(value, bytes):
            obj["metadata"] = _object_meta(value)
        elif isinstance(value, bytes):
            maps.setdefault(number, []).append(value)
        elif kind in ("ConfigMap", "Secret") and number == (4 if kind == "ConfigMap" else 5):
            obj["immutable"] = bool(value)
    if kind == "ConfigMap":
        if 2 in maps:
            obj["data"] = _string_map(maps[2], binary=False)
        if 3 in maps:
            obj["binaryData"] = _string_map(maps[3], binary=True)
    elif kind == "Secret":
        if 2 in maps:
            obj["data"] = _string_map(maps[2], binary=True)
        if 3 in maps and maps[3][0]:
            obj["type"] = maps[3][0].decode()
        if 4 in maps:
            obj["stringData"] = _string_map(maps[4], binary=False)
    return obj
