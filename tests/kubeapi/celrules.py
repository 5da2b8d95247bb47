"""`x-kubernetes-validations` evaluated with cel-python, as kube-apiserver's CEL validator does (1.32).

Contract: `validate_rules(value, schema, old=ABSENT)` walks the object and its structural schema and returns
the field errors of every failing rule, in order:
- a rule's `self` is the node's value as `celeval.cel_value` shows it (at the resource root with
  `metadata.name`);
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

Simplifications: rules are not type-checked ahead of time (the real server rejects a bad rule when the CRD is
written; here it fails at evaluation); no cost budget; `optionalOldSelf` rules are skipped (cel-python has no
optional values); set/map-list equality compares in order; numbers of different types never compare equal.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Final

from celpy import celtypes

from tests.kubeapi import fielderrors as fe
from tests.kubeapi.celeval import activation, compile_error, error_text, evaluate, run
from tests.kubeapi.fielderrors import FieldError
from tests.kubeapi.valuevalidation import ABSENT, json_equal, map_key

_OLD_SELF: Final = re.compile(r"\boldSelf\b")
_MAX_MESSAGE_BYTES: Final = 5 * 1024

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


class _Unchanged:
    """Whether a node equals its correlated old value (else: whether its nearest correlated ancestor is
    unchanged) — worked out once, and only if a rule there asks."""

    __slots__ = ("_known", "_old", "_parent", "_value")

    def __init__(self, value: Any, old: Any, parent: _Unchanged | None) -> None:
        self._value, self._old, self._parent = value, old, parent
        self._known: bool | None = None

    def __call__(self) -> bool:
        if self._known is None:
            if self._old is not ABSENT:
                self._known = json_equal(self._value, self._old)
            else:
                self._known = self._parent() if self._parent is not None else False
        return self._known


class _Rules:
    def node(
        self,
        value: Any,
        schema: dict[str, Any],
        *,
        path: str | None,
        old: Any,
        parent: _Unchanged | None,
        resource_root: bool,
    ) -> list[FieldError]:
        if value is None:
            return []
        unchanged = _Unchanged(value, old, parent)
        errors = self._rules(
            value, schema, path=path, old=old, unchanged=unchanged, resource_root=resource_root
        )
        for sub in schema.get("allOf") or []:
            errors.extend(
                self.node(value, sub, path=path, old=old, parent=unchanged, resource_root=resource_root)
            )
        if isinstance(value, dict):
            errors.extend(self._object(value, schema, path=path, old=old, unchanged=unchanged))
        elif isinstance(value, list) and isinstance(schema.get("items"), dict):
            items = schema["items"]
            olds = self._old_items(value, old, schema)
            embedded = bool(items.get("x-kubernetes-embedded-resource"))
            for index, item in enumerate(value):
                errors.extend(
                    self.node(
                        item,
                        items,
                        path=f"{path or ''}[{index}]",
                        old=olds[index],
                        parent=unchanged,
                        resource_root=embedded,
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
        self,
        value: dict[str, Any],
        schema: dict[str, Any],
        *,
        path: str | None,
        old: Any,
        unchanged: _Unchanged,
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
                    parent=unchanged,
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
        unchanged: Callable[[], bool],
        resource_root: bool,
    ) -> list[FieldError]:
        rules = schema.get("x-kubernetes-validations") or []
        if not rules:
            return []
        type_name = schema.get("type") or ""
        errors: list[FieldError] = []
        for rule in rules:
            expression = str(rule.get("rule", "")).strip()
            if not expression:
                continue
            transition = bool(_OLD_SELF.search(expression))
            if rule.get("optionalOldSelf") or (transition and old is ABSENT):
                continue
            if not transition and unchanged():
                continue  # ratcheted: any failure of an unchanged node would only be a warning
            described = str(rule.get("message") or "").strip() or expression
            problem = compile_error(expression)
            if problem is not None:
                errors.append(fe.invalid(path, type_name, f"rule compile error: {problem}"))
                continue
            result = evaluate(
                expression, value, schema, resource_root=resource_root, old=old if transition else ABSENT
            )
            if isinstance(result, BaseException):
                errors.append(
                    fe.invalid(path, type_name, f"{error_text(result)} evaluating rule: {described}")
                )
                continue
            if result is True or (isinstance(result, celtypes.BoolType) and bool(result)):
                continue
            target = path
            if rule.get("fieldPath"):
                target = _rule_field_path(path, str(rule["fieldPath"]), schema)
            bound = activation(value, schema, resource_root=resource_root, old=old)
            detail = self._message(rule, bound) or (
                str(rule.get("message") or "").strip() or f"failed rule: {expression}"
            )
            errors.append(_error_for_reason(rule.get("reason"), target, type_name, detail))
        return errors

    @staticmethod
    def _message(rule: dict[str, Any], bound: dict[str, Any]) -> str | None:
        expression = str(rule.get("messageExpression") or "").strip()
        if not expression or compile_error(expression) is not None:
            return None
        result = run(expression, bound)
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
    return _Rules().node(value, schema, path=None, old=old, parent=None, resource_root=True)
