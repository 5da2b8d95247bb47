"""OpenAPI value validation of a custom resource, as kube-openapi runs it inside kube-apiserver (1.32).

Contract: `validate_openapi(value, schema, prefix=None, old=ABSENT)` returns the field errors the server's
`ValidateCustomResource` / `ValidateCustomResourceUpdate` produces, in order; `validate_list_types(value,
schema)` returns those of `ValidateListSetsAndMaps` (`x-kubernetes-list-type` set/map uniqueness).

How the real server words them (kube-openapi errors converted by apiextensions'
`kubeOpenAPIResultToFieldErrors`):
- the detail repeats the kube-openapi path and "in body": `spec.transport in body should be at least 1 chars
  long`; list items are `[i]`, map entries `.key`; a required field is `Required value` without detail;
- `required` → FieldValueRequired, `enum` → FieldValueNotSupported, `maxLength` → FieldValueTooLong (`may not
  be more than N bytes`), `maxItems`/`maxProperties` → FieldValueTooMany, a type mismatch →
  FieldValueTypeInvalid whose bad value is the actual JSON type (`must be of type integer: "string"`),
  everything else → Invalid;
- validators run per node in kube-openapi's order (type, allOf/anyOf/oneOf/not, string, format, number, array,
  enum, object); a string reports only the first of its length/pattern failures (format is checked apart);
  `minProperties`/`maxProperties` stop the object's other checks; `prefix` is the field path the status
  subresource validates under ("status"), while the detail keeps the path relative to the status schema, as
  the server does.

Ratcheting (on by default since 1.30): with `old`, a node whose correlated old value is equal reports nothing.
Correlation follows object keys, map values and `x-kubernetes-list-type: map` items by key, set items by
value; items of atomic lists are not correlated.

Simplifications: property order is the schema's declaration order (Go iterates maps randomly); `format` checks
cover date-time, date, uuid, byte, ipv4, ipv6 and cidr (other formats pass, as unknown ones do on the server);
`pattern` uses Python's `re` (RE2 and `re` agree on the patterns CRDs use); int32/int64 range checks are
skipped.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from functools import lru_cache
from typing import Any, Final

from tests.kubeapi import fielderrors as fe
from tests.kubeapi.fielderrors import FieldError, go_float, go_json, go_quote


class _Absent:
    """No correlated old value."""


ABSENT: Final = _Absent()

_RFC3339: Final = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$",
)
_DATE: Final = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_UUID: Final = re.compile(
    r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$"
)


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def json_equal(a: Any, b: Any) -> bool:
    """Go's `reflect.DeepEqual` on decoded JSON: 1 and 1.0 and True differ."""
    if json_type(a) != json_type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def schema_types(schema: dict[str, Any]) -> list[str]:
    if schema.get("x-kubernetes-int-or-string"):
        return ["integer", "string"]
    kind = schema.get("type")
    return [kind] if isinstance(kind, str) and kind else []


