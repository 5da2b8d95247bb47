"""The deployment manifests (``kubectl apply -k manifests``) against the emulator, through kubectl."""

from __future__ import annotations

import json
from pathlib import Path

from tests.kubectl import Kubectl

MANIFESTS = Path(__file__).resolve().parents[2] / "manifests"


async def test_the_manifests_apply_server_side_and_bind_the_controllers_role(kubectl: Kubectl) -> None:
    out = await kubectl("apply", "--server-side", "-k", str(MANIFESTS))
    for applied in (
        "customresourcedefinition.apiextensions.k8s.io/asyncactors.asya.sh",
        "clusterrole.rbac.authorization.k8s.io/asya-controller",
        "deployment.apps/asya-controller",
    ):
        assert f"{applied} serverside-applied" in out
    binding = json.loads(await kubectl("get", "clusterrolebinding", "asya-controller", "-o", "json"))
    assert binding["roleRef"]["name"] == "asya-controller"
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "asya-controller", "namespace": "asya-system"}
    ]
