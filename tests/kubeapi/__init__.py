"""A Kubernetes API server emulator for tests, ``make demo`` and benchmarks (asyncio + aiohttp).

It speaks the Kubernetes REST API over plain HTTP on 127.0.0.1 well enough that kubernetes-asyncio (typed
APIs, CustomObjectsApi, Watch) and kubectl work against it unchanged. Each module's docstring states its
contract and what it simplifies:

- ``server``       — :class:`KubeAPI` (start/stop, kubeconfig, ``api_client()``, ``/_emulator/`` control)
- ``handlers``     — HTTP routing of verbs and bodies; ``routing`` parses URLs
- ``discovery``    — ``/version``, ``/api``, ``/apis``, resource lists, aggregated discovery, OpenAPI
- ``cluster``      — object semantics: metadata, resourceVersion, generation, status split, create/update/
                     patch/apply; ``listing`` — LIST with selectors and pagination; ``crds`` — CRD checks
                     and state; ``scale`` — the Scale view and /scale writes
- ``store``        — storage, history, watch fan-out; ``watch`` — watch streams and bookmarks
- ``patch``        — merge, JSON and strategic merge patches; ``apply`` — server-side apply;
                     ``managed``/``fields`` — managedFields; ``structure`` — list/map merge semantics
- ``deletion``     — delete, grace periods, finalizers; ``controllers`` — GC, namespace and CRD cleanup
- ``resources``/``builtins`` — served types and CRDs; ``selectors`` — label/field selectors;
                     ``conversion`` — events.k8s.io/v1 Events stored as core/v1 Events
- ``validation``   — ObjectMeta checks and decoding errors; ``defaults`` — built-in defaulting
- ``seams``        — custom-resource admission (``schema``) and Table rendering (``tables``) plug in here
- ``faults``       — fault injection; ``requestlog`` — the request log; ``protobuf`` — kubectl's bodies
- ``fixtures``     — the ``kubeapi`` and ``kubeapi_client`` pytest fixtures; ``testing`` — test helpers;
                     ``__main__`` — ``python -m tests.kubeapi serve``

Not emulated: authentication and authorisation; admission plugins (ServiceAccount, LimitRanger, priority,
default tolerations) and webhooks; conversion webhooks; protobuf responses; the built-in controllers other
than garbage collection and namespace/CRD cleanup (no Deployment → ReplicaSet → Pod, no scheduler, no
kubelet, no default ServiceAccount or ``kube-root-ca.crt`` per namespace: simulators play those); validation
of built-in types beyond ObjectMeta and decoding; defaulting beyond ``defaults``; pods/log, exec, eviction.
"""

from __future__ import annotations

from tests.kubeapi.server import KubeAPI

__all__ = ["KubeAPI"]
