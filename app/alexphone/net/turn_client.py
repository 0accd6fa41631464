"""A TURN relayed address for one media flow, through aioice's TURN client (RFC 8656).

aioice owns the protocol: Allocate with the long-term credential (401 then retry with
REALM/NONCE, RFC 8489 §9.2), CreatePermission through ChannelBind on first send, Refresh at
5/6 of the lifetime, and Refresh with LIFETIME 0 on close. The allocation lives on its own
socket toward the server, so the relayed candidate's base is itself (RFC 8445 §5.1.1.2).
This module adds the settings, a bounded ``allocate_relay`` that returns None instead of
raising (a failed TURN allocation degrades to direct-only: docs/ALEX.md "Gathering"), and
a handle the call keeps until it ends, when ``close`` frees the allocation.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from aioice import stun as aioice_stun
from aioice.turn import TurnTransport, create_turn_endpoint

from alexphone.core.address import Address
from alexphone.core.errors import ConfigError
from alexphone.net.stun_client import parse_server, resolve_server

log = logging.getLogger(__name__)
Receiver = Callable[[bytes, Address], None]

TURN_TRANSPORTS = ("udp", "tcp")


@dataclass(frozen=True, slots=True)
class TurnSettings:
    """Where to allocate relayed addresses and the long-term credential for it."""

    server: Address  # host name or IP literal, port
    user: str
    password: str = field(repr=False)
    transport: str = "udp"  # to the server: "udp" or "tcp" (RFC 7065 ?transport=)

    def __post_init__(self) -> None:
        if not self.user or not self.password:
            raise ConfigError("--turn needs --turn-user and --turn-password-file")
        if self.transport not in TURN_TRANSPORTS:
            raise ConfigError(f"--turn: transport {self.transport!r}: use udp or tcp")

    @property
    def label(self) -> str:
        """``turn:host:port`` for logs and foundations (no credential)."""
        host, port = self.server
        return f"turn:[{host}]:{port}" if ":" in host else f"turn:{host}:{port}"


def parse_turn_uri(text: str, user: str | None, password: str | None) -> TurnSettings:
    """Parse ``turn:HOST[:PORT][?transport=udp|tcp]`` (RFC 7065 §3.1); ConfigError if bad."""
    body = text.strip()
    scheme, colon, rest = body.partition(":")
    if not colon or scheme.lower() not in ("turn", "turns"):
        raise ConfigError(f"--turn: {text!r}: use turn:HOST:PORT")
    if scheme.lower() == "turns":
        raise ConfigError("--turn: turns: (TLS) is not supported, use turn:")
    rest, _, query = rest.partition("?")
    transport = "udp"
    if query:
        key, _, value = query.partition("=")
        if key.lower() != "transport" or value.lower() not in TURN_TRANSPORTS:
            raise ConfigError(f"--turn: {text!r}: only ?transport=udp or tcp is understood")
        transport = value.lower()
    server = parse_server(rest, "--turn")  # RFC 7065 §3: the default port is 3478
    return TurnSettings(server, user or "", password or "", transport)


class _RelayProtocol(asyncio.DatagramProtocol):
    """Receives what peers send to the relayed address (aioice strips the ChannelData)."""

    def __init__(self, closed: asyncio.Future[None]) -> None:
        self.receiver: Receiver | None = None
        self.closed = closed

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        if self.receiver is not None:
            self.receiver(data, (str(addr[0]), int(addr[1])))

    def error_received(self, exc: Exception) -> None:
        log.debug("TURN send failed: %s", exc)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(None)


class RelayAllocation:
    """One live TURN allocation: send to peers through it, receive, and free it at call end."""

    def __init__(
        self,
        settings: TurnSettings,
        transport: TurnTransport,
        protocol: _RelayProtocol,
        relayed: Address,
        mapped: Address,
    ) -> None:
        self.settings = settings
        self.relayed = relayed  # XOR-RELAYED-ADDRESS: what peers send to
        self.mapped = mapped  # XOR-MAPPED-ADDRESS of our socket to the server (raddr)
        self._transport = transport
        self._protocol = protocol

    @property
    def on_receive(self) -> Receiver | None:
        """Who gets the datagrams peers send to the relayed address."""
        return self._protocol.receiver

    @on_receive.setter
    def on_receive(self, receiver: Receiver | None) -> None:
        self._protocol.receiver = receiver

    @property
    def active(self) -> bool:
        """Tell whether the allocation is still usable (not closed, not lost)."""
        return not self._protocol.closed.done()

    def send(self, data: bytes, addr: Address) -> None:
        """Relay one datagram to ``addr`` (a permission and channel are made on first use)."""
        self._transport.sendto(data, addr)

    async def close(self, timeout: float = 2.0) -> None:
        """Free the allocation (Refresh with LIFETIME 0, RFC 8656 §7.2); bounded in time."""
        self._transport.close()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(self._protocol.closed), timeout)


async def allocate_relay(settings: TurnSettings, timeout: float) -> RelayAllocation | str:
    """Allocate a relayed address within ``timeout`` s; on failure the reason as a string."""
    loop = asyncio.get_running_loop()
    server = await resolve_server(settings.server)
    if server is None:
        return f"cannot resolve {settings.server[0]}"
    closed: asyncio.Future[None] = loop.create_future()
    try:
        transport, protocol = await asyncio.wait_for(
            create_turn_endpoint(
                lambda: _RelayProtocol(closed),
                server,
                settings.user,
                settings.password,
                transport=settings.transport,
            ),
            timeout,
        )
    except TimeoutError:
        return f"no answer from {settings.label} within {timeout:g} s"
    except aioice_stun.TransactionFailed as exc:
        return f"{settings.label} refused the allocation: {exc.response.error_code}"
    except (aioice_stun.TransactionError, ConnectionError, OSError, ValueError) as exc:
        return f"{settings.label}: {exc}"
    relayed = transport.get_extra_info("sockname")
    mapped = transport.get_extra_info("related_address")
    if relayed is None or mapped is None:  # aioice checks both are in the response
        transport.close()
        return f"{settings.label}: incomplete allocation"
    return RelayAllocation(
        settings,
        transport,
        protocol,
        (str(relayed[0]), int(relayed[1])),
        (str(mapped[0]), int(mapped[1])),
    )
