"""`x-kubernetes-validations` evaluated with cel-python, as kube-apiserver's CEL validator does (1.32).

Contract: `validate_rules(value, schema, old=ABSENT)` walks the object and its structural schema and returns
the field errors of every failing rule, in order:
- a rule's `self` is the node's value; at the resource root (and in `x-kubernetes-embedded-resource` objects)
  `self` also has `apiVersion`, `kind` and `metadata` with only `name` and `generateName`; objects expose only
  their declared properties (names escaped as the server does: `__dash__`, `__dot__`, ...), maps and
  preserve-unknown objects without properties all their keys; `format: date-time` / `duration` strings are CEL
  timestamps / durations;
- a rule that mentions `oldSelf` (a transition rule) runs only where a correlated old value exists: object
  keys, map keys, `x-kubernetes-list-type: map` items by key — never on create;
- a failing rule gives `<path>: Invalid value: "<schema type>": <message>` (`<nil>` as path at the root); the
  message is `messageExpression` when it evaluates to a usable string, else `message`, else
  `failed rule: <rule>`; `fieldPath` extends the path; `reason` picks FieldValueForbidden / Required /
  Duplicate;
- an evaluation error gives `<message> evaluating rule: <rule or message>` (cel-go's wording for missing keys,
  division by zero and bad overloads);
- ratcheting (on by default since 1.30): a rule without `oldSelf` whose node equals its correlated old value
  (or, for uncorrelated nodes, whose nearest correlated ancestor is unchanged) reports nothing. Such rules
  are not even evaluated here, which keeps status writes cheap; the server would still report an evaluation
  *error* (not a failure) of such a rule.

Besides the standard macros and functions (`size`, `has`, `all`, `exists`, `exists_one`, `filter`, `map`,
`matches`, `startsWith`, ...), the Kubernetes list and string library functions `isSorted`, `sum`, `min`,
`max`, `indexOf`, `lastIndexOf`, `lowerAscii`, `upperAscii`, `trim`, `replace`, `split`, `join`, `find`,
`findAll` are provided.

Simplifications: rules are not type-checked ahead of time (the real server rejects a bad rule when the CRD is
written; here it fails at evaluation); no cost budget; `optionalOldSelf` rules are skipped (cel-python has no
optional values); set/map-list equality compares in order; numbers of different types never compare equal.
"""

from __future__ import annotations

import itertools
import re
from functools import lru_cache
from typing import Any, Final

import celpy
from celpy import celtypes

from tests.kubeapi import fielderrors as fe
from tests.kubeapi.fielderrors import FieldError
from tests.kubeapi.valuevalidation import ABSENT, json_equal, map_key

_OLD_SELF: Final = re.compile(r"\boldSelf\b")
_RESERVED: Final = frozenset(
    (
        "true", "false", "null", "in", "as", "break", "const", "continue", "else", "for", "function", "if",
        "import", "let", "loop", "package", "namespace", "return", "var", "void", "while",
    )
)  # fmt: skip
_MAX_MESSAGE_BYTES: Final = 5 * 1024

_ENV: Final = celpy.Environment()


# --- Kubernetes CEL library (the parts CRD rules use) -------------------------------------------------------


def _to_cel(value: Any) -> Any:
    if isinstance(value, str):
        return celtypes.StringType(value)
    if isinstance(value, list):
        return celtypes.ListType(_to_cel(v) for v in value)
    return value


def _index_of(target: Any, item: Any) -> celtypes.IntType:
    if isinstance(target, str):
        return celtypes.IntType(str(target).find(str(item)))
    return celtypes.IntType(next((i for i, v in enumerate(target) if v == item), -1))


def _last_index_of(target: Any, item: Any) -> celtypes.IntType:
    if isinstance(target, str):
        return celtypes.IntType(str(target).rfind(str(item)))
    return celtypes.IntType(max((i for i, v in enumerate(target) if v == item), default=-1))


