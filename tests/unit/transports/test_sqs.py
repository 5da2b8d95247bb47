"""SQSTransport against moto's SQS server (in-process, reset before each test)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiobotocore.session import AioSession, get_session
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError

from controller.transports.base import ActorRef, QueueMetrics, Reason, TransportError
from controller.transports.config import SQSConfig
from controller.transports.sqs import SQSTransport, attribute_changes, desired_tags, error_code, tag_changes
from tests.services.moto import ACCOUNT_ID, REGION
from tests.services.network import free_port
from tests.services.secrets import DictSecrets

NS = "team-a"
ACTOR = ActorRef(name="image-resizer", namespace=NS, processing_timeout=300)
MakeTransport = Callable[..., SQSTransport]


def config_for(endpoint: str, **overrides: Any) -> SQSConfig:
    document = {
        "region": REGION,
        "accountId": ACCOUNT_ID,
        "endpoint": endpoint,
        "credentials": {
            "accessKeyIdSecretRef": {"name": "aws", "key": "id"},
            "secretAccessKeySecretRef": {"name": "aws", "key": "secret"},
        },
        "tags": {"team": "imaging"},
    }
    return SQSConfig.model_validate(document | overrides)


@pytest.fixture
def secrets() -> DictSecrets:
    return DictSecrets({(NS, "aws"): {"id": "AKIDTEAMA", "secret": "team-a-secret"}})


@pytest.fixture
async def make_transport(sqs_endpoint: str, secrets: DictSecrets) -> AsyncIterator[MakeTransport]:
    made: list[SQSTransport] = []

    def make(
        *, manage_queues: bool = True, timeout: float = 10.0, session: AioSession | None = None, **config: Any
    ) -> SQSTransport:
        """A transport on the moto endpoint; ``config`` overrides fields of its configuration (camelCase)."""
        transport = SQSTransport(
            "queues",
            config_for(sqs_endpoint, **config),
            secrets=secrets,
            manage_queues=manage_queues,
            timeout=timeout,
            session=session,
        )
        made.append(transport)
        return transport

    yield make
    for transport in made:
        await transport.aclose()


@pytest.fixture
async def sqs(sqs_endpoint: str) -> AsyncIterator[Any]:
    """An independent client, to set up and inspect queues."""
    async with get_session().create_client(
        "sqs", region_name=REGION, endpoint_url=sqs_endpoint, aws_access_key_id="x", aws_secret_access_key="y"
    ) as client:
        yield client


async def attributes(sqs: Any, url: str) -> dict[str, str]:
    response = await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])
    return dict(response["Attributes"])


async def tags(sqs: Any, url: str) -> dict[str, str]:
    return dict((await sqs.list_queue_tags(QueueUrl=url)).get("Tags") or {})


# --- ensure -------------------------------------------------------------------------------------------------


async def test_ensure_creates_queue_with_attributes_tags_and_redrive(
    make_transport: MakeTransport, sqs: Any
) -> None:
    transport = make_transport(queues={"autoCreate": True, "dlq": {"enabled": True, "maxRetryCount": 4}})

    result = await transport.ensure_queue(ACTOR)

    assert result.created is True
    assert result.address.endswith(f"/{ACCOUNT_ID}/asya-image-resizer")
    queue = await attributes(sqs, result.address)
    assert queue["VisibilityTimeout"] == "600"  # twice timeout.processing
    assert queue["MessageRetentionPeriod"] == "345600"
    dlq_url = (await sqs.get_queue_url(QueueName="asya-dlq"))["QueueUrl"]
    dlq = await attributes(sqs, dlq_url)
    assert json.loads(queue["RedrivePolicy"]) == {
        "deadLetterTargetArn": dlq["QueueArn"],
        "maxReceiveCount": 4,
    }
    assert dlq["MessageRetentionPeriod"] == str(14 * 86400)
    assert await tags(sqs, dlq_url) == {"asya.sh/type": "dlq"}
    assert await tags(sqs, result.address) == {
        "team": "imaging",
        "asya.sh/actor": "image-resizer",
        "asya.sh/namespace": NS,
    }


async def test_without_dlq_there_is_no_redrive_and_no_shared_dlq(
    make_transport: MakeTransport, sqs: Any
) -> None:
    result = await make_transport(visibilityTimeout=45).ensure_queue(ACTOR)

    queue = await attributes(sqs, result.address)
    assert queue["VisibilityTimeout"] == "45"
    assert "RedrivePolicy" not in queue
    assert [u.rsplit("/", 1)[1] for u in (await sqs.list_queues()).get("QueueUrls", [])] == [
        "asya-image-resizer"
    ]


async def test_drift_is_repaired_in_place_and_messages_survive(
    make_transport: MakeTransport, sqs: Any
) -> None:
    transport = make_transport(queues={"autoCreate": True, "dlq": {"enabled": True}})
    url = (await transport.ensure_queue(ACTOR)).address
    for body in ("one", "two"):
        await sqs.send_message(QueueUrl=url, MessageBody=body)
    created_at = (await attributes(sqs, url))["CreatedTimestamp"]
    await sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "99", "RedrivePolicy": ""})
    await sqs.untag_queue(QueueUrl=url, TagKeys=["team"])
    await sqs.tag_queue(QueueUrl=url, Tags={"cost-centre": "42"})

    result = await transport.ensure_queue(ACTOR)

    assert (result.created, result.address) == (False, url)
    queue = await attributes(sqs, url)
    assert queue["VisibilityTimeout"] == "600"
    assert json.loads(queue["RedrivePolicy"])["maxReceiveCount"] == 3
    assert queue["CreatedTimestamp"] == created_at  # the same queue, not a new one
    assert queue["ApproximateNumberOfMessages"] == "2"
    assert (await tags(sqs, url))["team"] == "imaging"
    assert (await tags(sqs, url))["cost-centre"] == "42"  # a tag we do not own is left alone


async def test_redrive_is_removed_when_the_dlq_is_disabled(make_transport: MakeTransport, sqs: Any) -> None:
    url = (
        await make_transport(queues={"autoCreate": True, "dlq": {"enabled": True}}).ensure_queue(ACTOR)
    ).address

    await make_transport().ensure_queue(ACTOR)

    assert "RedrivePolicy" not in await attributes(sqs, url)


async def test_a_queue_of_another_namespace_is_left_alone(make_transport: MakeTransport, sqs: Any) -> None:
    url = (
        await sqs.create_queue(
            QueueName="asya-image-resizer",
            Attributes={"VisibilityTimeout": "99"},
            tags={"asya.sh/namespace": "team-b", "asya.sh/actor": "image-resizer"},
        )
    )["QueueUrl"]
    transport = make_transport()

    with pytest.raises(TransportError) as caught:
        await transport.ensure_queue(ACTOR)
    assert caught.value.reason is Reason.QUEUE_OWNED_BY_OTHER_NAMESPACE
    assert "'team-b'" in caught.value.message
    assert (await attributes(sqs, url))["VisibilityTimeout"] == "99"

    with pytest.raises(TransportError) as caught:
        await transport.delete_queue(ACTOR)
    assert caught.value.reason is Reason.QUEUE_OWNED_BY_OTHER_NAMESPACE
    assert (await sqs.get_queue_url(QueueName="asya-image-resizer"))["QueueUrl"] == url


async def test_an_untagged_queue_of_the_right_name_is_adopted(
    make_transport: MakeTransport, sqs: Any
) -> None:
    url = (await sqs.create_queue(QueueName="asya-image-resizer"))["QueueUrl"]

    result = await make_transport().ensure_queue(ACTOR)

    assert (result.created, result.address) == (False, url)
    assert (await tags(sqs, url))["asya.sh/namespace"] == NS


async def test_without_auto_create_ensure_only_verifies(make_transport: MakeTransport, sqs: Any) -> None:
    transport = make_transport(queues={"dlq": {"enabled": True}})  # a queues block without autoCreate

    with pytest.raises(TransportError) as caught:
        await transport.ensure_queue(ACTOR)
    assert caught.value.reason is Reason.QUEUE_NOT_FOUND
    assert (await sqs.list_queues()).get("QueueUrls", []) == []

    url = (await sqs.create_queue(QueueName="asya-image-resizer", Attributes={"VisibilityTimeout": "7"}))[
        "QueueUrl"
    ]
    assert (await transport.ensure_queue(ACTOR)).created is False
    assert (await attributes(sqs, url))["VisibilityTimeout"] == "7"  # verified, not repaired


async def test_disabled_queue_management_creates_and_deletes_nothing(
    make_transport: MakeTransport, sqs: Any
) -> None:
    transport = make_transport(manage_queues=False)

    with pytest.raises(TransportError) as caught:
        await transport.ensure_queue(ACTOR)
    assert caught.value.reason is Reason.QUEUE_NOT_FOUND
    assert "ASYA_DISABLE_QUEUE_MANAGEMENT" in caught.value.message

    await sqs.create_queue(QueueName="asya-image-resizer")
    assert await transport.delete_queue(ACTOR) is False
    assert await transport.queue_exists(ACTOR) is True


async def test_queue_deleted_recently_is_surfaced_with_retry_after(make_transport: MakeTransport) -> None:
    """moto never answers QueueDeletedRecently, so the test injects SQS's answer at the client boundary.

    A ``before-call`` hook on the botocore session (botocore's own stubbing mechanism) answers CreateQueue
    with the error SQS sends within 60 s of a deletion; everything above the HTTP exchange runs for real.
    """
    session = get_session()

    def deleted_recently(**_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        error = {
            "Code": "AWS.SimpleQueueService.QueueDeletedRecently",
            "QueryErrorCode": "QueueDeletedRecently",
            "Type": "Sender",
            "Message": "You must wait 60 seconds after deleting a queue before you can create another "
            "with the same name.",
        }
        return AWSResponse("", 400, {}, None), {"Error": error, "ResponseMetadata": {"HTTPStatusCode": 400}}

    session.register("before-call.sqs.CreateQueue", deleted_recently)
    transport = make_transport(session=session)

    with pytest.raises(TransportError) as caught:
        await transport.ensure_queue(ACTOR)

    assert caught.value.reason is Reason.QUEUE_DELETED_RECENTLY
    assert caught.value.retry_after == 65
    assert "asya-image-resizer" in caught.value.message


# --- metrics, exists, delete --------------------------------------------------------------------------------


async def test_metrics_from_the_approximate_counters(make_transport: MakeTransport, sqs: Any) -> None:
    transport = make_transport()
    url = (await transport.ensure_queue(ACTOR)).address
    for body in ("a", "b", "c"):
        await sqs.send_message(QueueUrl=url, MessageBody=body)
    received = await sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1)
    assert len(received["Messages"]) == 1

    assert await transport.queue_metrics(ACTOR) == QueueMetrics(queued=2, processing=1)


async def test_metrics_of_a_missing_queue_is_queue_not_found(make_transport: MakeTransport) -> None:
    with pytest.raises(TransportError) as caught:
        await make_transport().queue_metrics(ACTOR)
    assert caught.value.reason is Reason.QUEUE_NOT_FOUND


async def test_delete_removes_the_queue_and_keeps_the_shared_dlq(
    make_transport: MakeTransport, sqs: Any
) -> None:
    transport = make_transport(queues={"autoCreate": True, "dlq": {"enabled": True}})
    url = (await transport.ensure_queue(ACTOR)).address
    await sqs.send_message(QueueUrl=url, MessageBody="pending")

    assert await transport.delete_queue(ACTOR) is True

    assert await transport.queue_exists(ACTOR) is False
    assert await transport.delete_queue(ACTOR) is False
    assert [u.rsplit("/", 1)[1] for u in (await sqs.list_queues()).get("QueueUrls", [])] == ["asya-dlq"]


async def test_delete_keeps_the_queue_when_deletion_is_off(make_transport: MakeTransport) -> None:
    transport = make_transport(queues={"autoCreate": True, "deleteOnActorDeletion": False})
    await transport.ensure_queue(ACTOR)

    assert await transport.delete_queue(ACTOR) is False
    assert await transport.queue_exists(ACTOR) is True


# --- credentials, clients, failures -------------------------------------------------------------------------


async def test_missing_credentials_secret_is_a_config_error(
    make_transport: MakeTransport, secrets: DictSecrets
) -> None:
    with pytest.raises(TransportError) as caught:
        await make_transport().ensure_queue(ActorRef(name="x", namespace="team-b"))

    assert caught.value.reason is Reason.SECRET_NOT_FOUND
    assert caught.value.condition_status == "Unknown"
    assert ("team-b", "aws", "id") in secrets.reads


async def test_one_client_per_credentials(make_transport: MakeTransport, secrets: DictSecrets) -> None:
    created: list[str] = []
    session = get_session()
    session.register("creating-client-class.sqs", lambda **_: created.append("sqs"))
    secrets.put("team-b", "aws", id="AKIDTEAMB", secret="team-b-secret")
    transport = make_transport(session=session)

    for actor in ("a1", "a2", "a3"):
        await transport.ensure_queue(ActorRef(name=actor, namespace=NS))
    assert len(created) == 1
    await transport.ensure_queue(ActorRef(name="b1", namespace="team-b"))
    assert len(created) == 2

    await transport.aclose()
    assert await transport.queue_exists(ActorRef(name="a1", namespace=NS)) is True  # a new client after close
    assert len(created) == 3


async def test_unreachable_endpoint_is_broker_unavailable(secrets: DictSecrets) -> None:
    config = config_for(f"http://127.0.0.1:{free_port()}")
    transport = SQSTransport("queues", config, secrets=secrets, timeout=3.0)
    try:
        async with asyncio.timeout(3.0 + 10):  # the call ends by its own bound, never hangs
            with pytest.raises(TransportError) as caught:
                await transport.ensure_queue(ACTOR)
    finally:
        await transport.aclose()
    assert caught.value.reason is Reason.BROKER_UNAVAILABLE
    assert "unreachable" in caught.value.message or "did not answer" in caught.value.message


# --- desired state (pure) -----------------------------------------------------------------------------------


def test_redrive_policy_is_compared_by_meaning() -> None:
    current = {
        "RedrivePolicy": '{"deadLetterTargetArn": "arn:q", "maxReceiveCount": 3}',
        "VisibilityTimeout": "60",
    }
    desired = {"RedrivePolicy": json.dumps({"deadLetterTargetArn": "arn:q", "maxReceiveCount": "3"})}
    assert attribute_changes(current, desired) == {}
    assert attribute_changes(
        current, {"RedrivePolicy": '{"deadLetterTargetArn": "arn:q", "maxReceiveCount": 4}'}
    )


def test_only_differing_attributes_are_sent_and_an_unwanted_redrive_is_removed() -> None:
    current = {"VisibilityTimeout": "60", "MessageRetentionPeriod": "345600", "RedrivePolicy": "{}"}
    desired = {"VisibilityTimeout": "600", "MessageRetentionPeriod": "345600"}
    assert attribute_changes(current, desired) == {"VisibilityTimeout": "600", "RedrivePolicy": ""}


def test_tag_changes_only_add_or_fix_our_tags() -> None:
    assert tag_changes({"a": "1", "b": "2", "other": "x"}, {"a": "1", "b": "3", "c": "4"}) == {
        "b": "3",
        "c": "4",
    }


def test_desired_tags_put_ours_last() -> None:
    config = SQSConfig.model_validate({"region": REGION, "accountId": ACCOUNT_ID, "tags": {"team": "a"}})
    assert desired_tags(config, ACTOR) == {
        "team": "a",
        "asya.sh/actor": "image-resizer",
        "asya.sh/namespace": NS,
    }


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (
            {"Code": "AWS.SimpleQueueService.NonExistentQueue", "QueryErrorCode": "QueueDoesNotExist"},
            "QueueDoesNotExist",
        ),
        ({"Code": "AWS.SimpleQueueService.QueueDeletedRecently"}, "QueueDeletedRecently"),
        ({"Code": "InvalidClientTokenId"}, "InvalidClientTokenId"),
    ],
)
def test_error_code_reads_either_spelling(error: dict[str, str], code: str) -> None:
    assert error_code(ClientError({"Error": error}, "GetQueueUrl")) == code
