"""CEL programs for CRD rules, run with cel-python: the Kubernetes library subset, values as rules see them.

Contract:
- `evaluate(expression, value, schema, resource_root=, old=ABSENT)` runs one rule with `self` (and `oldSelf`
  when `old` is given) bound to the node's value and returns the result, or the exception that stands for a
  CEL evaluation error; `run(expression, activation(...))` does the same without the memo (message
  expressions); `compile_error(expression)` is the parse error of a rule, if any; `error_text(error)`
  words an evaluation error as cel-go does (`no such key: x`, `no such overload`, `division by zero`).
- `cel_value(value, schema, resource_root=)` is the value a rule sees: objects expose their declared
  properties (names escaped as the server does: `__dash__`, `__dot__`, `__slash__`, `__underscores__`,
  `__<keyword>__`), maps and preserve-unknown objects without properties all their keys; `format:
  date-time`/`duration` strings are timestamps/durations; a resource root (or embedded resource) adds
  `apiVersion`, `kind` and `metadata` with only `name` and `generateName`.
- Besides the standard macros and functions (`size`, `has`, `all`, `exists`, `exists_one`, `filter`, `map`,
  `matches`, `startsWith`, ...), the Kubernetes list and string functions `isSorted`, `sum`, `min`, `max`,
  `indexOf`, `lastIndexOf`, `lowerAscii`, `upperAscii`, `trim`, `replace`, `split`, `join`, `find`,
  `findAll` are provided.

Rules are pure functions of what they read, so results are memoised on the rule and the part of the value it
can read (the fields it names after `self.`/`oldSelf.`, or everything when it uses `self` whole): a status
write re-evaluates the root `metadata.name` rule from a cache instead of converting the whole object.
"""

from __future__ import annotations

import itertools
import json
import re
from collections import OrderedDict
from functools import lru_cache
from typing import Any, Final

import celpy
from celpy import celtypes

from tests.kubeapi.valuevalidation import ABSENT

_RESERVED: Final = frozenset(
    (
        "true", "false", "null", "in", "as", "break", "const", "continue", "else", "for", "function", "if",
        "import", "let", "loop", "package", "namespace", "return", "var", "void", "while",
    )
)  # fmt: skip
_FIELD_USE: Final = re.compile(r"\b(?:self|oldSelf)\b(?:\s*\.\s*([A-Za-z_][A-Za-z0-9_]*))?")
_MEMO_SIZE: Final = 4096

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


def run(expression: str, bound: dict[str, Any]) -> Any:
    """The result of a rule on bound variables, or the exception that stands for an evaluation error."""
    try:
        return _program(expression).evaluate(bound)
    except Exception as error:
        return error


def error_text(error: BaseException) -> str:
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


# --- evaluation with a memo ---------------------------------------------------------------------------------


def compile_error(expression: str) -> Exception | None:
    try:
        _program(expression)
    except Exception as error:
        return error
    return None


@lru_cache(maxsize=1024)
def _fields_read(expression: str) -> frozenset[str] | None:
    """The names a rule reads right after `self.`/`oldSelf.`; None when it uses `self` or `oldSelf` whole."""
    names: set[str] = set()
    for match in _FIELD_USE.finditer(expression):
        if match.group(1) is None:
            return None
        names.add(match.group(1))
    return frozenset(names)


def _visible(value: Any, *, resource_root: bool, fields: frozenset[str] | None) -> Any:
    """The part of `value` a rule can read: the fields it names, and only name/generateName of metadata."""
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for key, item in value.items():
        if fields is not None and key not in fields and escape(key) not in fields:
            continue
        if resource_root and key == "metadata" and isinstance(item, dict):
            item = {k: item[k] for k in ("name", "generateName") if k in item}
        out[key] = item
    return out


_SCHEMA_KEYS: dict[int, tuple[dict[str, Any], str]] = {}
_MEMO: OrderedDict[tuple[Any, ...], Any] = OrderedDict()


def _schema_key(schema: dict[str, Any]) -> str:
    # The schema object is kept alongside its key, so that its id cannot be reused by another dict.
    known = _SCHEMA_KEYS.get(id(schema))
    if known is None or known[0] is not schema:
        if len(_SCHEMA_KEYS) > _MEMO_SIZE:
            _SCHEMA_KEYS.clear()
        known = (schema, json.dumps(schema, sort_keys=True, default=str))
        _SCHEMA_KEYS[id(schema)] = known
    return known[1]


def activation(
    value: Any, schema: dict[str, Any], *, resource_root: bool, old: Any = ABSENT
) -> dict[str, Any]:
    bound = {"self": cel_value(value, schema, resource_root=resource_root)}
    if old is not ABSENT:
        bound["oldSelf"] = cel_value(old, schema, resource_root=resource_root)
    return bound


def evaluate(
    expression: str, value: Any, schema: dict[str, Any], *, resource_root: bool, old: Any = ABSENT
) -> Any:
    fields = _fields_read(expression)
    seen = _visible(value, resource_root=resource_root, fields=fields)
    seen_old = ABSENT if old is ABSENT else _visible(old, resource_root=resource_root, fields=fields)
    key = (
        expression,
        _schema_key(schema),
        resource_root,
        json.dumps(seen, sort_keys=True),
        None if seen_old is ABSENT else json.dumps(seen_old, sort_keys=True),
    )
    if key in _MEMO:
        _MEMO.move_to_end(key)
        return _MEMO[key]
    result = run(expression, activation(seen, schema, resource_root=resource_root, old=seen_old))
    _MEMO[key] = result
    if len(_MEMO) > _MEMO_SIZE:
        _MEMO.popitem(last=False)
    return result
