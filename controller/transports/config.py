"""The operator's transport configuration (contract §6.1) and the queue-management switch.

Sources, read once at start: ``ASYA_TRANSPORT_CONFIG`` (a JSON document) or ``ASYA_TRANSPORT_CONFIG_FILE``
(the path of a YAML or JSON file, typically a mounted ConfigMap); setting both is an error, setting neither
means no transport is configured (every actor then reports ``TransportNotConfigured``). Shape::

    {"transports": {<name>: {"type": "rabbitmq" | "sqs", "enabled": true, "config": {...}}}}

Rules:
- every unknown field, at any depth, is rejected with its full path
  (``transports.main.config.queues.autoCreat: unknown field``), so that a typo cannot silently fall back to a
  default; :class:`TransportConfigError` carries all problems of the document at once;
- the name of a transport is free; it need not equal its type;
- no ``queues`` block means ``autoCreate: true``; a ``queues`` block without ``autoCreate`` means ``false``
  (queues are managed elsewhere: the controller only verifies they exist);
- a disabled transport stays known (an actor naming it is told it is disabled, not that it does not exist);
- credentials are only ever references to Secrets (read in each actor's namespace), never values; a RabbitMQ
  transport must name the Secret that holds its password.

``ASYA_DISABLE_QUEUE_MANAGEMENT``: only the exact string ``true`` disables queue management (ensure then only
verifies, delete leaves queues alone); any other value, including ``True`` or ``1``, leaves it enabled.
"""

from __future__ import annotations

import difflib
import json
import os
import types
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic.alias_generators import to_camel

ENV_CONFIG = "ASYA_TRANSPORT_CONFIG"
ENV_CONFIG_FILE = "ASYA_TRANSPORT_CONFIG_FILE"
ENV_DISABLE_QUEUE_MANAGEMENT = "ASYA_DISABLE_QUEUE_MANAGEMENT"

TransportType = Literal["rabbitmq", "sqs"]
RESERVED_TAG_PREFIX = "asya.sh/"
SQS_MAX_VISIBILITY_TIMEOUT = 43200


class TransportConfigError(ValueError):
    """The configuration cannot be used; ``problems`` lists each one with its path."""

    def __init__(self, source: str, problems: Sequence[str]) -> None:
        self.source = source
        self.problems = list(problems)
        super().__init__(
            f"invalid transport configuration ({source}):\n" + "\n".join(f"  {p}" for p in problems)
        )


class _Strict(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, extra="forbid", frozen=True)


NonEmpty = Annotated[str, Field(min_length=1)]


class SecretRef(_Strict):
    """A key of a Secret in the actor's namespace."""

    name: NonEmpty
    key: NonEmpty


# --- RabbitMQ -----------------------------------------------------------------------------------------------


class RabbitMQDLQ(_Strict):
    enabled: bool = False
    # Accepted for compatibility; classic queues have no delivery limit, retries are counted by the sidecar.
    max_retry_count: int = Field(default=3, ge=1)


class QueuesConfig(_Strict):
    """What both transport types say about queue management; each adds its own ``dlq`` block."""

    auto_create: bool = False
    delete_on_actor_deletion: bool = True


class RabbitMQQueues(QueuesConfig):
    dlq: RabbitMQDLQ = Field(default_factory=RabbitMQDLQ)


class RabbitMQConfig(_Strict):
    host: NonEmpty
    port: int = Field(default=5672, ge=1, le=65535)
    vhost: NonEmpty = "/"
    username: NonEmpty | None = None
    username_secret_ref: SecretRef | None = None
    password_secret_ref: SecretRef
    exchange: NonEmpty = "asya"
    management_url: Annotated[str, Field(pattern=r"^https?://[^/\s]+")] | None = None
    tls: bool = False
    queues: RabbitMQQueues = Field(
        default_factory=lambda: RabbitMQQueues.model_validate({"autoCreate": True})
    )

    @model_validator(mode="after")
    def _one_username(self) -> RabbitMQConfig:
        if self.username is not None and self.username_secret_ref is not None:
            raise ValueError("give either username or usernameSecretRef, not both")
        return self

    @property
    def plain_username(self) -> str | None:
        """The username when it is given as a value (``guest`` unless set), else None (it is in a Secret)."""
        if self.username_secret_ref is not None:
            return None
        return self.username or "guest"

    @property
    def effective_management_url(self) -> str:
        return (self.management_url or f"http://{self.host}:15672").rstrip("/")


