"""The complete set of objects wanted for an actor, and who owns spec.replicas."""

from __future__ import annotations

from typing import Any

from controller.actor.desired import desired_objects, replicas_plan
from controller.actor.workload import Actor
from controller.api.models import AsyncActorSpec
from controller.transports import TransportRegistry, parse_transports
from tests.services.secrets import DictSecrets

ACTOR = Actor(name="resizer", namespace="media", uid="uid-1")
RABBIT = {
    "type": "rabbitmq",
    "config": {"host": "rmq", "passwordSecretRef": {"name": "rmq", "key": "password"}},
}
SQS_IRSA = {
    "type": "sqs",
    "config": {
        "region": "eu-west-1",
        "accountId": "123456789012",
        "actorRoleArn": "arn:aws:iam::123456789012:role/asya-actors",
    },
}


def registry(**transports: Any) -> TransportRegistry:
    return TransportRegistry(parse_transports({"transports": transports}), secrets=DictSecrets({}))


def spec(
    *, scaling: bool = False, kind: str = "Deployment", replicas: int = 2, transport: str = "rabbit"
) -> AsyncActorSpec:
    return AsyncActorSpec.model_validate(
        {
            "transport": transport,
            "scaling": {"enabled": scaling},
            "workload": {
                "kind": kind,
                "replicas": replicas,
                "template": {"spec": {"containers": [{"name": "asya-runtime", "image": "python:3.13"}]}},
            },
        }
    )


def build(actor_spec: AsyncActorSpec, transports: TransportRegistry, replicas: int | None = 2) -> Any:
    return desired_objects(
        actor=ACTOR,
        spec=actor_spec,
        transport=transports.get(actor_spec.transport),
        replicas=replicas,
        sidecar_image=None,
        gateway_url=None,
        runtime_script="# runtime\n",
    )


def test_a_manual_deployment_actor_wants_workload_and_configmap_only() -> None:
    desired = build(spec(), registry(rabbit=RABBIT))
    assert desired.workload["kind"] == "Deployment"
    assert desired.workload["spec"]["replicas"] == 2
    assert desired.configmap["data"] == {"asya_runtime.py": "# runtime\n"}
    assert (
        desired.service,
        desired.scaled_object,
        desired.trigger_authentication,
        desired.service_account,
    ) == (
        None,
        None,
        None,
        None,
    )


def test_the_sidecar_gets_the_transport_env() -> None:
    desired = build(spec(), registry(rabbit=RABBIT))
    sidecar = desired.workload["spec"]["template"]["spec"]["containers"][-1]
    names = [entry["name"] for entry in sidecar["env"]]
    assert "ASYA_TRANSPORT" in names
    assert "ASYA_RABBITMQ_PASSWORD" in names
    password = next(entry for entry in sidecar["env"] if entry["name"] == "ASYA_RABBITMQ_PASSWORD")
    assert "value" not in password
    assert password["valueFrom"]["secretKeyRef"] == {"name": "rmq", "key": "password"}


def test_a_statefulset_comes_with_its_headless_service() -> None:
    desired = build(spec(kind="StatefulSet"), registry(rabbit=RABBIT))
    assert desired.service is not None
    assert desired.service["spec"]["clusterIP"] == "None"


def test_scaling_adds_an_owned_scaled_object_and_trigger_authentication() -> None:
    desired = build(spec(scaling=True), registry(rabbit=RABBIT), replicas=None)
    assert desired.scaled_object["spec"]["triggers"][0]["name"] == "queue"
    assert desired.trigger_authentication is not None
    assert desired.trigger_authentication["metadata"]["ownerReferences"][0]["uid"] == "uid-1"
    assert "replicas" not in desired.workload["spec"]


def test_sqs_with_an_actor_role_adds_an_owned_irsa_service_account() -> None:
    desired = build(spec(transport="sqs"), registry(sqs=SQS_IRSA))
    account = desired.service_account
    assert account is not None
    assert (
        account["metadata"]["annotations"]["eks.amazonaws.com/role-arn"]
        == "arn:aws:iam::123456789012:role/asya-actors"
    )
    assert account["metadata"]["ownerReferences"][0]["kind"] == "AsyncActor"


def test_the_pods_run_under_the_irsa_service_account() -> None:
    desired = build(spec(transport="sqs"), registry(sqs=SQS_IRSA))
    pod_spec = desired.workload["spec"]["template"]["spec"]
    assert pod_spec["serviceAccountName"] == desired.service_account["metadata"]["name"]


def test_a_transport_without_a_service_account_leaves_the_pods_on_the_default_one() -> None:
    desired = build(spec(), registry(rabbit=RABBIT))
    assert "serviceAccountName" not in desired.workload["spec"]["template"]["spec"]


def live(replicas: int, *managers: dict[str, Any]) -> dict[str, Any]:
    return {"metadata": {"name": "resizer", "managedFields": list(managers)}, "spec": {"replicas": replicas}}


OURS = {
    "manager": "asya-controller",
    "operation": "Apply",
    "fieldsV1": {"f:spec": {"f:replicas": {}, "f:template": {}}},
}
KEDA_SCALE = {
    "manager": "keda",
    "operation": "Update",
    "subresource": "scale",
    "fieldsV1": {"f:spec": {"f:replicas": {}}},
}


def test_manual_scaling_writes_the_spec_replicas() -> None:
    assert replicas_plan(spec(replicas=4), live(7, KEDA_SCALE)).replicas == 4


def test_autoscaling_omits_replicas_for_a_new_workload() -> None:
    plan = replicas_plan(spec(scaling=True), None)
    assert (plan.replicas, plan.handover) == (None, None)


def test_switching_to_autoscaling_hands_the_live_count_over_first() -> None:
    plan = replicas_plan(spec(scaling=True), live(3, OURS))
    assert (plan.replicas, plan.handover) == (None, 3)


def test_once_the_autoscaler_owns_replicas_there_is_nothing_to_hand_over() -> None:
    ours_without_replicas = {**OURS, "fieldsV1": {"f:spec": {"f:template": {}}}}
    plan = replicas_plan(spec(scaling=True), live(5, ours_without_replicas, KEDA_SCALE))
    assert (plan.replicas, plan.handover) == (None, None)
