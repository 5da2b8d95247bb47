"""End to end: an actor on the SQS transport, with moto as SQS, the real controller and the simulated cluster.

The queue is created with its attributes, dead-letter redrive and tags; with ``actorRoleArn`` the pods run
under the IRSA ServiceAccount the controller creates; KEDA's trigger reads the queue at moto, so messages sent
to SQS wake a napping actor; deleting the actor deletes its queue.
"""

from __future__ import annotations

import json
from typing import Any

from aiobotocore.session import get_session

from controller.actor import resources as r
from tests.integration.actor.harness import condition, create, create_secret, status_of, transport_env
from tests.integration.actor.scenario import scenario_actor, stage, wait_for
from tests.services.moto import ACCOUNT_ID, REGION
from tests.services.polling import eventually

ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/asya-actors"
KEDA = {"minReplicas": 0, "maxReplicas": 5, "queueLength": 5, "pollingInterval": 30, "cooldownPeriod": 60}


def sqs_transport(endpoint: str) -> dict[str, Any]:
    return {
        "sqs": {
            "type": "sqs",
            "config": {
                "region": REGION,
                "accountId": ACCOUNT_ID,
                "endpoint": endpoint,
                "actorRoleArn": ROLE,
                "credentials": {
                    "accessKeyIdSecretRef": {"name": "aws-credentials", "key": "id"},
                    "secretAccessKeySecretRef": {"name": "aws-credentials", "key": "secret"},
                },
                "tags": {"team": "ml"},
                "queues": {"autoCreate": True, "dlq": {"enabled": True}},
            },
        }
    }


async def test_an_sqs_actor_gets_its_queue_irsa_and_keda_and_loses_its_queue_on_deletion(
    sqs_endpoint: str,
) -> None:
    async with (
        stage(env=transport_env(sqs_transport(sqs_endpoint))) as scene,
        get_session().create_client(
            "sqs",
            region_name=REGION,
            endpoint_url=sqs_endpoint,
            aws_access_key_id="test",
            aws_secret_access_key="test",
        ) as sqs,
    ):
        ns = await scene.namespace("sqs", credentials=False)
        await create_secret(scene.kube, "aws-credentials", namespace=ns, id="AKIDEXAMPLE", secret="s3cr3t")
        body = scenario_actor("ocr", ns, transport="sqs", scaling=KEDA, timeout={"processing": 60})
        await create(scene.kube, body)
        napping = await wait_for(scene.kube, ns, "ocr", "Napping")
        assert condition(napping, "TransportReady")["status"] == "True"

        url = (await sqs.get_queue_url(QueueName="asya-ocr"))["QueueUrl"]
        attributes = (await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"]))["Attributes"]
        assert attributes["VisibilityTimeout"] == "120"  # twice the processing timeout
        assert attributes["MessageRetentionPeriod"] == "345600"
        assert json.loads(attributes["RedrivePolicy"])["deadLetterTargetArn"].endswith(":asya-dlq")
        tags = (await sqs.list_queue_tags(QueueUrl=url))["Tags"]
        assert tags == {"asya.sh/actor": "ocr", "asya.sh/namespace": ns, "team": "ml"}

        account = await scene.get(r.SERVICE_ACCOUNTS, ns, "asya-ocr")
        assert account is not None
        assert account["metadata"]["annotations"]["eks.amazonaws.com/role-arn"] == ROLE
        deployment = await scene.get(r.DEPLOYMENTS, ns, "ocr")
        assert deployment is not None
        assert deployment["spec"]["template"]["spec"]["serviceAccountName"] == "asya-ocr"
        scaled_object = await scene.get(r.SCALED_OBJECTS, ns, "ocr")
        assert scaled_object is not None
        trigger = scaled_object["spec"]["triggers"][0]
        assert trigger["type"] == "aws-sqs-queue"
        assert trigger["metadata"]["queueURL"] == f"{sqs_endpoint}/{ACCOUNT_ID}/asya-ocr"
        assert trigger["metadata"]["awsEndpoint"] == sqs_endpoint
        auth = await scene.get(r.TRIGGER_AUTHENTICATIONS, ns, "ocr-trigger-auth")
        assert auth is not None
        assert auth["spec"]["podIdentity"]["provider"] == "aws"

        for index in range(12):
            await sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"payload": index}))
        # KEDA wakes it to 1 replica, the HPA takes it on: 12 messages, 5 per replica.
        woken = await eventually(
            lambda: status_of(scene.kube, "ocr", ns),
            lambda s: s.get("status") == "Running" and s.get("replicas") == 3,
            within=30,
        )
        assert woken["desiredReplicas"] == 3
        pods = await scene.kube.request(
            "GET", r.PODS.path(namespace=ns), query={"labelSelector": "asya.sh/asya=ocr"}
        )
        assert {p["spec"]["serviceAccountName"] for p in pods["items"]} == {"asya-ocr"}

        await scene.kube.request("DELETE", r.ASYNC_ACTORS.path(namespace=ns, name="ocr"))
        await eventually(lambda: scene.get(r.ASYNC_ACTORS, ns, "ocr"), lambda obj: obj is None)
        listed = await sqs.list_queues(QueueNamePrefix="asya-ocr")
        assert "QueueUrls" not in listed
        assert await scene.get(r.SERVICE_ACCOUNTS, ns, "asya-ocr") is None


async def test_an_sqs_actor_whose_queue_another_namespace_owns_is_refused_and_gets_no_workload(
    sqs_endpoint: str,
) -> None:
    async with stage(env=transport_env(sqs_transport(sqs_endpoint))) as scene:
        namespaces = []
        for name in ("sqs-owner", "sqs-late"):
            ns = await scene.namespace(name, credentials=False)
            await create_secret(
                scene.kube, "aws-credentials", namespace=ns, id="AKIDEXAMPLE", secret="s3cr3t"
            )
            namespaces.append(ns)
        owner, late = namespaces
        await create(scene.kube, scenario_actor("ledger", owner, transport="sqs", scaling=KEDA))
        await wait_for(scene.kube, owner, "ledger", "Napping")
        await create(scene.kube, scenario_actor("ledger", late, transport="sqs", scaling=KEDA))
        refused = await wait_for(scene.kube, late, "ledger", "TransportError")
        transport = condition(refused, "TransportReady")
        assert (transport["status"], transport["reason"]) == ("False", "QueueOwnedByOtherNamespace")
        assert await scene.get(r.DEPLOYMENTS, late, "ledger") is None
        assert await scene.get(r.SCALED_OBJECTS, late, "ledger") is None