# --- SQS ----------------------------------------------------------------------------------------------------


class SQSDLQ(_Strict):
    enabled: bool = False
    max_retry_count: int = Field(default=3, ge=1, le=1000)
    retention_days: int = Field(default=14, ge=1, le=14)


class SQSQueues(QueuesConfig):
    dlq: SQSDLQ = Field(default_factory=SQSDLQ)


class SQSCredentials(_Strict):
    access_key_id_secret_ref: SecretRef
    secret_access_key_secret_ref: SecretRef


class SQSConfig(_Strict):
    region: NonEmpty
    account_id: Annotated[str, Field(pattern=r"^\d{12}$")]
    endpoint: Annotated[str, Field(pattern=r"^https?://[^/\s]+")] | None = None
    actor_role_arn: Annotated[str, Field(pattern=r"^arn:[^:\s]+:iam::\d{12}:role/\S+$")] | None = None
    visibility_timeout: int | None = Field(default=None, ge=0, le=SQS_MAX_VISIBILITY_TIMEOUT)
    wait_time_seconds: int | None = Field(default=None, ge=0, le=20)
    credentials: SQSCredentials | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    queues: SQSQueues = Field(default_factory=lambda: SQSQueues.model_validate({"autoCreate": True}))

    @model_validator(mode="after")
    def _own_tags_reserved(self) -> SQSConfig:
        reserved = sorted(k for k in self.tags if k.startswith(RESERVED_TAG_PREFIX))
        if reserved:
            raise ValueError(
                f"tags {', '.join(reserved)}: the prefix {RESERVED_TAG_PREFIX} is the controller's own"
            )
        return self

    @property
    def normalized_endpoint(self) -> str | None:
        return self.endpoint.rstrip("/") if self.endpoint else None

    def visibility_timeout_for(self, processing_timeout: int) -> int:
        """Configured, else twice the actor's processing timeout, at least 30 s (and at most SQS's 12 h)."""
        if self.visibility_timeout is not None:
            return self.visibility_timeout
        return min(max(2 * processing_timeout, 30), SQS_MAX_VISIBILITY_TIMEOUT)


# --- the document -------------------------------------------------------------------------------------------

TransportSettings = RabbitMQConfig | SQSConfig
_CONFIG_MODELS: dict[str, type[_Strict]] = {"rabbitmq": RabbitMQConfig, "sqs": SQSConfig}


class _RawTransport(_Strict):
    type: TransportType
    enabled: bool = True
    config: dict[str, Any] = Field(default_factory=dict)


class _RawDocument(_Strict):
    transports: dict[NonEmpty, _RawTransport] = Field(default_factory=dict)


class TransportEntry(BaseModel):
    """One configured transport, validated."""

    model_config = ConfigDict(frozen=True)

    name: str
    type: TransportType
    enabled: bool
    config: TransportSettings


class TransportsConfig(BaseModel):
    model_config = ConfigDict(frozen=True)

    transports: dict[str, TransportEntry] = Field(default_factory=dict)


def parse_transports(document: Any, *, source: str = "transport configuration") -> TransportsConfig:
    """Validate a decoded document; raises :class:`TransportConfigError` listing every problem."""
    if document is None:
        return TransportsConfig()
    try:
        raw = _RawDocument.model_validate(document)
    except ValidationError as exc:
        raise TransportConfigError(source, _problems(exc, (), _RawDocument)) from None
    entries: dict[str, TransportEntry] = {}
    problems: list[str] = []
    for name, item in raw.transports.items():
        model = _CONFIG_MODELS[item.type]
        try:
            settings = model.model_validate(item.config)
        except ValidationError as exc:
            problems.extend(_problems(exc, ("transports", name, "config"), model))
            continue
        assert isinstance(settings, RabbitMQConfig | SQSConfig)
        entries[name] = TransportEntry(name=name, type=item.type, enabled=item.enabled, config=settings)
    if problems:
        raise TransportConfigError(source, problems)
    return TransportsConfig(transports=entries)


