"""Simulated KEDA: ScaledObjects are checked like KEDA checks them, and queue depth drives the replicas."""

from __future__ import annotations

import base64
from typing import Any

import aio_pika
import pytest
from kubernetes_asyncio.client import AppsV1Api, AutoscalingV2Api, CoreV1Api, CustomObjectsApi

from tests.kubeapi.server import KubeAPI
from tests.kubeapi.sim.cluster import SimulatedCluster
from tests.kubeapi.testing import eventually
from tests.services.rabbitmq import VirtualHost
from tests.sim.helpers import condition, create_deployment, deployment

NS = "default"
BEHAVIOR = {
    "scaleDown": {
        "stabilizationWindowSeconds": 300,
        "selectPolicy": "Max",
        "policies": [{"type": "Pods", "value": 1, "periodSeconds": 60}],
    },
    "scaleUp": {
        "stabilizationWindowSeconds": 0,
        "selectPolicy": "Max",
        "policies": [
            {"type": "Pods", "value": 10, "periodSeconds": 60},
            {"type": "Percent", "value": 100, "periodSeconds": 60},
        ],
    },
}


def rabbitmq_scaled_object(
    name: str, *, maximum: int = 10, restore: bool = False, **metadata: str
) -> dict[str, Any]:
    return {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "ScaledObject",
        "metadata": {"name": name},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
            "minReplicaCount": 0,
            "maxReplicaCount": maximum,
            "pollingInterval": 10,
            "cooldownPeriod": 60,
            "advanced": {
                "restoreToOriginalReplicaCount": restore,
                "horizontalPodAutoscalerConfig": {"behavior": BEHAVIOR},
            },
            "triggers": [
                {
                    "type": "rabbitmq",
                    "name": "queue",
                    "metadata": {
                        "queueName": f"asya-{name}",
                        "mode": "QueueLength",
                        "value": "5",
                        "protocol": "amqp",
                        **metadata,
                    },
                    "authenticationRef": {"name": f"{name}-trigger-auth"},
                }
            ],
        },
    }


async def rabbitmq_auth(client: Any, name: str, host: str = "amqp://127.0.0.1:1/") -> None:
    """A Secret and TriggerAuthentication giving KEDA the broker's address and credentials (by default an
    address nothing listens on: tests that set the depth themselves never reach a broker)."""
    data = {"host": host, "username": "guest", "password": "guest"}
    secret = {
        "metadata": {"name": f"{name}-rmq"},
        "data": {k: base64.b64encode(v.encode()).decode() for k, v in data.items()},
    }
    await CoreV1Api(client).create_namespaced_secret(NS, secret)
    auth = {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "TriggerAuthentication",
        "metadata": {"name": f"{name}-trigger-auth"},
        "spec": {"secretTargetRef": [{"parameter": p, "name": f"{name}-rmq", "key": p} for p in data]},
    }
    await CustomObjectsApi(client).create_namespaced_custom_object(
        "keda.sh", "v1alpha1", NS, "triggerauthentications", auth
    )


async def create_scaled_object(client: Any, body: dict[str, Any]) -> None:
    await CustomObjectsApi(client).create_namespaced_custom_object(
        "keda.sh", "v1alpha1", NS, "scaledobjects", body
    )


async def read_scaled_object(client: Any, name: str) -> dict[str, Any]:
    return await CustomObjectsApi(client).get_namespaced_custom_object(
        "keda.sh", "v1alpha1", NS, "scaledobjects", name
    )  # type: ignore[no-any-return]


def so_condition(so: dict[str, Any], kind: str) -> dict[str, Any]:
    found = next((c for c in (so.get("status") or {}).get("conditions") or [] if c["type"] == kind), None)
    assert found is not None, f"no {kind} condition yet"
    return found


async def replicas(client: Any, name: str) -> int:
    return int((await AppsV1Api(client).read_namespaced_deployment(name, NS)).spec.replicas)


