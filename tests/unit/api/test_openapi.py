"""Pydantic models to structural OpenAPI: what maps how, and what is refused rather than approximated."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field

from controller.api.openapi import SchemaError, structural_schema


class Inner(BaseModel):
    """An inner object."""

    size: int = Field(default=3, ge=1)


class Outer(BaseModel):
    model_config = ConfigDict(use_attribute_docstrings=True)

    inner: Inner = Field(default_factory=Inner)
    """The field's own words."""
    maybe: Inner | None = None
    name: str | None = None
    mode: Literal["a", "b"] = "a"
    only: Literal["x"] = "x"
    ratio: float = Field(default=0.5, gt=0, lt=1)
    labels: dict[str, str] = Field(default_factory=dict)
    anything: dict[str, Any] | None = None
    items: list[Inner] = Field(default_factory=list, json_schema_extra={"x-kubernetes-list-type": "atomic"})


def _schema(model: type[BaseModel], *, defaults: bool = True) -> dict[str, Any]:
    return structural_schema(model, defaults=defaults)


def test_references_are_written_out_and_a_fields_description_wins() -> None:
    inner = _schema(Outer)["properties"]["inner"]
    assert inner == {
        "description": "The field's own words.",
        "properties": {"size": {"default": 3, "minimum": 1, "type": "integer"}},
        "type": "object",
    }


def test_optional_fields_are_their_type_without_null_or_default() -> None:
    properties = _schema(Outer)["properties"]
    assert properties["name"] == {"type": "string"}
    assert properties["maybe"]["type"] == "object"
    assert "default" not in properties["maybe"]


def test_object_fields_get_no_default_of_their_own() -> None:
    assert "default" not in _schema(Outer)["properties"]["inner"]


def test_literals_become_enums() -> None:
    properties = _schema(Outer)["properties"]
    assert properties["mode"] == {"default": "a", "enum": ["a", "b"], "type": "string"}
    assert properties["only"] == {"default": "x", "enum": ["x"], "type": "string"}


def test_exclusive_bounds_take_the_openapi_3_0_boolean_form() -> None:
    assert _schema(Outer)["properties"]["ratio"] == {
        "default": 0.5,
        "exclusiveMaximum": True,
        "exclusiveMinimum": True,
        "maximum": 1,
        "minimum": 0,
        "type": "number",
    }


def test_maps_keep_their_value_schema_and_open_objects_preserve_unknown_fields() -> None:
    properties = _schema(Outer)["properties"]
    assert properties["labels"] == {"additionalProperties": {"type": "string"}, "type": "object"}
    assert properties["anything"] == {"type": "object", "x-kubernetes-preserve-unknown-fields": True}


def test_kubernetes_extensions_pass_through() -> None:
    assert _schema(Outer)["properties"]["items"]["x-kubernetes-list-type"] == "atomic"


def test_without_defaults_no_node_has_one() -> None:
    assert "default" not in str(_schema(Outer, defaults=False))


def test_keys_and_properties_are_sorted() -> None:
    schema = _schema(Outer)
    assert list(schema["properties"]) == sorted(schema["properties"])
    assert list(schema["properties"]["ratio"]) == sorted(schema["properties"]["ratio"])


def test_a_model_with_open_extras_preserves_unknown_fields_beside_its_properties() -> None:
    class Open(BaseModel):
        model_config = ConfigDict(extra="allow")
        name: str

    assert _schema(Open) == {
        "properties": {"name": {"type": "string"}},
        "required": ["name"],
        "type": "object",
        "x-kubernetes-preserve-unknown-fields": True,
    }


class _Union(BaseModel):
    value: int | str


class _Untyped(BaseModel):
    value: Any


class _ObjectDefault(BaseModel):
    value: dict[str, int] = {"a": 1}


class _Closed(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str


class _Node(BaseModel):
    children: list[_Node] = Field(default_factory=list)


class _Tuple(BaseModel):
    pair: tuple[int, str]


@pytest.mark.parametrize(
    ("model", "reason"),
    [
        (_Union, "union of several types"),
        (_Untyped, "needs a type"),
        (_ObjectDefault, "object gets no default"),
        (_Closed, "additionalProperties: false"),
        (_Node, "recursive type"),
        (_Tuple, "has no place"),
    ],
)
def test_what_a_structural_schema_cannot_hold_is_refused(model: type[BaseModel], reason: str) -> None:
    with pytest.raises(SchemaError, match=reason):
        _schema(model)


def test_annotated_formats_are_kept() -> None:
    class Sized(BaseModel):
        count: Annotated[int, Field(json_schema_extra={"format": "int32"})] = 0

    assert _schema(Sized)["properties"]["count"] == {"default": 0, "format": "int32", "type": "integer"}
