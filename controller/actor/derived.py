"""What a reconcile derives from an actor's spec alone, kept while the spec stays the same.

An actor is reconciled again and again as its pods and workload change, with the same spec every time.
Reading the spec (the model, the controller's own validation) and building the desired objects with their
digests (:meth:`controller.kube.apply.Applier.prepare`) depend only on the spec, the actor's identity, the
transport and the replicas of the apply, so :class:`Derived` keeps, per actor key, the last raw spec it saw
and what came of it, and recomputes only when the spec (compared by value) or one of those inputs differs.
One entry per actor: the caller forgets the key when the actor is gone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from controller.actor.desired import Desired
from controller.actor.observed import parse_spec
from controller.actor.validation import validate_actor
from controller.api.models import AsyncActorSpec
from controller.kube.apply import Prepared
from controller.kube.resources import Obj


@dataclass(frozen=True, slots=True)
class SpecView:
    """The spec as read (``None`` when unreadable, with the reasons) and the problems validation found."""

    spec: AsyncActorSpec | None
    spec_errors: tuple[str, ...]
    validation_errors: tuple[str, ...]


@dataclass(frozen=True, kw_only=True, slots=True)
class PreparedObjects:
    """The desired objects of :class:`controller.actor.desired.Desired`, each with its digest, except the
    namespace's runtime ConfigMap (the same for every actor, digested once per namespace by the caller)."""

    workload: Prepared
    service: Prepared | None
    configmap: Obj
    service_account: Prepared | None
    scaled_object: Prepared | None
    trigger_authentication: Prepared | None


@dataclass(slots=True)
class _Entry:
    raw: object
    view: SpecView
    inputs: tuple[Any, ...] | None = None
    objects: PreparedObjects | None = None


@dataclass
class Derived:
    """Per actor key, the spec's reading and the prepared desired objects; see the module docstring."""

    prepare: Callable[[Obj], Prepared]
    _entries: dict[str, _Entry] = field(default_factory=dict)

    def spec(self, key: str, *, name: str, raw: object) -> SpecView:
        """The reading of ``raw`` (the actor's ``spec`` as cached), from the last time when it is the same."""
        entry = self._entries.get(key)
        if entry is None or entry.raw != raw:
            spec, spec_errors = parse_spec(raw if isinstance(raw, Mapping) else {})
            errors = tuple(validate_actor(name=name, spec=raw if isinstance(raw, Mapping) else None))
            entry = self._entries[key] = _Entry(raw=raw, view=SpecView(spec, spec_errors, errors))
        return entry.view

    def objects(self, key: str, *, inputs: tuple[Any, ...], build: Callable[[], Desired]) -> PreparedObjects:
        """The prepared desired objects of the actor ``key`` whose spec :meth:`spec` read last; ``build()``
        makes them again when ``inputs`` (everything else they depend on, compared by value) differ."""
        entry = self._entries[key]
        if entry.objects is None or entry.inputs != inputs:
            entry.objects = self._prepared(build())
            entry.inputs = inputs
        return entry.objects

    def forget(self, key: str) -> None:
        self._entries.pop(key, None)

    def _prepared(self, desired: Desired) -> PreparedObjects:
        def maybe(body: Obj | None) -> Prepared | None:
            return self.prepare(body) if body is not None else None

        return PreparedObjects(
            workload=self.prepare(desired.workload),
            service=maybe(desired.service),
            configmap=desired.configmap,
            service_account=maybe(desired.service_account),
            scaled_object=maybe(desired.scaled_object),
            trigger_authentication=maybe(desired.trigger_authentication),
        )
