"""The built-in resource types the emulator serves, with the list semantics their Go types declare.

Schemas here are sparse: only the lists and atomic structs that change how patches and server-side apply
merge (``+listType=map`` keys and their defaults, ``patchMergeKey``s, ``+structType=atomic``). Everything
else is free-form; built-in objects are not validated beyond ObjectMeta (a real server would reject a
Deployment without a selector) and are defaulted as ``defaults`` says. Pods carry no
``metadata.generation`` (as in 1.32); Deployments, ReplicaSets, StatefulSets, HPAs and CRDs do.
ReplicaSets, Nodes and PersistentVolumeClaims are served for the simulators (a Deployment controller, a
scheduler and kubelet, a StatefulSet controller). RBAC objects are stored so that a deployment's manifests
apply, and never enforced.
"""

from __future__ import annotations

from tests.kubeapi.conversion import EVENTS_V1_FIELD_ALIASES, event_from_core, event_to_core
from tests.kubeapi.resources import ResourceType, ScalePaths
from tests.kubeapi.structure import Schema, atomic, map_list, obj, set_list, with_metadata

CONDITIONS = map_list(["type"])

_PORT = obj(protocol={"type": "string", "default": "TCP"})

CONTAINER = obj(
    ports=map_list(["containerPort", "protocol"], _PORT, smp_key="containerPort"),
    env=map_list(["name"]),
    volumeMounts=map_list(["mountPath"]),
    volumeDevices=map_list(["devicePath"]),
    resizePolicy=map_list(["resourceName"]),
)

POD_SPEC = obj(
    containers=map_list(["name"], CONTAINER),
    initContainers=map_list(["name"], CONTAINER),
    ephemeralContainers=map_list(["name"], CONTAINER),
    volumes=map_list(["name"]),
    imagePullSecrets=map_list(["name"]),
    hostAliases=map_list(["ip"]),
    topologySpreadConstraints=map_list(["topologyKey", "whenUnsatisfiable"], smp_key="topologyKey"),
    schedulingGates=map_list(["name"]),
    resourceClaims=map_list(["name"]),
)

POD_TEMPLATE = obj(metadata=obj(finalizers=set_list(), ownerReferences=map_list(["uid"])), spec=POD_SPEC)

_POD = obj(
    spec=POD_SPEC, status=obj(conditions=CONDITIONS, podIPs=map_list(["ip"]), hostIPs=map_list(["ip"]))
)
_WORKLOAD = obj(
    spec=obj(selector=atomic(), template=POD_TEMPLATE),
    status=obj(conditions=CONDITIONS),
)
_SERVICE = obj(spec=obj(ports=map_list(["port", "protocol"], _PORT, smp_key="port"), selector=atomic()))
_HPA = obj(spec=obj(scaleTargetRef=obj()), status=obj(conditions=CONDITIONS))
_NAMESPACE = obj(status=obj(conditions=CONDITIONS))
_WITH_CONDITIONS = obj(status=obj(conditions=CONDITIONS))
_NODE = obj(status=obj(conditions=CONDITIONS, addresses=map_list(["type"]), images=atomic()))
_CRD = obj(status=obj(conditions=CONDITIONS))
_PLAIN: Schema = {"type": "object"}

_NAME_NS = frozenset({"metadata.name", "metadata.namespace"})
_POD_FIELDS = _NAME_NS | {
    "spec.nodeName",
    "spec.restartPolicy",
    "spec.schedulerName",
    "spec.serviceAccountName",
    "spec.hostNetwork",
    "status.phase",
    "status.podIP",
    "status.nominatedNodeName",
}
_EVENT_FIELDS = _NAME_NS | {
    "involvedObject.kind",
    "involvedObject.namespace",
    "involvedObject.name",
    "involvedObject.uid",
    "involvedObject.apiVersion",
    "involvedObject.resourceVersion",
    "involvedObject.fieldPath",
    "reason",
    "reportingComponent",
    "source",
    "type",
}
_EVENTS_V1_FIELDS = _NAME_NS | {
    "regarding.kind",
    "regarding.namespace",
    "regarding.name",
    "regarding.uid",
    "regarding.apiVersion",
    "regarding.resourceVersion",
    "regarding.fieldPath",
    "reason",
    "reportingController",
    "type",
}

