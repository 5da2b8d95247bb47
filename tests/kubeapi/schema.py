"""Custom-resource admission, as kube-apiserver (1.32) runs it for a CRD version's `openAPIV3Schema`.

Contract:
- `admit(schema=, obj=, old=None, subresource=None) -> dict` returns the admitted object (a new dict; `obj`
  and `old` are not touched) or raises `fielderrors.Invalid` carrying every cause. Steps, in the server's
  order:
  1. prune unknown fields: `x-kubernetes-preserve-unknown-fields` keeps unknown keys (declared ones are still
     pruned inside), `x-kubernetes-embedded-resource` objects and the root keep `apiVersion`, `kind` (strings)
     and `metadata` (the server's ObjectMeta handling is the caller's);
  2. drop `null`s of non-nullable properties without a default;
  3. apply defaults: a property's default when it is missing (or a non-nullable null), then recursively
     inside, so nested defaults apply only where the parent is present or was itself defaulted; defaults are
     then pruned again (the server rejects CRDs whose defaults are not pruned, so this only matters for bad
     CRDs);
  4. validate (`valuevalidation`): the whole object, or with `subresource="status"` only `.status` against the
     status schema (the server's status strategy); then `x-kubernetes-list-type` uniqueness;
  5. unless step 4 found a type, required, enum, too-long or too-many error — then the server adds `<nil>:
     Invalid value: "null": some validation rules were not checked because the object was invalid; correct
     the existing errors to complete validation` instead — evaluate `x-kubernetes-validations` (`celrules`).
  With `old` (update, patch, apply, status writes) validation ratchets: errors on parts equal to the old
  object are dropped, and transition rules (`oldSelf`) run.
- `unknown_fields(schema=, obj=) -> list[str]` lists the paths step 1 drops (`spec.foo`,
  `spec.containers[0].bar`), for `fieldValidation=Strict` (400, `fielderrors.strict_decoding_status`) and
  `Warn` (a `Warning: 299 - "unknown field \"spec.foo\""` header per path).
- `fielderrors.invalid_status(group=, kind=, name=, causes=)` (or `Invalid.status(...)`) is the 422 body.

Left to the caller, as the server does them elsewhere: `apiVersion`/`kind` checks, ObjectMeta validation and
pruning, dropping `.status` on create and keeping it on main-resource writes when a status subresource exists,
and generation bumps. Simplifications of the validation itself are listed in `valuevalidation` and `celrules`.
"""

from __future__ import annotations

from typing import Any, Final

from tests.kubeapi.celrules import validate_rules
from tests.kubeapi.fielderrors import (
    REASON_NOT_SUPPORTED,
    REASON_REQUIRED,
    REASON_TOO_LONG,
    REASON_TOO_MANY,
    REASON_TYPE_INVALID,
    FieldError,
    Invalid,
    invalid,
)
from tests.kubeapi.meta import clone
from tests.kubeapi.valuevalidation import ABSENT, validate_list_types, validate_openapi

_BLOCKING: Final = frozenset(
    {REASON_NOT_SUPPORTED, REASON_REQUIRED, REASON_TOO_LONG, REASON_TOO_MANY, REASON_TYPE_INVALID}
)
_RULES_SKIPPED: Final = (
    "some validation rules were not checked because the object was invalid; "
    "correct the existing errors to complete validation"
)


def admit(
    *,
    schema: dict[str, Any],
    obj: dict[str, Any],
    old: dict[str, Any] | None = None,
    subresource: str | None = None,
) -> dict[str, Any]:
    admitted = clone(obj)
    _prune(admitted, schema, "", [], embedded=True)
    _drop_nulls(admitted, schema)
    _default(admitted, schema)
    _prune(admitted, schema, "", [], embedded=True)

    previous: Any = ABSENT if old is None else old
    errors: list[FieldError] = []
    if subresource == "status":
        status_schema = (schema.get("properties") or {}).get("status")
        if isinstance(status_schema, dict) and "status" in admitted:
            old_status = old.get("status", ABSENT) if isinstance(old, dict) else ABSENT
            errors.extend(
                validate_openapi(admitted["status"], status_schema, prefix="status", old=old_status)
            )
    else:
        errors.extend(validate_openapi(admitted, schema, old=previous))
    if old is None or not validate_list_types(old, schema):
        errors.extend(validate_list_types(admitted, schema))
    if any(e.reason in _BLOCKING for e in errors):
        errors.append(invalid(None, None, _RULES_SKIPPED))
    else:
        errors.extend(validate_rules(admitted, schema, old=previous))
    if errors:
        raise Invalid(errors)
    return admitted


