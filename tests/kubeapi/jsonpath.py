"""The JSONPath dialect of Kubernetes (client-go `util/jsonpath`), as far as CRD printer columns use it.

Contract: `find(expression, data) -> list` returns every value the path selects, in document order, with
missing keys allowed (the printer columns' `AllowMissingKeys(true)`): a missing key or an out-of-range index
selects nothing. `compile_path(expression)` parses once; a syntax error raises `JSONPathError`.
`print_value(value)` is the text `PrintResults` gives a single value (strings as they are, numbers as Go
prints them, maps and lists as compact JSON).

Supported: an optional `$` or `{...}`, `.field` (with `\\.` escaping a dot), `['field']` / `["field"]` (unions
with commas), `.*` and `[*]`, `..field` (recursive descent), `[n]`, `[-n]`, `[start:end:step]`, index unions
`[0,2]`, and filters `[?(@.a.b == "x")]` with `==`, `!=`, `<`, `<=`, `>`, `>=` between a path and a string,
number, boolean or another `@` path, or `[?(@.a)]` for presence.

Simplifications: comparing values of different types is false rather than an evaluation error; `range`/`end`
templates and functions are not supported (printer columns cannot use them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final

from tests.kubeapi.fielderrors import go_float, go_json


class JSONPathError(ValueError):
    pass


@dataclass(frozen=True)
class _Field:
    names: tuple[str, ...]  # "*" for every value


@dataclass(frozen=True)
class _Recursive:
    name: str  # "*" for every descendant


@dataclass(frozen=True)
class _Indexes:
    indexes: tuple[int, ...]


@dataclass(frozen=True)
class _Slice:
    start: int | None
    end: int | None
    step: int | None


@dataclass(frozen=True)
class _Filter:
    left: tuple[Any, ...]
    operator: str | None
    right: Any  # a literal, or a tuple of steps for an @ path


_Step = _Field | _Recursive | _Indexes | _Slice | _Filter

_FIELD_NAME: Final = re.compile(r"((?:\\.|[^.\[\]\\\s(){},])+)")
_OPERATORS: Final = ("==", "!=", "<=", ">=", "<", ">")


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def fail(self, why: str) -> JSONPathError:
        return JSONPathError(f"{why} at position {self.pos} in {self.text!r}")

    def peek(self, chars: str) -> bool:
        return self.text.startswith(chars, self.pos)

    def steps(self, *, stop: str = "") -> tuple[_Step, ...]:
        out: list[_Step] = []
        while self.pos < len(self.text) and not (stop and self.text[self.pos] in stop):
            if self.peek(".."):
                self.pos += 2
                out.append(_Recursive(self._name_or_star()))
            elif self.peek("."):
                self.pos += 1
                if self.peek("["):
                    continue
                out.append(_Field((self._name_or_star(),)))
            elif self.peek("["):
                out.append(self._bracket())
            else:
                raise self.fail("unexpected character")
        return tuple(out)

    def _name_or_star(self) -> str:
        if self.peek("*"):
            self.pos += 1
            return "*"
        match = _FIELD_NAME.match(self.text, self.pos)
        if not match:
            raise self.fail("expected a field name")
        self.pos = match.end()
        return re.sub(r"\\(.)", r"\1", match.group(1))

    def _bracket(self) -> _Step:
        end = self._closing(self.pos)
        inner = self.text[self.pos + 1 : end].strip()
        start = self.pos + 1
        self.pos = end + 1
        if inner == "*":
            return _Field(("*",))
        if inner.startswith("?"):
            return self._filter(inner[1:].strip(), start)
        if inner[:1] in "'\"":
            return _Field(tuple(_unquote(part.strip()) for part in _split_top(inner)))
        if ":" in inner:
            parts = [p.strip() for p in inner.split(":")]
            if len(parts) > 3:
                raise self.fail("bad slice")
            numbers = [int(p) if p else None for p in parts] + [None] * (3 - len(parts))
            return _Slice(numbers[0], numbers[1], numbers[2])
        try:
            return _Indexes(tuple(int(p) for p in inner.split(",")))
        except ValueError:
            raise self.fail(f"bad index {inner!r}") from None

    def _closing(self, start: int) -> int:
        depth, quote = 0, ""
        for index in range(start, len(self.text)):
            char = self.text[index]
            if quote:
                quote = "" if char == quote else quote
            elif char in "'\"":
                quote = char
            elif char == "[":
                depth += 1
            elif char == "]":
                depth -= 1
                if depth == 0:
                    return index
        raise self.fail("unclosed [")

    def _filter(self, body: str, start: int) -> _Filter:
        if not (body.startswith("(") and body.endswith(")")):
            raise self.fail("a filter must be ?(...)")
        body = body[1:-1].strip()
        for operator in _OPERATORS:
            left, sep, right = _partition_outside_quotes(body, operator)
            if sep:
                return _Filter(_at_path(left.strip(), start), operator, _operand(right.strip(), start))
        return _Filter(_at_path(body, start), None, None)


def _split_top(text: str) -> list[str]:
    parts, quote, current = [], "", ""
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == ",":
            parts.append(current)
            current = ""
            continue
        current += char
    parts.append(current)
    return parts


def _partition_outside_quotes(text: str, operator: str) -> tuple[str, str, str]:
    quote = ""
    for index in range(len(text)):
        char = text[index]
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif text.startswith(operator, index):
            return text[:index], operator, text[index + len(operator) :]
    return text, "", ""


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return re.sub(r"\\(.)", r"\1", text[1:-1])
    raise JSONPathError(f"expected a quoted name, got {text!r}")


def _at_path(text: str, start: int) -> tuple[Any, ...]:
    if not text.startswith("@"):
        raise JSONPathError(f"a filter operand must start with @ (near position {start})")
    return _Parser(text[1:]).steps()


def _operand(text: str, start: int) -> Any:
    if text.startswith("@"):
        return _at_path(text, start)
    if text[:1] in "'\"":
        return _unquote(text)
    if text in ("true", "false"):
        return text == "true"
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        raise JSONPathError(f"bad filter operand {text!r}") from None


@lru_cache(maxsize=256)
def compile_path(expression: str) -> tuple[_Step, ...]:
    text = expression.strip()
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1].strip()
    if text.startswith("$"):
        text = text[1:]
    return _Parser(text).steps()


def find(expression: str, data: Any) -> list[Any]:
    return _run(compile_path(expression), [data])


def _run(steps: tuple[Any, ...], values: list[Any]) -> list[Any]:
    for step in steps:
        values = [out for value in values for out in _apply(step, value)]
    return values


def _apply(step: _Step, value: Any) -> list[Any]:
    if isinstance(step, _Field):
        if not isinstance(value, dict):
            return list(value) if step.names == ("*",) and isinstance(value, list) else []
        if step.names == ("*",):
            return [value[k] for k in sorted(value)]
        return [value[name] for name in step.names if name in value]
    if isinstance(step, _Recursive):
        return _descend(value, step.name)
    if not isinstance(value, list):
        return []
    if isinstance(step, _Indexes):
        length = len(value)
        picked = [i + length if i < 0 else i for i in step.indexes]
        return [value[i] for i in picked if 0 <= i < length]
    if isinstance(step, _Slice):
        return value[step.start : step.end : step.step or 1]
    return [item for item in value if _passes(step, item)]


def _descend(value: Any, name: str) -> list[Any]:
    found: list[Any] = []
    children: list[Any] = []
    if isinstance(value, dict):
        if name == "*":
            found.extend(value[k] for k in sorted(value))
        elif name in value:
            found.append(value[name])
        children = [value[k] for k in sorted(value)]
    elif isinstance(value, list):
        if name == "*":
            found.extend(value)
        children = value
    for child in children:
        found.extend(_descend(child, name))
    return found


def _passes(step: _Filter, item: Any) -> bool:
    lefts = _run(step.left, [item])
    if step.operator is None:
        return bool(lefts) and lefts[0] is not False and lefts[0] is not None
    rights = _run(step.right, [item]) if isinstance(step.right, tuple) else [step.right]
    if not lefts or not rights:
        return False
    return _compare(lefts[0], step.operator, rights[0])


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return "string" if isinstance(value, str) else "other"


def _compare(left: Any, operator: str, right: Any) -> bool:
    if _kind(left) != _kind(right) or _kind(left) == "other":
        return False
    results = {
        "==": left == right,
        "!=": left != right,
        "<": left < right,
        "<=": left <= right,
        ">": left > right,
        ">=": left >= right,
    }
    return bool(results[operator])


def print_value(value: Any) -> str:
    """`JSONPath.PrintResults` of one value."""
    if isinstance(value, dict | list):
        return go_json(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return go_float(value)
    if value is None:
        return "<no value>"
    return str(value)
