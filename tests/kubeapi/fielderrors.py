"""Field errors as the Kubernetes API server words them, and the Status bodies that carry them.

Contract:
- `FieldError` is apimachinery's `field.Error` (Kubernetes 1.32): a cause type (`FieldValueInvalid`, ...), the
  field path string, the bad value and a detail. `error.body` is Go's `ErrorBody()` (the cause message) and
  `str(error)` is `Error()`, i.e. `<field>: <body>`. The constructors (`invalid`, `required`, `not_supported`,
  `too_long`, `too_many`, `type_invalid`, `duplicate`, `forbidden`) word their details exactly as
  `k8s.io/apimachinery/pkg/util/validation/field/errors.go` does.
- Values render as Go does: strings with `%q`, numbers and booleans with `%v` (floats in Go's shortest form),
  `None` as `"null"`, maps and lists with `%#v` (`map[string]interface {}{"type":"Ready"}`).
- A field path of `None` renders as `<nil>`, as a nil `*field.Path` does (errors of rules at the root).
- `Invalid` is the exception admission raises with every cause; `invalid_status()` builds the 422 Status body
  (`<Kind>.<group> "<name>" is invalid: <errors>`, duplicates dropped, several errors in `[...]`), and
  `strict_decoding_status()` the 400 body for unknown fields under `fieldValidation=Strict`.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

REASON_INVALID: Final = "FieldValueInvalid"
REASON_REQUIRED: Final = "FieldValueRequired"
REASON_NOT_SUPPORTED: Final = "FieldValueNotSupported"
REASON_TOO_LONG: Final = "FieldValueTooLong"
REASON_TOO_MANY: Final = "FieldValueTooMany"
REASON_TYPE_INVALID: Final = "FieldValueTypeInvalid"
REASON_DUPLICATE: Final = "FieldValueDuplicate"
REASON_FORBIDDEN: Final = "FieldValueForbidden"
REASON_INTERNAL: Final = "InternalError"

_TYPE_TEXT: Final = {
    REASON_INVALID: "Invalid value",
    REASON_REQUIRED: "Required value",
    REASON_NOT_SUPPORTED: "Unsupported value",
    REASON_TOO_LONG: "Too long",
    REASON_TOO_MANY: "Too many",
    REASON_TYPE_INVALID: "Invalid value",
    REASON_DUPLICATE: "Duplicate value",
    REASON_FORBIDDEN: "Forbidden",
    REASON_INTERNAL: "Internal error",
}
# Go prints only the type for these, never the value.
_VALUELESS: Final = frozenset({REASON_REQUIRED, REASON_FORBIDDEN, REASON_TOO_LONG, REASON_INTERNAL})

NIL_PATH: Final = "<nil>"


class _Omit:
    """Go's `omitValue`: the error prints its type without a value."""


OMIT: Final = _Omit()


@dataclass(frozen=True)
class FieldError:
    reason: str
    field: str
    value: Any
    detail: str

    @property
    def body(self) -> str:
        text = _TYPE_TEXT[self.reason]
        if self.reason not in _VALUELESS and not isinstance(self.value, _Omit):
            text = f"{text}: {go_value(self.value)}"
        if self.detail:
            text = f"{text}: {self.detail}"
        return text

    def __str__(self) -> str:
        return f"{self.field}: {self.body}"

    def cause(self) -> dict[str, str]:
        """The `StatusCause` of this error."""
        return {"reason": self.reason, "message": self.body, "field": self.field}


def path_text(path: str | None) -> str:
    return NIL_PATH if path is None else path


def invalid(path: str | None, value: Any, detail: str) -> FieldError:
    return FieldError(REASON_INVALID, path_text(path), value, detail)


def type_invalid(path: str | None, value: Any, detail: str) -> FieldError:
    return FieldError(REASON_TYPE_INVALID, path_text(path), value, detail)


def required(path: str | None, detail: str = "") -> FieldError:
    return FieldError(REASON_REQUIRED, path_text(path), "", detail)


def forbidden(path: str | None, detail: str) -> FieldError:
    return FieldError(REASON_FORBIDDEN, path_text(path), "", detail)


def duplicate(path: str | None, value: Any) -> FieldError:
    return FieldError(REASON_DUPLICATE, path_text(path), value, "")


def not_supported(path: str | None, value: Any, supported: list[str]) -> FieldError:
    detail = ""
    if supported:
        detail = "supported values: " + ", ".join(go_quote(v) for v in supported)
    return FieldError(REASON_NOT_SUPPORTED, path_text(path), value, detail)


def too_long(path: str | None, max_length: int) -> FieldError:
    if max_length < 0:
        detail = "value is too long"
    else:
        detail = f"may not be more than {max_length} {'byte' if max_length == 1 else 'bytes'}"
    return FieldError(REASON_TOO_LONG, path_text(path), "<value omitted>", detail)


def too_many(path: str | None, actual: int, maximum: int) -> FieldError:
    if maximum < 0:
        detail = "has too many items"
    else:
        detail = f"must have at most {maximum} {'item' if maximum == 1 else 'items'}"
    return FieldError(REASON_TOO_MANY, path_text(path), actual if actual >= 0 else OMIT, detail)


# --- Go value formatting ------------------------------------------------------------------------------------

_GO_ESCAPES: Final = {
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
    '"': '\\"',
    "\\": "\\\\",
}


