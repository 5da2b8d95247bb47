"""The ObjectMeta validation every real write gets, with the server's messages (pure functions).

Names: DNS-1123 subdomains (253 characters) for most types, DNS-1123 labels (63) for namespaces, DNS-1035
labels for services. Label keys (optional DNS-subdomain prefix, 63-character name) and values (63 characters),
the 256 KiB limit on all annotations together, and ownerReferences (apiVersion, kind, name and uid required;
at most one with ``controller: true``). Failures are one 422 ``Invalid`` with a cause per field.
"""

from __future__ import annotations

import re
from typing import Any

_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL_1123 = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_LABEL_1035 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")

_SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
    "start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
_LABEL_1123_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start "
    "and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
_LABEL_1035_MSG = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic "
    "character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for "
    "validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
)
_QUALIFIED_MSG = (
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
    "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
)
_VALUE_MSG = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must "
    "start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used "
    "for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
)
ANNOTATIONS_LIMIT = 256 * 1024

Cause = tuple[str, str, str]  # (field, reason, message)


def _invalid(field: str, value: str, why: str) -> Cause:
    return (field, "FieldValueInvalid", f'Invalid value: "{value}": {why}')


def name_causes(name: str, *, plural: str) -> list[Cause]:
    if plural == "namespaces":
        pattern, message, limit = _LABEL_1123, _LABEL_1123_MSG, 63
    elif plural == "services":
        pattern, message, limit = _LABEL_1035, _LABEL_1035_MSG, 63
    else:
        pattern, message, limit = _SUBDOMAIN, _SUBDOMAIN_MSG, 253
    causes = []
    if len(name) > limit:
        causes.append(_invalid("metadata.name", name, f"must be no more than {limit} characters"))
    if not pattern.match(name):
        causes.append(_invalid("metadata.name", name, message))
    return causes


def _key_causes(key: str) -> list[Cause]:
    prefix, _, name = key.rpartition("/")
    causes = []
    if prefix and (len(prefix) > 253 or not _SUBDOMAIN.match(prefix)):
        causes.append(_invalid("metadata.labels", key, "prefix part " + _SUBDOMAIN_MSG))
    if len(name) > 63:
        causes.append(_invalid("metadata.labels", key, "name part must be no more than 63 characters"))
    if not _QUALIFIED_NAME.match(name):
        causes.append(_invalid("metadata.labels", key, _QUALIFIED_MSG))
    return causes


def _owner_causes(refs: Any) -> list[Cause]:
    if not isinstance(refs, list):
        return []
    causes: list[Cause] = []
    for ref in refs:
        ref = ref if isinstance(ref, dict) else {}
        for field, what in (("apiVersion", "version"), ("kind", "kind"), ("name", "name"), ("uid", "uid")):
            if not ref.get(field):
                causes.append(_invalid(f"metadata.ownerReferences.{field}", "", f"{what} must not be empty"))
    controllers = [r for r in refs if isinstance(r, dict) and r.get("controller")]
    if len(controllers) > 1:
        names = " and ".join(f"{r.get('kind')}/{r.get('name')}" for r in controllers)
        causes.append(
            (
                "metadata.ownerReferences",
                "FieldValueInvalid",
                f'Only one reference can have Controller set to true. Found "true" in references for {names}',
            )
        )
    return causes


def meta_causes(meta: dict[str, Any]) -> list[Cause]:
    """Causes for invalid labels and oversized annotations."""
    causes: list[Cause] = []
    labels = meta.get("labels") or {}
    if isinstance(labels, dict):
        for key, value in labels.items():
            causes.extend(_key_causes(str(key)))
            text = "" if value is None else str(value)
            if len(text) > 63:
                causes.append(_invalid("metadata.labels", text, "must be no more than 63 characters"))
            if not _LABEL_VALUE.match(text):
                causes.append(_invalid("metadata.labels", text, _VALUE_MSG))
    causes.extend(_owner_causes(meta.get("ownerReferences")))
    annotations = meta.get("annotations") or {}
    if isinstance(annotations, dict):
        size = sum(len(str(k)) + len(str(v)) for k, v in annotations.items())
        if size > ANNOTATIONS_LIMIT:
            causes.append(
                (
                    "metadata.annotations",
                    "FieldValueTooLong",
                    f"Too long: must have at most {ANNOTATIONS_LIMIT} bytes",
                )
            )
    return causes


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object" if isinstance(value, dict) else "null"


def _mismatch(value: Any, field: str, go_type: str) -> str:
    return f"json: cannot unmarshal {_json_type(value)} into Go struct field {field} of type {go_type}"


def _string_map(value: Any, field: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        return _mismatch(value, field, "map[string]string")
    for item in value.values():
        if item is not None and not isinstance(item, str):
            return _mismatch(item, field, "string")
    return None


def decode_error(obj: dict[str, Any], *, kind: str, custom: bool) -> str | None:
    """What decoding ``obj`` into its Go type would fail on (ObjectMeta everywhere, and the top-level
    ``spec``/``status`` structs and ConfigMap/Secret data of built-in types), or None."""
    meta = obj.get("metadata")
    if meta is None:
        return None
    if not isinstance(meta, dict):
        return _mismatch(meta, ".metadata", "v1.ObjectMeta")
    for name in ("name", "generateName", "namespace", "resourceVersion", "uid"):
        if meta.get(name) is not None and not isinstance(meta[name], str):
            return _mismatch(meta[name], f"ObjectMeta.metadata.{name}", "string")
    for name in ("labels", "annotations"):
        error = _string_map(meta.get(name), f"ObjectMeta.metadata.{name}")
        if error:
            return error
    finalizers = meta.get("finalizers")
    if finalizers is not None and (
        not isinstance(finalizers, list) or not all(isinstance(f, str) for f in finalizers)
    ):
        return _mismatch(finalizers, "ObjectMeta.metadata.finalizers", "[]string")
    for name, go_type in (
        ("ownerReferences", "v1.OwnerReference"),
        ("managedFields", "v1.ManagedFieldsEntry"),
    ):
        entries = meta.get(name)
        if entries is None:
            continue
        if not isinstance(entries, list):
            return _mismatch(entries, f"ObjectMeta.metadata.{name}", f"[]{go_type}")
        for entry in entries:
            if not isinstance(entry, dict):
                return _mismatch(entry, f"ObjectMeta.metadata.{name}", go_type)
            for key, value in entry.items():
                if key not in ("fieldsV1", "controller", "blockOwnerDeletion") and not isinstance(value, str):
                    return _mismatch(value, f"{go_type[3:]}.metadata.{name}.{key}", "string")
            if not isinstance(entry.get("fieldsV1", {}), dict):
                return _mismatch(
                    entry["fieldsV1"], f"ManagedFieldsEntry.metadata.{name}.fieldsV1", "v1.FieldsV1"
                )
    if custom:
        return None
    for name in ("spec", "status"):
        if obj.get(name) is not None and not isinstance(obj[name], dict):
            return _mismatch(obj[name], f".{name}", "struct")
    if kind in ("ConfigMap", "Secret"):
        for name in ("data", "stringData", "binaryData"):
            error = _string_map(obj.get(name), f".{name}")
            if error:
                return error
    return None