def _split(text: Any, sep: Any, limit: Any = -1) -> Any:
    parts = str(text).split(str(sep)) if int(limit) < 0 else str(text).split(str(sep), max(int(limit) - 1, 0))
    return _to_cel(parts)


def _find_all(text: Any, pattern: Any, limit: Any = -1) -> Any:
    found = re.findall(str(pattern), str(text))
    return _to_cel(found if int(limit) < 0 else found[: int(limit)])


def _find(text: Any, pattern: Any) -> Any:
    match = re.search(str(pattern), str(text))
    return celtypes.StringType(match.group(0) if match else "")


_FUNCTIONS: Final[dict[str, Any]] = {
    "isSorted": lambda items: celtypes.BoolType(all(a <= b for a, b in itertools.pairwise(items))),
    "sum": lambda items: sum(items[1:], items[0]) if items else celtypes.IntType(0),
    "min": lambda items: min(items),
    "max": lambda items: max(items),
    "indexOf": _index_of,
    "lastIndexOf": _last_index_of,
    "lowerAscii": lambda text: celtypes.StringType(str(text).lower()),
    "upperAscii": lambda text: celtypes.StringType(str(text).upper()),
    "trim": lambda text: celtypes.StringType(str(text).strip()),
    "replace": lambda text, old, new: celtypes.StringType(str(text).replace(str(old), str(new))),
    "split": _split,
    "join": lambda items, sep="": celtypes.StringType(str(sep).join(str(v) for v in items)),
    "find": _find,
    "findAll": _find_all,
}


@lru_cache(maxsize=1024)
def _program(expression: str) -> Any:
    """Compiled once per expression text; raises `celpy.CELParseError` on a syntax error."""
    return _ENV.program(_ENV.compile(expression), functions=_FUNCTIONS)


def _evaluate(expression: str, activation: dict[str, Any]) -> Any:
    """The result, or the exception that stands for a CEL evaluation error."""
    try:
        return _program(expression).evaluate(activation)
    except Exception as error:
        return error


def _error_text(error: BaseException) -> str:
    """cel-go's wording of a runtime error."""
    first = str(error.args[0]) if getattr(error, "args", None) else str(error)
    missing = re.match(r"no such member in mapping: '(.*)'", first)
    if missing:
        return f"no such key: {missing.group(1)}"
    if "overload" in first:
        return "no such overload"
    if "divide by zero" in first:
        return "division by zero"
    if "IndexError" in repr(error) or "out of range" in repr(error):
        return "index out of bounds"
    return first


# --- values as the rules see them ---------------------------------------------------------------------------


def escape(name: str) -> str:
    if name in _RESERVED:
        return f"__{name}__"
    return (
        name.replace("__", "__underscores__")
        .replace(".", "__dot__")
        .replace("-", "__dash__")
        .replace("/", "__slash__")
    )


def cel_value(value: Any, schema: dict[str, Any], *, resource_root: bool = False) -> Any:
    if value is None:
        return None
    if isinstance(value, dict):
        return _cel_object(value, schema, resource_root=resource_root)
    if isinstance(value, list):
        items = schema.get("items") or {}
        embedded = bool(items.get("x-kubernetes-embedded-resource"))
        return celtypes.ListType(cel_value(v, items, resource_root=embedded) for v in value)
    if isinstance(value, str):
        fmt = schema.get("format")
        try:
            if fmt in ("date-time", "datetime"):
                return celtypes.TimestampType(value)
            if fmt == "duration":
                return celtypes.DurationType(value)
        except ValueError:
            return celtypes.StringType(value)
        return celtypes.StringType(value)
    if isinstance(value, bool):
        return celtypes.BoolType(value)
    if isinstance(value, int):
        return celtypes.IntType(value)
    return celtypes.DoubleType(value)