@lru_cache(maxsize=512)
def _pattern(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:
        return None


def _format_ok(fmt: str, value: str) -> bool:
    checks = {
        "date-time": lambda v: bool(_RFC3339.match(v)),
        "datetime": lambda v: bool(_RFC3339.match(v)),
        "date": lambda v: bool(_DATE.match(v)),
        "uuid": lambda v: bool(_UUID.match(v)),
        "byte": _is_base64,
        "ipv4": lambda v: _is_ip(v, 4),
        "ipv6": lambda v: _is_ip(v, 6),
        "cidr": _is_cidr,
    }
    check = checks.get(fmt)
    return True if check is None else check(value)


def _is_base64(value: str) -> bool:
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def _is_ip(value: str, version: int) -> bool:
    try:
        return ipaddress.ip_address(value).version == version
    except ValueError:
        return False


def _is_cidr(value: str) -> bool:
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        return False
    return "/" in value


class _Walk:
    """One validation run: `prefix` is the field path errors hang under (None at the resource root)."""

    def __init__(self, prefix: str | None) -> None:
        self.prefix = prefix

    def path(self, name: str) -> str | None:
        # kubeOpenAPIResultToFieldErrors: fldPath.Child(strings.TrimPrefix(err.Name, "."))
        if not name or name == ".":
            return self.prefix
        child = name[1:] if name.startswith(".") else name
        return child if self.prefix is None else f"{self.prefix}.{child}"

    def node(self, value: Any, schema: dict[str, Any], name: str, old: Any) -> list[FieldError]:
        if old is not ABSENT and json_equal(value, old):
            return []
        types = schema_types(schema)
        errors: list[FieldError] = []
        if value is None:
            if types and not schema.get("nullable"):
                errors.append(self._type_error(name, types, "null"))
            errors.extend(self._enum(value, schema, name))
            return errors
        actual = json_type(value)
        float_int = actual == "number" and float(value).is_integer() and "integer" in types
        int_float = actual == "integer" and "number" in types
        if types and actual not in types and not float_int and not int_float:
            errors.append(self._type_error(name, types, actual))
        errors.extend(self._combinators(value, schema, name))
        if isinstance(value, str):
            errors.extend(self._string(value, schema, name))
            errors.extend(self._format(value, schema, name))
        elif actual in ("integer", "number"):
            errors.extend(self._number(value, schema, name))
        elif isinstance(value, list):
            errors.extend(self._array(value, schema, name, old))
        errors.extend(self._enum(value, schema, name))
        if isinstance(value, dict):
            errors.extend(self._object(value, schema, name, old))
        return errors

    def _type_error(self, name: str, types: list[str], actual: str) -> FieldError:
        detail = f"{name} in body must be of type {','.join(types)}: {go_quote(actual)}"
        return fe.type_invalid(self.path(name), actual, detail)

    def _combinators(self, value: Any, schema: dict[str, Any], name: str) -> list[FieldError]:
        errors: list[FieldError] = []
        for sub in schema.get("allOf") or []:
            errors.extend(self.node(value, sub, name, ABSENT))
        for key, rule in (("anyOf", "must validate at least one schema (anyOf)"), ("oneOf", "")):
            branches = schema.get(key) or []
            if not branches:
                continue
            results = [self.node(value, sub, name, ABSENT) for sub in branches]
            passed = sum(1 for r in results if not r)
            if key == "anyOf" and passed == 0:
                errors.append(fe.invalid(self.prefix, "", f"{name} {rule}"))
                errors.extend(min(results, key=len))
            if key == "oneOf" and passed != 1:
                errors.append(
                    fe.invalid(self.prefix, "", f"{name} must validate one and only one schema (oneOf)")
                )
                if passed == 0:
                    errors.extend(min(results, key=len))
        negated = schema.get("not")
        if isinstance(negated, dict) and not self.node(value, negated, name, ABSENT):
            errors.append(fe.invalid(self.prefix, "", f"{name} must not validate the schema (not)"))
        return errors

    def _string(self, value: str, schema: dict[str, Any], name: str) -> list[FieldError]:
        path = self.path(name)
        max_length, min_length = schema.get("maxLength"), schema.get("minLength")
        if max_length is not None and len(value) > max_length:
            return [fe.too_long(path, int(max_length))]
        if min_length is not None and len(value) < min_length:
            return [fe.invalid(path, value, f"{name} in body should be at least {min_length} chars long")]
        pattern = schema.get("pattern")
        if pattern:
            compiled = _pattern(pattern)
            if compiled is not None and not compiled.search(value):
                return [fe.invalid(path, value, f"{name} in body should match '{pattern}'")]
        return []

    def _format(self, value: str, schema: dict[str, Any], name: str) -> list[FieldError]:
        fmt = schema.get("format")
        if not fmt or _format_ok(fmt, value):
            return []
        return [
            fe.type_invalid(
                self.path(name), value, f"{name} in body must be of type {fmt}: {go_quote(value)}"
            )
        ]

    def _number(self, value: float, schema: dict[str, Any], name: str) -> list[FieldError]:
        path = self.path(name)
        errors: list[FieldError] = []

        def bound(limit: float) -> str:
            # MaximumNativeType: an integer value is compared with int64(limit) and printed as one.
            return str(int(limit)) if isinstance(value, int) else go_float(float(limit))

        factor = schema.get("multipleOf")
        if factor and (value / factor) != int(value / factor):
            errors.append(fe.invalid(path, value, f"{name} in body should be a multiple of {bound(factor)}"))
        maximum = schema.get("maximum")
        if maximum is not None:
            limit = int(maximum) if isinstance(value, int) else maximum
            if schema.get("exclusiveMaximum") and value >= limit:
                errors.append(fe.invalid(path, value, f"{name} in body should be less than {bound(maximum)}"))
            elif value > limit:
                detail = f"{name} in body should be less than or equal to {bound(maximum)}"
                errors.append(fe.invalid(path, value, detail))
        minimum = schema.get("minimum")
        if minimum is not None:
            limit = int(minimum) if isinstance(value, int) else minimum
            if schema.get("exclusiveMinimum") and value <= limit:
                errors.append(
                    fe.invalid(path, value, f"{name} in body should be greater than {bound(minimum)}")
                )
            elif value < limit:
                detail = f"{name} in body should be greater than or equal to {bound(minimum)}"
                errors.append(fe.invalid(path, value, detail))
        return errors

    def _array(self, value: list[Any], schema: dict[str, Any], name: str, old: Any) -> list[FieldError]:
        errors: list[FieldError] = []
        items = schema.get("items")
        if isinstance(items, dict):
            olds = correlate_items(value, old, schema)
            for index, item in enumerate(value):
                errors.extend(self.node(item, items, f"{name}[{index}]", olds[index]))
        path = self.path(name)
        min_items, max_items = schema.get("minItems"), schema.get("maxItems")
        if min_items is not None and len(value) < min_items:
            detail = f"{name} in body should have at least {min_items} items"
            errors.append(fe.invalid(path, len(value), detail))
        if max_items is not None and len(value) > max_items:
            errors.append(fe.too_many(path, len(value), int(max_items)))
        if schema.get("uniqueItems") and len({go_json(v) for v in value}) != len(value):
            errors.append(fe.invalid(path, "", f"{name} in body shouldn't contain duplicates"))
        return errors

    def _enum(self, value: Any, schema: dict[str, Any], name: str) -> list[FieldError]:
        allowed = schema.get("enum")
        if not allowed or any(json_equal(value, a) or _numeric_equal(value, a) for a in allowed):
            return []
        texts = [a if isinstance(a, str) else go_json(a) for a in allowed]
        return [fe.not_supported(self.path(name), value, texts)]

    def _object(self, value: dict[str, Any], schema: dict[str, Any], name: str, old: Any) -> list[FieldError]:
        path = self.path(name)
        min_props, max_props = schema.get("minProperties"), schema.get("maxProperties")
        if min_props is not None and len(value) < min_props:
            detail = f"{name} in body should have at least {min_props} properties"
            return [fe.invalid(path, len(value), detail)]
        if max_props is not None and len(value) > max_props:
            return [fe.too_many(path, len(value), int(max_props))]
        errors: list[FieldError] = []
        properties: dict[str, Any] = schema.get("properties") or {}
        old_map = old if isinstance(old, dict) else {}
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            for key, item in value.items():
                if key not in properties:
                    errors.extend(self.node(item, extra, f"{name}.{key}", old_map.get(key, ABSENT)))
        for key, sub in properties.items():
            if key in value:
                child = f"{name}.{key}" if name else key
                errors.extend(self.node(value[key], sub, child, old_map.get(key, ABSENT)))
        for key in schema.get("required") or []:
            if key not in value:
                errors.append(fe.required(self.path(f"{name}.{key}")))
        return errors


def _numeric_equal(value: Any, allowed: Any) -> bool:
    """An enum member matches a value convertible to its type (reflect ConvertibleTo + DeepEqual)."""
    numeric = (int, float)
    if isinstance(value, bool) or isinstance(allowed, bool):
        return False
    return isinstance(value, numeric) and isinstance(allowed, numeric) and float(value) == float(allowed)


def map_key(item: Any, keys: list[str]) -> tuple[str, ...] | None:
    if not isinstance(item, dict):
        return None
    return tuple(go_json(item.get(k)) if k in item else "\x00unset" for k in keys)


def correlate_items(value: list[Any], old: Any, schema: dict[str, Any]) -> list[Any]:
    """The old item each new item correlates with (ABSENT when none): map lists by key, sets by value."""
    if not isinstance(old, list):
        return [ABSENT] * len(value)
    list_type = schema.get("x-kubernetes-list-type")
    if list_type == "map":
        keys = list(schema.get("x-kubernetes-list-map-keys") or [])
        by_key = {map_key(o, keys): o for o in old if map_key(o, keys) is not None}
        return [by_key.get(map_key(v, keys), ABSENT) if map_key(v, keys) else ABSENT for v in value]
    if list_type == "set":
        present = {go_json(o) for o in old}
        return [v if go_json(v) in present else ABSENT for v in value]
    return [ABSENT] * len(value)


def validate_openapi(
    value: Any, schema: dict[str, Any], *, prefix: str | None = None, old: Any = ABSENT
) -> list[FieldError]:
    return _Walk(prefix).node(value, schema, "", old)


# --- x-kubernetes-list-type ---------------------------------------------------------------------------------


def _join(path: str | None, child: str) -> str:
    return child if path is None else f"{path}.{child}"


def validate_list_types(value: Any, schema: dict[str, Any], path: str | None = None) -> list[FieldError]:
    """`structurallisttype.ValidateListSetsAndMaps`: duplicate set items and map-list keys."""
    errors: list[FieldError] = []
    if isinstance(value, dict):
        properties: dict[str, Any] = schema.get("properties") or {}
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            if key in properties:
                errors.extend(validate_list_types(item, properties[key], _join(path, key)))
            elif isinstance(extra, dict):
                errors.extend(validate_list_types(item, extra, f"{path or ''}[{key}]"))
    elif isinstance(value, list):
        base = path or ""
        list_type = schema.get("x-kubernetes-list-type")
        if list_type == "set":
            seen: set[str] = set()
            reported: set[str] = set()
            for index, item in enumerate(value):
                key = go_json(item)
                if key in seen and key not in reported:
                    reported.add(key)
                    errors.append(fe.duplicate(f"{base}[{index}]", item))
                seen.add(key)
        elif list_type == "map":
            errors.extend(_map_list(value, schema, base))
        items = schema.get("items")
        if isinstance(items, dict):
            for index, item in enumerate(value):
                errors.extend(validate_list_types(item, items, f"{base}[{index}]"))
    return errors


def _map_list(value: list[Any], schema: dict[str, Any], base: str) -> list[FieldError]:
    for index, item in enumerate(value):
        if item is not None and not isinstance(item, dict):
            return [fe.invalid(f"{base}[{index}]", item, "must be an object for an array of list-type map")]
    keys = list(schema.get("x-kubernetes-list-map-keys") or [])
    item_props = (schema.get("items") or {}).get("properties") or {}
    errors: list[FieldError] = []
    seen: set[str] = set()
    for index, item in enumerate(value):
        if item is None:
            continue
        key_values = {k: item.get(k, item_props.get(k, {}).get("default")) for k in keys}
        identity = go_json(key_values)
        if identity in seen:
            shown = {k: v for k, v in key_values.items() if v is not None}
            errors.append(fe.duplicate(f"{base}[{index}]", shown))
        seen.add(identity)
    return errors
