"""The API resources the controller reads and writes, as ``Resource`` coordinates."""

from __future__ import annotations

from typing import Final

from controller.api import constants as c
from controller.kube.resources import Resource

ASYNC_ACTORS: Final = Resource(group=c.GROUP, version=c.VERSION, plural=c.PLURAL, kind=c.KIND)
DEPLOYMENTS: Final = Resource(group="apps", version="v1", plural="deployments", kind="Deployment")
STATEFULSETS: Final = Resource(group="apps", version="v1", plural="statefulsets", kind="StatefulSet")
SERVICES: Final = Resource(group="", version="v1", plural="services", kind="Service")
CONFIGMAPS: Final = Resource(group="", version="v1", plural="configmaps", kind="ConfigMap")
SERVICE_ACCOUNTS: Final = Resource(group="", version="v1", plural="serviceaccounts", kind="ServiceAccount")
SECRETS: Final = Resource(group="", version="v1", plural="secrets", kind="Secret")
PODS: Final = Resource(group="", version="v1", plural="pods", kind="Pod")
EVENTS: Final = Resource(group="", version="v1", plural="events", kind="Event")
HPAS: Final = Resource(
    group="autoscaling", version="v2", plural="horizontalpodautoscalers", kind="HorizontalPodAutoscaler"
)
SCALED_OBJECTS: Final = Resource(
    group="keda.sh", version="v1alpha1", plural="scaledobjects", kind="ScaledObject"
)
TRIGGER_AUTHENTICATIONS: Final = Resource(
    group="keda.sh", version="v1alpha1", plural="triggerauthentications", kind="TriggerAuthentication"
)
CRDS: Final = Resource(
    group="apiextensions.k8s.io",
    version="v1",
    plural="customresourcedefinitions",
    kind="CustomResourceDefinition",
    namespaced=False,
)
SCALED_OBJECT_CRD: Final = f"{SCALED_OBJECTS.plural}.{SCALED_OBJECTS.group}"

WORKLOADS: Final = {"Deployment": DEPLOYMENTS, "StatefulSet": STATEFULSETS}