def _cel_object(value: dict[str, Any], schema: dict[str, Any], *, resource_root: bool) -> Any:
    properties: dict[str, Any] = schema.get("properties") or {}
    extra = schema.get("additionalProperties")
    fields: dict[Any, Any] = {}
    if isinstance(extra, dict) and not properties:
        for key, item in value.items():
            fields[celtypes.StringType(key)] = cel_value(
                item, extra, resource_root=bool(extra.get("x-kubernetes-embedded-resource"))
            )
        return celtypes.MapType(fields)
    if not properties and not resource_root:
        # A preserve-unknown object without declared fields: the real server hides it; the rules that could
        # reach it would not compile there, so exposing everything only widens what is accepted.
        return celtypes.MapType({celtypes.StringType(k): cel_value(v, {}) for k, v in value.items()})
    for key, sub in properties.items():
        if key in value:
            embedded = bool(sub.get("x-kubernetes-embedded-resource"))
            fields[celtypes.StringType(escape(key))] = cel_value(value[key], sub, resource_root=embedded)
    if resource_root:
        for key in ("apiVersion", "kind"):
            if isinstance(value.get(key), str):
                fields[celtypes.StringType(key)] = celtypes.StringType(value[key])
        metadata = value.get("metadata")
        if isinstance(metadata, dict):
            visible = {k: metadata[k] for k in ("name", "generateName") if isinstance(metadata.get(k), str)}
            fields[celtypes.StringType("metadata")] = cel_value(visible, {})
    return celtypes.MapType(fields)


# --- the walk -----------------------------------------------------------------------------------------------


def _child(path: str | None, name: str) -> str:
    return name if path is None else f"{path}.{name}"


def _key(path: str | None, key: str) -> str:
    return f"{path or ''}[{key}]"


def _rule_field_path(path: str | None, field_path: str, schema: dict[str, Any]) -> str | None:
    """The rule's `fieldPath` (`.a.b`, `['x.y']`) appended to the node's path, named or keyed per schema."""
    node: dict[str, Any] | None = schema
    for dotted, quoted in re.findall(r"\.([^.\[\]]+)|\['((?:[^'\\]|\\.)*)'\]", field_path):
        name = dotted or quoted.replace("\\'", "'")
        properties = (node or {}).get("properties") or {}
        if name in properties:
            path, node = _child(path, name), properties[name]
        else:
            path, node = _key(path, name), (node or {}).get("additionalProperties")
    return path


