"""`meta.k8s.io` Tables, as kube-apiserver renders them for `kubectl get` (1.32).

Contract:
- `table_version(accept)` returns "v1" or "v1beta1" when an `Accept` header asks for a Table
  (`application/json;as=Table;v=v1;g=meta.k8s.io`, the first acceptable entry wins), else None.
- `render_table(group=, resource=, objects=, printer_columns=None, ...) -> dict` builds the Table of one
  object or a list page: `columnDefinitions` (name, type, format, description, priority; left out with
  `no_headers`, as in watch events after the first), `rows` with `cells` and `object` — PartialObjectMetadata
  (`include_object="Metadata"`, the default), the full object (`"Object"`) or null (`"None"`) — and
  `conditions` where the printer gives them (Completed pods); `metadata` carries resourceVersion / continue /
  remainingItemCount.
- Custom resources (`printer_columns` is the CRD version's `additionalPrinterColumns`, possibly empty): NAME
  then each column evaluated with the Kubernetes JSONPath dialect; only the first match is shown; a missing
  value is null (kubectl prints it empty); `string` columns print any value (maps and lists as JSON),
  `integer`/`number`/`boolean` columns only values of their type, `date` columns the age of an RFC 3339 time
  (`5m`, `<unknown>` for "", `<invalid>` when unparsable) — computed by the server, as the real one does. No
  columns at all means the server's default single Age column (`serveDefaultColumnsIfEmpty`).
- Built-in resources (`printer_columns=None`) use `printers.printer_for(group, resource)`.

`now` fixes the clock for ages (tests); by default it is the current time.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

from tests.kubeapi.jsonpath import JSONPathError, find, print_value
from tests.kubeapi.printer_rows import human_duration, parse_time
from tests.kubeapi.printers import CREATED_DESCRIPTION, NAME_COLUMN, column, printer_for

_DEFAULT_COLUMNS: Final = (
    {
        "name": "Age",
        "type": "date",
        "description": CREATED_DESCRIPTION,
        "jsonPath": ".metadata.creationTimestamp",
    },
)
_INCLUDE: Final = ("None", "Metadata", "Object")


def table_version(accept: str | None) -> str | None:
    for entry in (accept or "").split(","):
        parts = [p.strip() for p in entry.split(";")]
        params = dict(p.split("=", 1) for p in parts[1:] if "=" in p)
        if parts[0] not in ("application/json", "*/*") or params.get("as") != "Table":
            continue
        if params.get("g") == "meta.k8s.io" and params.get("v") in ("v1", "v1beta1"):
            return params["v"]
    return None


def _date_cell(value: Any, now: datetime) -> str | None:
    if not isinstance(value, str):
        return None
    if value == "":
        return "<unknown>"
    moment = parse_time(value)
    if moment is None:
        return "<invalid>"
    return human_duration((now - moment).total_seconds())


def _cell(kind: str, values: list[Any], now: datetime) -> Any:
    """`tableconvertor.ConvertToTable` for one column: the first match only."""
    if not values or values[0] is None:
        return None
    value = values[0]
    if kind == "string":
        return print_value(value)
    if kind == "integer" and isinstance(value, int | float) and not isinstance(value, bool):
        return int(value)
    if kind == "number" and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if kind == "boolean" and isinstance(value, bool):
        return value
    if kind == "date":
        return _date_cell(value, now)
    return None


def _custom_columns(printer_columns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    definitions = [NAME_COLUMN]
    for spec in printer_columns or _DEFAULT_COLUMNS:
        description = spec.get("description") or (
            f"Custom resource definition column (in JSONPath format): {spec.get('jsonPath', '')}"
        )
        definitions.append(
            column(
                spec["name"],
                spec.get("type", "string"),
                priority=int(spec.get("priority", 0)),
                fmt=spec.get("format", ""),
                description=description,
            )
        )
    return definitions


def _custom_row(obj: dict[str, Any], printer_columns: list[dict[str, Any]], now: datetime) -> list[Any]:
    cells: list[Any] = [(obj.get("metadata") or {}).get("name", "")]
    for spec in printer_columns or _DEFAULT_COLUMNS:
        try:
            values = find(str(spec.get("jsonPath", "")), obj)
        except JSONPathError:
            values = []
        cells.append(_cell(str(spec.get("type", "string")), values, now))
    return cells


def _row_object(obj: dict[str, Any], include_object: str, version: str) -> Any:
    if include_object == "None":
        return None
    if include_object == "Object":
        return obj
    return {
        "kind": "PartialObjectMetadata",
        "apiVersion": f"meta.k8s.io/{version}",
        "metadata": obj.get("metadata") or {},
    }


def render_table(
    *,
    group: str,
    resource: str,
    objects: list[dict[str, Any]],
    printer_columns: list[dict[str, Any]] | None = None,
    include_object: str = "Metadata",
    no_headers: bool = False,
    resource_version: str | None = None,
    continue_token: str | None = None,
    remaining_item_count: int | None = None,
    version: str = "v1",
    now: datetime | None = None,
) -> dict[str, Any]:
    if include_object not in _INCLUDE:
        raise ValueError(f"includeObject must be one of {', '.join(_INCLUDE)}, got {include_object!r}")
    moment = now or datetime.now(UTC)
    rows: list[dict[str, Any]] = []
    if printer_columns is not None:
        definitions = _custom_columns(printer_columns)
        for obj in objects:
            cells = _custom_row(obj, printer_columns, moment)
            rows.append({"cells": cells, "object": _row_object(obj, include_object, version)})
    else:
        printer = printer_for(group, resource)
        definitions = list(printer.columns)
        for obj in objects:
            cells, conditions = printer.row(obj, moment)
            row: dict[str, Any] = {"cells": cells, "object": _row_object(obj, include_object, version)}
            if conditions:
                row["conditions"] = conditions
            rows.append(row)
    metadata: dict[str, Any] = {}
    if resource_version is not None:
        metadata["resourceVersion"] = resource_version
    if continue_token:
        metadata["continue"] = continue_token
    if remaining_item_count is not None:
        metadata["remainingItemCount"] = remaining_item_count
    table: dict[str, Any] = {"kind": "Table", "apiVersion": f"meta.k8s.io/{version}", "metadata": metadata}
    table["columnDefinitions"] = None if no_headers else definitions
    table["rows"] = rows
    return table
