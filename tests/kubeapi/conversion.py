"""events.k8s.io/v1 Events are core/v1 Events in another shape: one storage, converted field by field.

As on a real server, an Event written through either API is read through both. Objects are stored in the
core/v1 form; events.k8s.io/v1 maps ``regarding``↔``involvedObject``, ``note``↔``message``,
``reportingController``↔``reportingComponent``, ``deprecatedSource``↔``source``,
``deprecatedFirstTimestamp``/``deprecatedLastTimestamp``/``deprecatedCount`` ↔ ``firstTimestamp``/
``lastTimestamp``/``count``; the other fields keep their names. Field selectors on events.k8s.io/v1 name the
new fields and are translated. Simplification: managedFields of an Event record paths in the form of the API
that wrote them (a real server converts them between versions).
"""

from __future__ import annotations

from typing import Any

_EVENTS_V1_TO_CORE = {
    "regarding": "involvedObject",
    "note": "message",
    "reportingController": "reportingComponent",
    "deprecatedSource": "source",
    "deprecatedFirstTimestamp": "firstTimestamp",
    "deprecatedLastTimestamp": "lastTimestamp",
    "deprecatedCount": "count",
}
_CORE_TO_EVENTS_V1 = {core: new for new, core in _EVENTS_V1_TO_CORE.items()}

EVENTS_V1_FIELD_ALIASES = {
    **{
        f"regarding.{f}": f"involvedObject.{f}"
        for f in ("kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath")
    },
    "reportingController": "reportingComponent",
}


def event_to_core(obj: dict[str, Any]) -> dict[str, Any]:
    out = {_EVENTS_V1_TO_CORE.get(k, k): v for k, v in obj.items()}
    out["apiVersion"] = "v1"
    return out


def event_from_core(obj: dict[str, Any]) -> dict[str, Any]:
    out = {_CORE_TO_EVENTS_V1.get(k, k): v for k, v in obj.items()}
    out["apiVersion"] = "events.k8s.io/v1"
    return out