def load_transports(environ: Mapping[str, str] | None = None) -> TransportsConfig:
    """Read and validate the configuration named by the environment (see the module docstring)."""
    env = os.environ if environ is None else environ
    inline, path = env.get(ENV_CONFIG), env.get(ENV_CONFIG_FILE)
    if inline and path:
        raise TransportConfigError(ENV_CONFIG, [f"set either {ENV_CONFIG} or {ENV_CONFIG_FILE}, not both"])
    if inline:
        try:
            document = json.loads(inline)
        except json.JSONDecodeError as exc:
            raise TransportConfigError(ENV_CONFIG, [f"not valid JSON: {exc}"]) from None
        return parse_transports(document, source=ENV_CONFIG)
    if path:
        source = f"{ENV_CONFIG_FILE}={path}"
        try:
            text = Path(path).read_text()
        except OSError as exc:
            raise TransportConfigError(source, [f"cannot read the file: {exc.strerror or exc}"]) from None
        try:
            document = yaml.safe_load(text)  # JSON is YAML too
        except yaml.YAMLError as exc:
            raise TransportConfigError(source, [f"not valid YAML or JSON: {exc}"]) from None
        return parse_transports(document, source=source)
    return TransportsConfig()


def queue_management_disabled(environ: Mapping[str, str] | None = None) -> bool:
    env = os.environ if environ is None else environ
    return env.get(ENV_DISABLE_QUEUE_MANAGEMENT) == "true"


# --- error messages -----------------------------------------------------------------------------------------


def _problems(exc: ValidationError, prefix: tuple[str, ...], model: type[BaseModel]) -> list[str]:
    problems = []
    for error in exc.errors(include_input=False, include_url=False):
        loc = tuple(str(part) for part in error["loc"])
        path = ".".join((*prefix, *loc)) or "(document)"
        kind = error["type"]
        if kind == "extra_forbidden":
            known = _known_fields(model, loc[:-1])
            hint = difflib.get_close_matches(loc[-1], known, n=1, cutoff=0.7)
            suffix = (
                f" (did you mean {hint[0]}?)" if hint else (f" (known: {', '.join(known)})" if known else "")
            )
            problems.append(f"{path}: unknown field{suffix}")
        elif kind == "missing":
            problems.append(f"{path}: required field missing")
        elif kind == "string_pattern_mismatch" and loc[-1] in _FORMATS:
            problems.append(f"{path}: expected {_FORMATS[loc[-1]]}")
        else:
            message = str(error["msg"]).removeprefix("Value error, ")
            problems.append(f"{path}: {message}")
    return problems


_FORMATS = {
    "accountId": "an AWS account id of 12 digits",
    "endpoint": "a URL such as https://sqs.eu-west-1.amazonaws.com",
    "managementUrl": "a URL such as http://rabbitmq.messaging:15672",
    "actorRoleArn": "an IAM role ARN such as arn:aws:iam::123456789012:role/asya-actors",
}


def _known_fields(model: type[BaseModel], loc: tuple[str, ...]) -> list[str]:
    """The field names (as written in the document) of the object at ``loc`` below ``model``."""
    current: Any = model
    for part in loc:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = next((f for n, f in current.model_fields.items() if part in (f.alias, n)), None)
            if field is None:
                return []
            current = field.annotation
        elif typing.get_origin(current) is dict:
            current = typing.get_args(current)[1]
        else:
            return []
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [f.alias or n for n, f in current.model_fields.items()]
    return []


def _unwrap(annotation: Any) -> Any:
    """``X | None`` → ``X``; ``Annotated[X, ...]`` → ``X``."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(args) != 1:
                return annotation
            annotation = args[0]
        else:
            return annotation