async def test_queue_of_23_with_target_5_drives_the_deployment_to_5(
    cluster: SimulatedCluster, kubeapi: KubeAPI
) -> None:
    async with kubeapi.api_client() as client:
        cluster.queues.set("asya-echo", 23)
        await create_deployment(client, NS, deployment("echo", 1))
        await rabbitmq_auth(client, "echo")
        await create_scaled_object(client, rabbitmq_scaled_object("echo"))

        async def five() -> None:
            assert await replicas(client, "echo") == 5
            hpa = await AutoscalingV2Api(client).read_namespaced_horizontal_pod_autoscaler(
                "keda-hpa-echo", NS
            )
            assert hpa.status.desired_replicas == 5

        await eventually(five)
        so = await read_scaled_object(client, "echo")
        assert so_condition(so, "Ready") == {
            "type": "Ready",
            "status": "True",
            "reason": "ScaledObjectReady",
            "message": "ScaledObject is defined correctly and is ready for scaling",
        }
        assert so_condition(so, "Active")["status"] == "True"
        assert so["status"]["hpaName"] == "keda-hpa-echo"
        assert so["status"]["originalReplicaCount"] == 1
        assert so["metadata"]["labels"]["scaledobject.keda.sh/name"] == "echo"
        assert "finalizer.keda.sh" in so["metadata"]["finalizers"]
        hpa = await AutoscalingV2Api(client).read_namespaced_horizontal_pod_autoscaler("keda-hpa-echo", NS)
        assert hpa.metadata.owner_references[0].uid == so["metadata"]["uid"]
        assert hpa.spec.metrics[0].external.metric.name == "s0-rabbitmq-asya-echo"
        assert hpa.spec.metrics[0].external.target.average_value == "5"
        assert (hpa.spec.min_replicas, hpa.spec.max_replicas) == (1, 10)


async def test_max_replica_count_bounds_the_scale_up(cluster: SimulatedCluster, kubeapi: KubeAPI) -> None:
    async with kubeapi.api_client() as client:
        cluster.queues.set("asya-capped", 23)
        await create_deployment(client, NS, deployment("capped", 1))
        await rabbitmq_auth(client, "capped")
        await create_scaled_object(client, rabbitmq_scaled_object("capped", maximum=3))

        async def three() -> None:
            assert await replicas(client, "capped") == 3
            hpa = await AutoscalingV2Api(client).read_namespaced_horizontal_pod_autoscaler(
                "keda-hpa-capped", NS
            )
            limited = condition(hpa, "ScalingLimited")
            assert (limited.status, limited.reason) == ("True", "TooManyReplicas")

        await eventually(three)


async def test_an_empty_queue_scales_to_zero_after_the_cooldown_and_activation_brings_one_back(
    cluster: SimulatedCluster, kubeapi: KubeAPI
) -> None:
    async with kubeapi.api_client() as client:
        cluster.queues.set("asya-idle", 3)
        await create_deployment(client, NS, deployment("idle", 1))
        await rabbitmq_auth(client, "idle")
        await create_scaled_object(client, rabbitmq_scaled_object("idle"))

        async def active() -> None:
            assert so_condition(await read_scaled_object(client, "idle"), "Active")["status"] == "True"

        await eventually(active)
        cluster.queues.set("asya-idle", 0)

        async def zero() -> None:
            assert await replicas(client, "idle") == 0
            so = await read_scaled_object(client, "idle")
            assert so_condition(so, "Active")["reason"] == "ScalerNotActive"
            hpa = await AutoscalingV2Api(client).read_namespaced_horizontal_pod_autoscaler(
                "keda-hpa-idle", NS
            )
            scaling = condition(hpa, "ScalingActive")
            assert (scaling.status, scaling.reason) == ("False", "ScalingDisabled")

        await eventually(zero)
        cluster.queues.set("asya-idle", 1)

        async def one() -> None:
            assert await replicas(client, "idle") == 1

        await eventually(one)


async def test_an_unknown_trigger_key_makes_the_scaled_object_not_ready(
    cluster: SimulatedCluster, kubeapi: KubeAPI
) -> None:
    async with kubeapi.api_client() as client:
        await create_deployment(client, NS, deployment("typo", 1))
        await rabbitmq_auth(client, "typo")
        await create_scaled_object(client, rabbitmq_scaled_object("typo", queueNmae="x"))

        async def not_ready() -> None:
            ready = so_condition(await read_scaled_object(client, "typo"), "Ready")
            assert (ready["status"], ready["reason"]) == ("False", "ScaledObjectCheckFailed")
            assert ready["message"] == (
                "failed to ensure HPA is correctly created for ScaledObject: "
                "error parsing rabbitmq metadata: unknown parameter 'queueNmae' in triggerMetadata"
            )

        await eventually(not_ready)
        hpas = await AutoscalingV2Api(client).list_namespaced_horizontal_pod_autoscaler(NS)
        assert hpas.items == []


