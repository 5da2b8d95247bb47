"""A Kubernetes API server emulator for tests, ``make demo`` and benchmarks (asyncio + aiohttp).

It speaks the Kubernetes REST API over plain HTTP on 127.0.0.1 well enough that kubernetes-asyncio (typed
APIs, CustomObjectsApi, Watch) and kubectl work against it unchanged. Each module's docstring states its
contract and what it simplifies:

- ``server``       — :class:`KubeAPI` (start/stop, kubeconfig, ``api_client()``, ``/_emulator/`` control)
- ``handlers``     — HTTP routing of verbs and bodies; ``routing`` parses URLs
- ``discovery``    — ``/version``, ``/api``, ``/apis``, resource lists, aggregated discovery, OpenAPI
- ``cluster``      — object semantics: metadata, resourceVersion, generation, status split, create/update/
                     patch/apply, list with selectors and pagination
- ``store``        — storage, history, watch fan-out; ``watch`` — watch streams and bookmarks
- ``patch``        — merge, JSON and strategic merge patches; ``apply`` — server-side apply;
                     ``managed``/``fields`` — managedFields; ``structure`` — list/map merge semantics
- ``deletion``     — delete, grace periods, finalizers; ``controllers`` — GC, namespace and CRD cleanup
- ``resources``/``builtins`` — served types and CRDs; ``selectors`` — label/field selectors;
                     ``conversion`` — events.k8s.io/v1 Events stored as core/v1 Events
- ``faults``       — fault injection; ``requestlog`` — the request log; ``seams`` — admission and Table hooks
- ``fixtures``     — the ``kubeapi`` pytest fixture; ``__main__`` — ``python -m tests.kubeapi serve``

Not emulated: authentication and authorisation, admission webhooks and conversion webhooks, protobuf, the
built-in controllers other than garbage collection and namespace/CRD cleanup (no Deployment → Pod, no
kubelet: simulators play those), validation and defaulting of built-in types.
"""

from __future__ import annotations

from tests.kubeapi.server import KubeAPI

__all__ = ["KubeAPI"]
