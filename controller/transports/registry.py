"""The configured transports by name: what ``spec.transport`` resolves to.

:class:`TransportRegistry` builds one :class:`~controller.transports.base.Transport` per enabled entry of the
configuration (no I/O: connections and clients open on first use; the SQS client library is imported only
when an SQS transport is configured) and answers :meth:`TransportRegistry.get`
with it, or with a :class:`~controller.transports.base.TransportError` whose reason is
``TransportNotConfigured`` (unknown name) or ``TransportDisabled`` (``enabled: false``). :meth:`aclose` closes
every connection and client; the controller calls it on shutdown.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

from controller.transports.base import DEFAULT_TIMEOUT, Reason, SecretReader, Transport, TransportError
from controller.transports.config import (
    RabbitMQConfig,
    SQSConfig,
    TransportsConfig,
    load_transports,
    queue_management_disabled,
)
from controller.transports.rabbitmq import RabbitMQTransport

if TYPE_CHECKING:
    from aiobotocore.session import AioSession


class TransportRegistry:
    def __init__(
        self,
        config: TransportsConfig,
        *,
        secrets: SecretReader,
        manage_queues: bool = True,
        timeout: float = DEFAULT_TIMEOUT,
        sqs_session: AioSession | None = None,
    ) -> None:
        self.config = config
        self.manage_queues = manage_queues
        self._transports: dict[str, Transport] = {}
        for name, entry in config.transports.items():
            if not entry.enabled:
                continue
            transport: Transport
            if isinstance(entry.config, RabbitMQConfig):
                transport = RabbitMQTransport(
                    name, entry.config, secrets=secrets, manage_queues=manage_queues, timeout=timeout
                )
            else:
                assert isinstance(entry.config, SQSConfig)
                # Imported only when an SQS transport is configured: aiobotocore and botocore hold several
                # megabytes of memory that a controller of RabbitMQ actors need not pay for.
                from controller.transports.sqs import SQSTransport

                transport = SQSTransport(
                    name,
                    entry.config,
                    secrets=secrets,
                    manage_queues=manage_queues,
                    timeout=timeout,
                    session=sqs_session,
                )
            self._transports[name] = transport

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        secrets: SecretReader,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> TransportRegistry:
        """From ``ASYA_TRANSPORT_CONFIG[_FILE]`` and ``ASYA_DISABLE_QUEUE_MANAGEMENT``; raises
        :class:`~controller.transports.config.TransportConfigError` on a bad configuration."""
        env = os.environ if environ is None else environ
        return cls(
            load_transports(env),
            secrets=secrets,
            manage_queues=not queue_management_disabled(env),
            timeout=timeout,
        )

    @property
    def names(self) -> list[str]:
        """Every configured name, enabled or not."""
        return sorted(self.config.transports)

    def get(self, name: str) -> Transport:
        transport = self._transports.get(name)
        if transport is not None:
            return transport
        if name in self.config.transports:
            raise TransportError(
                Reason.TRANSPORT_DISABLED,
                f"transport {name!r} is disabled in the operator's transport configuration (enabled: false); "
                f"enable it there or set spec.transport to another transport",
            )
        known = ", ".join(repr(n) for n in self.names) or "none"
        raise TransportError(
            Reason.TRANSPORT_NOT_CONFIGURED,
            f"transport {name!r} is not configured in the operator's transport configuration (configured: "
            f"{known}); set spec.transport to one of them or add it to ASYA_TRANSPORT_CONFIG",
        )

    async def aclose(self) -> None:
        for transport in self._transports.values():
            with contextlib.suppress(Exception):
                await transport.aclose()