def unknown_fields(*, schema: dict[str, Any], obj: dict[str, Any]) -> list[str]:
    pruned: list[str] = []
    _prune(clone(obj), schema, "", pruned, embedded=True)
    return pruned


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _prune(
    value: Any,
    schema: dict[str, Any] | None,
    path: str,
    pruned: list[str],
    *,
    embedded: bool,
    preserve: bool = False,
) -> None:
    if schema is None:
        if isinstance(value, dict):
            pruned.extend(_join(path, k) for k in value)
            value.clear()
        elif isinstance(value, list):
            for index, item in enumerate(value):
                _prune(item, None, f"{path}[{index}]", pruned, embedded=False)
        return
    embedded = embedded or bool(schema.get("x-kubernetes-embedded-resource"))
    # skipPrune: under a preserving array the items keep unknown keys too.
    preserve = preserve or bool(schema.get("x-kubernetes-preserve-unknown-fields"))
    if isinstance(value, dict):
        properties: dict[str, Any] = schema.get("properties") or {}
        extra = schema.get("additionalProperties")
        for key in list(value):
            item = value[key]
            if embedded and _is_meta_field(key, item):
                continue
            if key in properties:
                _prune(item, properties[key], _join(path, key), pruned, embedded=False)
            elif extra is not None and extra is not False:
                _prune(
                    item, extra if isinstance(extra, dict) else None, _join(path, key), pruned, embedded=False
                )
            elif not preserve:
                pruned.append(_join(path, key))
                del value[key]
    elif isinstance(value, list):
        items = schema.get("items")
        if preserve and not isinstance(items, dict):
            return
        for index, item in enumerate(value):
            sub = items if isinstance(items, dict) else None
            _prune(item, sub, f"{path}[{index}]", pruned, embedded=False, preserve=preserve)


def _is_meta_field(key: str, value: Any) -> bool:
    if key in ("apiVersion", "kind"):
        return isinstance(value, str)
    return key == "metadata" and isinstance(value, dict)


def _drop_nulls(value: Any, schema: dict[str, Any]) -> None:
    """`PruneNonNullableNullsWithoutDefaults`."""
    if isinstance(value, dict):
        properties: dict[str, Any] = schema.get("properties") or {}
        extra = schema.get("additionalProperties")
        for key in list(value):
            sub = properties.get(key)
            if sub is not None:
                if value[key] is None and "default" not in sub and not sub.get("nullable"):
                    del value[key]
                else:
                    _drop_nulls(value[key], sub)
            elif isinstance(extra, dict):
                _drop_nulls(value[key], extra)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for item in value:
            _drop_nulls(item, schema["items"])


def _needs_default(value: Any, present: bool, schema: dict[str, Any]) -> bool:
    return "default" in schema and (not present or (value is None and not schema.get("nullable")))


def _default(value: Any, schema: dict[str, Any]) -> None:
    """`structuraldefaulting.Default`."""
    if isinstance(value, dict):
        properties: dict[str, Any] = schema.get("properties") or {}
        for key, sub in properties.items():
            if _needs_default(value.get(key), key in value, sub):
                value[key] = clone(sub["default"])
        extra = schema.get("additionalProperties")
        for key in list(value):
            if key in properties:
                _default(value[key], properties[key])
            elif isinstance(extra, dict):
                if _needs_default(value[key], True, extra):
                    value[key] = clone(extra["default"])
                _default(value[key], extra)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        items = schema["items"]
        for index, item in enumerate(value):
            if _needs_default(item, True, items):
                value[index] = clone(items["default"])
            _default(value[index], items)