_DEPLOY_SCALE = ScalePaths(spec_replicas=".spec.replicas", status_replicas=".status.replicas", selector=None)


def builtin_types() -> list[ResourceType]:
    def rt(group: str, version: str, plural: str, kind: str, schema: Schema, **kw: object) -> ResourceType:
        return ResourceType(
            group=group,
            version=version,
            plural=plural,
            kind=kind,
            schema=with_metadata(schema),
            **kw,  # type: ignore[arg-type]
        )

    return [
        rt(
            "",
            "v1",
            "namespaces",
            "Namespace",
            _NAMESPACE,
            namespaced=False,
            short_names=("ns",),
            status=True,
            selectable=frozenset({"metadata.name", "status.phase"}),
            extra_subresources=("finalize",),
            returns_deleted=True,
        ),
        rt(
            "",
            "v1",
            "pods",
            "Pod",
            _POD,
            short_names=("po",),
            categories=("all",),
            status=True,
            selectable=_POD_FIELDS,
            graceful=True,
            returns_deleted=True,
        ),
        rt("", "v1", "events", "Event", _PLAIN, short_names=("ev",), selectable=_EVENT_FIELDS),
        rt("", "v1", "configmaps", "ConfigMap", _PLAIN, short_names=("cm",)),
        rt("", "v1", "secrets", "Secret", _PLAIN, selectable=_NAME_NS | {"type"}),
        rt("", "v1", "serviceaccounts", "ServiceAccount", _PLAIN, short_names=("sa",), returns_deleted=True),
        rt(
            "",
            "v1",
            "persistentvolumeclaims",
            "PersistentVolumeClaim",
            _WITH_CONDITIONS,
            short_names=("pvc",),
            status=True,
        ),
        rt(
            "",
            "v1",
            "nodes",
            "Node",
            _NODE,
            namespaced=False,
            short_names=("no",),
            status=True,
            selectable=frozenset({"metadata.name", "spec.unschedulable"}),
        ),
        rt(
            "",
            "v1",
            "services",
            "Service",
            _SERVICE,
            short_names=("svc",),
            categories=("all",),
            status=True,
            returns_deleted=True,
        ),
        rt(
            "apps",
            "v1",
            "deployments",
            "Deployment",
            _WORKLOAD,
            short_names=("deploy",),
            categories=("all",),
            status=True,
            scale=_DEPLOY_SCALE,
            generation=True,
        ),
        rt(
            "apps",
            "v1",
            "replicasets",
            "ReplicaSet",
            _WORKLOAD,
            short_names=("rs",),
            categories=("all",),
            status=True,
            scale=_DEPLOY_SCALE,
            generation=True,
        ),
        rt(
            "apps",
            "v1",
            "statefulsets",
            "StatefulSet",
            _WORKLOAD,
            short_names=("sts",),
            categories=("all",),
            status=True,
            scale=_DEPLOY_SCALE,
            generation=True,
        ),
        rt(
            "autoscaling",
            "v2",
            "horizontalpodautoscalers",
            "HorizontalPodAutoscaler",
            _HPA,
            short_names=("hpa",),
            categories=("all",),
            status=True,
            generation=True,
        ),
        rt("coordination.k8s.io", "v1", "leases", "Lease", _PLAIN),
        # Stored and served, never enforced: the emulator authorises every request.
        rt("rbac.authorization.k8s.io", "v1", "roles", "Role", _PLAIN),
        rt("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", _PLAIN),
        rt("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", _PLAIN, namespaced=False),
        rt(
            "rbac.authorization.k8s.io",
            "v1",
            "clusterrolebindings",
            "ClusterRoleBinding",
            _PLAIN,
            namespaced=False,
        ),
        rt(
            "events.k8s.io",
            "v1",
            "events",
            "Event",
            _PLAIN,
            short_names=("ev",),
            selectable=_EVENTS_V1_FIELDS,
            storage=("", "events"),
            convert_in=event_to_core,
            convert_out=event_from_core,
            field_aliases=EVENTS_V1_FIELD_ALIASES,
        ),
        rt(
            "apiextensions.k8s.io",
            "v1",
            "customresourcedefinitions",
            "CustomResourceDefinition",
            _CRD,
            namespaced=False,
            short_names=("crd", "crds"),
            categories=("api-extensions",),
            status=True,
            generation=True,
            returns_deleted=True,
        ),
    ]
