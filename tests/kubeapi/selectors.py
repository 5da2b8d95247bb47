"""Label and field selectors, parsed and matched as the API server does (pure functions).

Label selectors: ``k=v``, ``k==v``, ``k!=v``, ``k in (a,b)``, ``k notin (a,b)``, ``k`` (exists), ``!k``
(does not exist), comma-separated and all required. ``!=`` and ``notin`` also match objects without the key,
as in k8s.io/apimachinery ``labels``. Field selectors: ``f=v``, ``f==v``, ``f!=v`` on the fields a resource
declares selectable (``metadata.name`` and ``metadata.namespace`` everywhere; see ``resources``); an unknown
field is a 400 ``field label not supported``. Values may escape ``,``, ``=`` and ``!`` with a backslash.
Simplification: label keys and values are not validated for syntax beyond what parsing needs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from tests.kubeapi import errors

Matcher = Callable[[Mapping[str, Any]], bool]

_SET_OP = re.compile(r"^\s*(!?)\s*([A-Za-z0-9_./-]+)\s*(?:(in|notin)\s*\(([^)]*)\))?\s*$")
_BINARY = re.compile(r"^\s*([A-Za-z0-9_./-]+)\s*(==|=|!=)\s*([A-Za-z0-9_.-]*)\s*$")


def _split_top(text: str) -> list[str]:
    """Split on commas outside parentheses."""
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [part for part in parts if part.strip()]


def _requirement(text: str) -> Callable[[Mapping[str, str]], bool]:
    binary = _BINARY.match(text)
    if binary:
        key, op, value = binary.groups()
        if op == "!=":
            return lambda labels: labels.get(key) != value
        return lambda labels: labels.get(key) == value
    setop = _SET_OP.match(text)
    if setop is None:
        raise errors.bad_request(
            f"unable to parse requirement: found '{text.strip()}', expected: in, notin, =, ==, !="
        )
    negated, key, op, values_text = setop.groups()
    if op is None:
        if negated:
            return lambda labels: key not in labels
        return lambda labels: key in labels
    if negated:
        raise errors.bad_request(
            f"unable to parse requirement: found '{op}', expected: ',', or 'end of string'"
        )
    values = frozenset(v.strip() for v in values_text.split(",") if v.strip())
    if op == "in":
        return lambda labels: labels.get(key) in values
    return lambda labels: labels.get(key) not in values


def label_matcher(selector: str | None) -> Matcher | None:
    """A predicate over objects for a ``labelSelector``; ``None`` when the selector selects everything."""
    if not selector or not selector.strip():
        return None
    requirements = [_requirement(part) for part in _split_top(selector)]

    def matches(obj: Mapping[str, Any]) -> bool:
        labels = obj.get("metadata", {}).get("labels") or {}
        return all(requirement(labels) for requirement in requirements)

    return matches


def _unescape(value: str) -> str:
    return re.sub(r"\\(.)", r"\1", value)


def _split_unescaped(text: str, sep: str) -> list[str]:
    return [part for part in re.split(rf"(?<!\\){re.escape(sep)}", text)]


def field_value(obj: Mapping[str, Any], path: str) -> str:
    """The string a field selector compares against: ``""`` for absent fields, booleans as
    ``true``/``false``."""
    node: Any = obj
    for part in path.split("."):
        if not isinstance(node, Mapping):
            return ""
        node = node.get(part)
    if node is None:
        return ""
    if isinstance(node, bool):
        return "true" if node else "false"
    return str(node)


def field_matcher(
    selector: str | None, *, supported: frozenset[str], aliases: Mapping[str, str] | None = None
) -> Matcher | None:
    """A predicate for a ``fieldSelector``; unsupported fields raise the server's 400. ``aliases`` maps a
    field name to where the stored object keeps it (for converted resources)."""
    if not selector or not selector.strip():
        return None
    tests: list[tuple[str, bool, str]] = []
    for part in _split_unescaped(selector, ","):
        if not part.strip():
            continue
        match = re.match(r"^\s*([^=!\s]+)\s*(==|=|!=)(.*)$", part)
        if match is None:
            raise errors.bad_request(f"invalid selector: '{selector}'; can't understand '{part}'")
        field, op, value = match.groups()
        if field not in supported:
            raise errors.bad_request(f"field label not supported: {field}")
        tests.append(((aliases or {}).get(field, field), op == "!=", _unescape(value.strip())))

    def matches(obj: Mapping[str, Any]) -> bool:
        return all((field_value(obj, field) != value) == negate for field, negate, value in tests)

    return matches


def combine(*matchers: Matcher | None) -> Matcher | None:
    active = [m for m in matchers if m is not None]
    if not active:
        return None
    if len(active) == 1:
        return active[0]
    return lambda obj: all(m(obj) for m in active)
