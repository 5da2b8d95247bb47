"""Pydantic models to the structural OpenAPI v3 schema that a CustomResourceDefinition requires.

``structural_schema(model)`` rewrites the model's JSON schema by the rules of Kubernetes' structural schemas:
``$ref`` resolved in place; an optional field (``X | None``) becomes ``X``, because the API server drops
nulls of non-nullable fields and the models read a missing field as ``None``; open objects
(``additionalProperties: true``, a model with ``extra="allow"``) become
``x-kubernetes-preserve-unknown-fields``; draft-2020 numeric ``exclusiveMinimum``/``exclusiveMaximum``
become OpenAPI v3.0's boolean form; ``const`` becomes a one-value ``enum``; titles are dropped.
Anything it cannot express structurally (a union of two types, a node without a type, a default on an
object) is an error rather than something silently approximated. Keys are sorted, so the output is stable.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel

PRESERVE = "x-kubernetes-preserve-unknown-fields"

_KEPT = frozenset(
    {
        "type",
        "format",
        "description",
        "enum",
        "pattern",
        "minLength",
        "maxLength",
        "minItems",
        "maxItems",
        "minimum",
        "maximum",
        "required",
    }
)


class SchemaError(ValueError):
    """The models describe something a structural schema cannot hold."""


def structural_schema(
    model: type[BaseModel], *, mode: Literal["validation", "serialization"] = "validation", defaults: bool
) -> dict[str, Any]:
    """The structural schema of ``model``; with ``defaults=False`` the fields' defaults are left out."""
    schema = model.model_json_schema(mode=mode, by_alias=True)
    definitions = schema.pop("$defs", {})
    return _convert(schema, definitions=definitions, defaults=defaults, at=model.__name__, seen=())


def _convert(
    node: Mapping[str, Any],
    *,
    definitions: Mapping[str, Any],
    defaults: bool,
    at: str,
    seen: tuple[str, ...],
) -> dict[str, Any]:
    node, seen = _resolve(node, definitions=definitions, at=at, seen=seen)
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in {"title", "additionalProperties", "exclusiveMinimum", "exclusiveMaximum", "const"}:
            continue
        if key == "default":
            if defaults and value is not None:
                if isinstance(value, dict):
                    raise SchemaError(f"{at}: an object gets no default (nested defaults apply instead)")
                out["default"] = value
        elif key == "properties":
            out["properties"] = {
                name: _convert(sub, definitions=definitions, defaults=defaults, at=f"{at}.{name}", seen=seen)
                for name, sub in value.items()
            }
        elif key == "items":
            out["items"] = _convert(
                value, definitions=definitions, defaults=defaults, at=f"{at}[]", seen=seen
            )
        elif key in _KEPT or key.startswith("x-kubernetes-"):
            out[key] = copy.deepcopy(value)  # definitions are shared; each node gets its own values
        else:
            raise SchemaError(f"{at}: {key!r} has no place in a structural schema")
    _open_object(node, out, definitions=definitions, defaults=defaults, at=at, seen=seen)
    for bound, inclusive in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if bound in node:
            out[inclusive] = node[bound]
            out[bound] = True
    if "const" in node:
        out["enum"] = [node["const"]]
    if "type" not in out and not out.get(PRESERVE) and not out.get("x-kubernetes-int-or-string"):
        raise SchemaError(f"{at}: every node of a structural schema needs a type")
    return _sorted(out)


def _resolve(
    node: Mapping[str, Any], *, definitions: Mapping[str, Any], at: str, seen: tuple[str, ...]
) -> tuple[Mapping[str, Any], tuple[str, ...]]:
    """Inline ``$ref`` (keys beside it, such as a field's description, win) and turn ``X | None`` into
    ``X``, until neither is left; ``seen`` is the chain of definitions entered, to refuse recursion."""
    while True:
        if "$ref" in node:
            ref = node["$ref"]
            name = ref.removeprefix("#/$defs/")
            if ref in seen:
                raise SchemaError(f"{at}: the recursive type {name} cannot be written out")
            if name not in definitions:
                raise SchemaError(f"{at}: unknown reference {ref}")
            node = {**definitions[name], **{k: v for k, v in node.items() if k != "$ref"}}
            seen = (*seen, ref)
        elif "anyOf" in node:
            branches = [branch for branch in node["anyOf"] if branch != {"type": "null"}]
            if len(branches) != 1:
                raise SchemaError(f"{at}: a union of several types has no structural schema")
            node = {**branches[0], **{k: v for k, v in node.items() if k != "anyOf"}}
        else:
            break
    for key in ("oneOf", "allOf", "not"):
        if key in node:
            raise SchemaError(f"{at}: {key} has no place in a structural schema")
    return node, seen


def _open_object(
    node: Mapping[str, Any],
    out: dict[str, Any],
    *,
    definitions: Mapping[str, Any],
    defaults: bool,
    at: str,
    seen: tuple[str, ...],
) -> None:
    extra = node.get("additionalProperties")
    if extra is None:
        return
    if extra is True:
        out[PRESERVE] = True
    elif extra is False:
        raise SchemaError(f"{at}: additionalProperties: false has no place in a structural schema")
    elif "properties" in node:
        raise SchemaError(f"{at}: properties and additionalProperties exclude each other")
    else:
        out["additionalProperties"] = _convert(
            extra, definitions=definitions, defaults=defaults, at=f"{at}{{}}", seen=seen
        )


def _sorted(node: dict[str, Any]) -> dict[str, Any]:
    ordered = {key: node[key] for key in sorted(node)}
    if "properties" in ordered:
        ordered["properties"] = {name: ordered["properties"][name] for name in sorted(ordered["properties"])}
    return ordered
