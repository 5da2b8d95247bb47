"""Names of the AsyncActor resource and of what the controller creates for it.

Every name here is part of the contract with users, with the Asya sidecar and runtime images, and with
dashboards; the values marked compatible in the contract must never change.
"""

from __future__ import annotations

from typing import Final

GROUP: Final = "asya.sh"
VERSION: Final = "v1alpha1"
API_VERSION: Final = f"{GROUP}/{VERSION}"
KIND: Final = "AsyncActor"
LIST_KIND: Final = "AsyncActorList"
PLURAL: Final = "asyncactors"
SINGULAR: Final = "asyncactor"
SHORT_NAMES: Final = ("asya", "asyas", "asyncactor")
CATEGORIES: Final = ("asya",)
CRD_NAME: Final = f"{PLURAL}.{GROUP}"

FIELD_MANAGER: Final = "asya-controller"
FINALIZER: Final = "asya.sh/finalizer"
CONTROLLER_NAME: Final = "asyncactor"

RUNTIME_CONTAINER: Final = "asya-runtime"
SIDECAR_CONTAINER: Final = "asya-sidecar"
RUNTIME_CONFIGMAP: Final = "asya-runtime"
RUNTIME_CONFIGMAP_KEY: Final = "asya_runtime.py"
RESERVED_VOLUMES: Final = ("socket-dir", "tmp", "asya-runtime")

LABEL_MANAGED_BY: Final = "app.kubernetes.io/managed-by"
LABEL_APP: Final = "app"
LABEL_ASYA: Final = "asya.sh/asya"
LABEL_WORKLOAD: Final = "asya.sh/workload"
LABEL_ACTOR: Final = "asya.sh/actor"

END_ACTORS: Final = ("happy-end", "error-end")
MAX_NAME_LENGTH: Final = 63