def go_quote(text: str) -> str:
    """Go's `strconv.Quote`."""
    out = ['"']
    for char in text:
        if char in _GO_ESCAPES:
            out.append(_GO_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\x{ord(char):02x}")
        elif not char.isprintable() and ord(char) > 0x7F:
            out.append(f"\\u{ord(char):04x}" if ord(char) <= 0xFFFF else f"\\U{ord(char):08x}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def _shortest(number: float) -> tuple[str, int]:
    """The shortest round-trip digits of |number| (Go and `repr` agree) and where the decimal point goes."""
    _, digits, exponent = Decimal(repr(abs(number))).normalize().as_tuple()
    text = "".join(str(d) for d in digits)
    return text, len(text) + int(exponent)


def _exponent_form(text: str, point: int, *, pad: bool) -> str:
    exponent = point - 1
    mantissa = text[0] + ("." + text[1:] if len(text) > 1 else "")
    width = 2 if pad else 1
    return f"{mantissa}e{'-' if exponent < 0 else '+'}{abs(exponent):0{width}d}"


def _fixed_form(text: str, point: int) -> str:
    if point <= 0:
        return f"0.{'0' * -point}{text}"
    if point >= len(text):
        return text + "0" * (point - len(text))
    return f"{text[:point]}.{text[point:]}"


def go_float(number: float) -> str:
    """Go's `%v` of a float64: shortest digits, exponent form when the exponent is < -4 or >= 6 (`%g`)."""
    if math.isinf(number):
        return "+Inf" if number > 0 else "-Inf"
    if math.isnan(number):
        return "NaN"
    if number == 0:
        return "0"
    text, point = _shortest(number)
    sign = "-" if number < 0 else ""
    if point - 1 < -4 or point - 1 >= 6:
        return sign + _exponent_form(text, point, pad=True)
    return sign + _fixed_form(text, point)


def go_json(value: Any) -> str:
    """Go's `json.Marshal` of a decoded JSON value: sorted keys, HTML-safe escapes, Go's float format."""
    if isinstance(value, float) and not isinstance(value, bool):
        if value == 0 or math.isinf(value) or math.isnan(value):
            return "0" if value == 0 else json.dumps(value)
        text, point = _shortest(value)
        sign = "-" if value < 0 else ""
        if abs(value) < 1e-6 or abs(value) >= 1e21:
            return sign + _exponent_form(text, point, pad=False)
        return sign + _fixed_form(text, point)
    if isinstance(value, dict):
        return "{" + ",".join(f"{go_json(k)}:{go_json(value[k])}" for k in sorted(value)) + "}"
    if isinstance(value, list):
        return "[" + ",".join(go_json(v) for v in value) + "]"
    text = json.dumps(value, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def go_value(value: Any) -> str:
    """How `ErrorBody()` prints a bad value: `%v`/`%q` for scalars, `"null"` for nil, `%#v` otherwise."""
    return go_quote("null") if value is None else go_sharp_v(value)


def go_sharp_v(value: Any) -> str:
    """Go's `%#v` of a decoded JSON value held in an `interface{}`."""
    if value is None:
        return "interface {}(nil)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return go_float(value)
    if isinstance(value, str):
        return go_quote(value)
    if isinstance(value, dict):
        items = ", ".join(f"{go_quote(k)}:{go_sharp_v(value[k])}" for k in sorted(value))
        return "map[string]interface {}{" + items + "}"
    if isinstance(value, list):
        return "[]interface {}{" + ", ".join(go_sharp_v(v) for v in value) + "}"
    return repr(value)


# --- Status bodies ------------------------------------------------------------------------------------------


class Invalid(Exception):
    """An object failed admission; `causes` holds every field error, in the server's order."""

    def __init__(self, causes: list[FieldError]) -> None:
        super().__init__(aggregate(causes))
        self.causes = causes

    def status(self, *, group: str, kind: str, name: str) -> dict[str, Any]:
        return invalid_status(group=group, kind=kind, name=name, causes=self.causes)


def aggregate(errors: list[FieldError]) -> str:
    """`ErrorList.ToAggregate().Error()`: duplicate messages dropped, several wrapped in brackets."""
    messages = list(dict.fromkeys(str(e) for e in errors))
    if len(messages) == 1:
        return messages[0]
    return "[" + ", ".join(messages) + "]"


def qualified_kind(group: str, kind: str) -> str:
    return f"{kind}.{group}" if group else kind


def invalid_status(*, group: str, kind: str, name: str, causes: list[FieldError]) -> dict[str, Any]:
    """The 422 body of `apierrors.NewInvalid`."""
    message = f"{qualified_kind(group, kind)} {json.dumps(name)} is invalid"
    if causes:
        message = f"{message}: {aggregate(causes)}"
    details: dict[str, Any] = {"name": name}
    if group:
        details["group"] = group
    details["kind"] = kind
    if causes:
        details["causes"] = [c.cause() for c in causes]
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": "Invalid",
        "details": details,
        "code": 422,
    }


def strict_decoding_status(*, kind: str, version: str, fields: list[str]) -> dict[str, Any]:
    """The 400 body for unknown fields under `fieldValidation=Strict` (create and update)."""
    unknown = ", ".join(f"unknown field {json.dumps(f)}" for f in fields)
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": f"{kind} in version {json.dumps(version)} cannot be handled as a {kind}: "
        f"strict decoding error: {unknown}",
        "reason": "BadRequest",
        "code": 400,
    }