class _Rules:
    def node(
        self,
        value: Any,
        schema: dict[str, Any],
        *,
        path: str | None,
        old: Any,
        ancestor_unchanged: bool,
        resource_root: bool,
    ) -> list[FieldError]:
        if value is None:
            return []
        unchanged = json_equal(value, old) if old is not ABSENT else ancestor_unchanged
        errors = self._rules(
            value, schema, path=path, old=old, unchanged=unchanged, resource_root=resource_root
        )
        for sub in schema.get("allOf") or []:
            errors.extend(
                self.node(
                    value, sub, path=path, old=old, ancestor_unchanged=unchanged, resource_root=resource_root
                )
            )
        if isinstance(value, dict):
            errors.extend(self._object(value, schema, path=path, old=old, unchanged=unchanged))
        elif isinstance(value, list) and isinstance(schema.get("items"), dict):
            items = schema["items"]
            olds = self._old_items(value, old, schema)
            for index, item in enumerate(value):
                errors.extend(
                    self.node(
                        item,
                        items,
                        path=f"{path or ''}[{index}]",
                        old=olds[index],
                        ancestor_unchanged=unchanged,
                        resource_root=bool(items.get("x-kubernetes-embedded-resource")),
                    )
                )
        return errors

    @staticmethod
    def _old_items(value: list[Any], old: Any, schema: dict[str, Any]) -> list[Any]:
        # Only map lists correlate items with their old selves for CEL.
        if not isinstance(old, list) or schema.get("x-kubernetes-list-type") != "map":
            return [ABSENT] * len(value)
        keys = list(schema.get("x-kubernetes-list-map-keys") or [])
        by_key = {map_key(o, keys): o for o in old}
        return [by_key.get(map_key(v, keys), ABSENT) for v in value]

    def _object(
        self, value: dict[str, Any], schema: dict[str, Any], *, path: str | None, old: Any, unchanged: bool
    ) -> list[FieldError]:
        errors: list[FieldError] = []
        correlatable = isinstance(old, dict) and schema.get("x-kubernetes-map-type") != "atomic"
        old_map: dict[str, Any] = old if correlatable else {}
        extra = schema.get("additionalProperties")
        properties: dict[str, Any] = schema.get("properties") or {}
        for key, item in value.items():
            if key in properties:
                sub, child = properties[key], _child(path, key)
            elif isinstance(extra, dict):
                sub, child = extra, _key(path, key)
            else:
                continue
            errors.extend(
                self.node(
                    item,
                    sub,
                    path=child,
                    old=old_map.get(key, ABSENT),
                    ancestor_unchanged=unchanged,
                    resource_root=bool(sub.get("x-kubernetes-embedded-resource")),
                )
            )
        return errors

    def _rules(
        self,
        value: Any,
        schema: dict[str, Any],
        *,
        path: str | None,
        old: Any,
        unchanged: bool,
        resource_root: bool,
    ) -> list[FieldError]:
        rules = schema.get("x-kubernetes-validations") or []
        if not rules:
            return []
        type_name = schema.get("type") or ""
        activation: dict[str, Any] = {"self": cel_value(value, schema, resource_root=resource_root)}
        if old is not ABSENT:
            activation["oldSelf"] = cel_value(old, schema, resource_root=resource_root)
        errors: list[FieldError] = []
        for rule in rules:
            expression = str(rule.get("rule", "")).strip()
            if not expression:
                continue
            transition = bool(_OLD_SELF.search(expression))
            if rule.get("optionalOldSelf") or (transition and old is ABSENT):
                continue
            if unchanged and not transition:
                continue  # ratcheted: any failure of an unchanged node would only be a warning
            described = str(rule.get("message") or "").strip() or expression
            try:
                _program(expression)
            except Exception as error:
                errors.append(fe.invalid(path, type_name, f"rule compile error: {error}"))
                continue
            result = _evaluate(expression, activation)
            if isinstance(result, BaseException):
                errors.append(
                    fe.invalid(path, type_name, f"{_error_text(result)} evaluating rule: {described}")
                )
                continue
            if result is True or (isinstance(result, celtypes.BoolType) and bool(result)):
                continue
            target = path
            if rule.get("fieldPath"):
                target = _rule_field_path(path, str(rule["fieldPath"]), schema)
            detail = self._message(rule, activation) or (
                str(rule.get("message") or "").strip() or f"failed rule: {expression}"
            )
            errors.append(_error_for_reason(rule.get("reason"), target, type_name, detail))
        return errors

    @staticmethod
    def _message(rule: dict[str, Any], activation: dict[str, Any]) -> str | None:
        expression = str(rule.get("messageExpression") or "").strip()
        if not expression:
            return None
        result = _evaluate(expression, activation)
        if not isinstance(result, str) or isinstance(result, BaseException):
            return None
        text = str(result).strip()
        if not text or "\n" in text or len(text.encode()) > _MAX_MESSAGE_BYTES:
            return None
        return text


def _error_for_reason(reason: Any, path: str | None, type_name: str, detail: str) -> FieldError:
    if reason == fe.REASON_FORBIDDEN:
        return fe.forbidden(path, detail)
    if reason == fe.REASON_REQUIRED:
        return fe.required(path, detail)
    if reason == fe.REASON_DUPLICATE:
        return fe.duplicate(path, type_name)
    return fe.invalid(path, type_name, detail)


def validate_rules(value: Any, schema: dict[str, Any], *, old: Any = ABSENT) -> list[FieldError]:
    """Every failing `x-kubernetes-validations` rule of a custom resource (`value` is the whole object)."""
    return _Rules().node(value, schema, path=None, old=old, ancestor_unchanged=False, resource_root=True)