async def test_deleting_the_scaled_object_restores_the_original_replica_count(
    cluster: SimulatedCluster, kubeapi: KubeAPI
) -> None:
    async with kubeapi.api_client() as client:
        cluster.queues.set("asya-restore", 0)
        await create_deployment(client, NS, deployment("restore", 2))
        await rabbitmq_auth(client, "restore")
        await create_scaled_object(client, rabbitmq_scaled_object("restore", restore=True))

        async def zero() -> None:
            assert await replicas(client, "restore") == 0

        await eventually(zero)
        await CustomObjectsApi(client).delete_namespaced_custom_object(
            "keda.sh", "v1alpha1", NS, "scaledobjects", "restore"
        )

        async def restored() -> None:
            assert await replicas(client, "restore") == 2
            hpas = await AutoscalingV2Api(client).list_namespaced_horizontal_pod_autoscaler(NS)
            assert hpas.items == []
            objects = await CustomObjectsApi(client).list_namespaced_custom_object(
                "keda.sh", "v1alpha1", NS, "scaledobjects"
            )
            assert objects["items"] == []

        await eventually(restored)


async def test_depth_is_read_from_a_real_sqs_queue(
    cluster: SimulatedCluster, kubeapi: KubeAPI, sqs_endpoint: str
) -> None:
    from aiobotocore.session import get_session

    async with get_session().create_client(
        "sqs",
        region_name="us-east-1",
        endpoint_url=sqs_endpoint,
        aws_access_key_id="k",
        aws_secret_access_key="s",
    ) as sqs:
        url = (await sqs.create_queue(QueueName="asya-sqsecho"))["QueueUrl"]
        for index in range(23):
            await sqs.send_message(QueueUrl=url, MessageBody=str(index))
    async with kubeapi.api_client() as client:
        await create_deployment(client, NS, deployment("sqsecho", 1))
        keys = {"awsAccessKeyID": "k", "awsSecretAccessKey": "s"}
        secret = {
            "metadata": {"name": "aws"},
            "data": {k: base64.b64encode(v.encode()).decode() for k, v in keys.items()},
        }
        await CoreV1Api(client).create_namespaced_secret(NS, secret)
        auth = {
            "apiVersion": "keda.sh/v1alpha1",
            "kind": "TriggerAuthentication",
            "metadata": {"name": "sqsecho-trigger-auth"},
            "spec": {"secretTargetRef": [{"parameter": k, "name": "aws", "key": k} for k in keys]},
        }
        await CustomObjectsApi(client).create_namespaced_custom_object(
            "keda.sh", "v1alpha1", NS, "triggerauthentications", auth
        )
        body = rabbitmq_scaled_object("sqsecho")
        body["spec"]["triggers"] = [
            {
                "type": "aws-sqs-queue",
                "name": "queue",
                "metadata": {
                    "queueURL": url,
                    "queueLength": "5",
                    "awsRegion": "us-east-1",
                    "awsEndpoint": sqs_endpoint,
                },
                "authenticationRef": {"name": "sqsecho-trigger-auth"},
            }
        ]
        await create_scaled_object(client, body)

        async def five() -> None:
            assert await replicas(client, "sqsecho") == 5

        await eventually(five)


async def publish(vhost: VirtualHost, queue: str, count: int) -> None:
    connection = await aio_pika.connect(vhost.amqp_url, timeout=10)
    async with connection:
        channel = await connection.channel()
        await channel.declare_queue(queue, durable=True)
        for index in range(count):
            await channel.default_exchange.publish(aio_pika.Message(str(index).encode()), routing_key=queue)


@pytest.mark.parametrize("protocol", ["amqp", "http"])
async def test_depth_is_read_from_a_real_rabbitmq_queue(
    cluster: SimulatedCluster, kubeapi: KubeAPI, rabbitmq_vhost: VirtualHost, protocol: str
) -> None:
    """KEDA's passive declare (amqp) or management API request (http) sees the 23 messages."""
    await publish(rabbitmq_vhost, "asya-rmq", 23)
    node = rabbitmq_vhost.node
    host = node.amqp_url if protocol == "amqp" else node.management_url + "/"
    async with kubeapi.api_client() as client:
        await create_deployment(client, NS, deployment("rmq", 1))
        await rabbitmq_auth(client, "rmq", host)
        body = rabbitmq_scaled_object("rmq", protocol=protocol, vhostName=rabbitmq_vhost.name)
        await create_scaled_object(client, body)

        async def five() -> None:
            assert await replicas(client, "rmq") == 5

        # the management API's statistics lag a few seconds behind the queue
        await eventually(five, within=30)
