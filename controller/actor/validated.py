"""The controller's own validation of an actor's spec, kept while the actor's generation stays the same.

A converging actor is reconciled again and again as its pods and workload change; its spec changes only
with its ``metadata.generation`` (the API server moves it on every spec change of a resource with a status
subresource). ``Validations.errors`` runs :func:`controller.actor.validation.validate_actor` once per
(uid, generation) of an actor and answers from memory until either moves; an object without a generation
is validated every time. It keeps only the messages (none for a valid actor): a few hundred bytes per
actor. The caller forgets an actor that is gone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from controller.actor.validation import validate_actor


@dataclass
class Validations:
    """Per actor key, the problems of its spec at one (uid, generation); see the module docstring."""

    _entries: dict[str, tuple[str, int, tuple[str, ...]]] = field(default_factory=dict)

    def errors(
        self, key: str, *, uid: str, generation: object, name: str, spec: Mapping[str, Any] | None
    ) -> tuple[str, ...]:
        """``validate_actor(name=name, spec=spec)``, from memory when ``uid`` and ``generation`` are those
        it was last computed for."""
        entry = self._entries.get(key)
        if entry is not None and isinstance(generation, int) and entry[:2] == (uid, generation):
            return entry[2]
        errors = tuple(validate_actor(name=name, spec=spec))
        if isinstance(generation, int):
            self._entries[key] = (uid, generation, errors)
        return errors

    def forget(self, key: str) -> None:
        self._entries.pop(key, None)
