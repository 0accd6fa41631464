"""Stand-ins for the ALEX engine tests: a SIP transport that records, a STUN server that maps."""

from __future__ import annotations

import asyncio

from alexphone.net.flow import ListenSpec, TransportKind
from alexphone.net.udp import StunHandler
from alexphone.stun.message import binding_success, parse

Address = tuple[str, int]


class RecordingSipTransport:
    """Stands in for SipTransport: one UDP listener, sends recorded."""

    def __init__(self, port: int, host: str = "127.0.0.1") -> None:
        self.listeners = [ListenSpec(TransportKind.UDP, host, port)]
        self.handler: StunHandler | None = None
        self.sent: list[tuple[bytes, Address, Address]] = []

    def set_stun_handler(self, handler: StunHandler | None) -> None:
        self.handler = handler

    def send_datagram(self, data: bytes, local: Address, remote: Address) -> None:
        self.sent.append((data, local, remote))


class MappingStunServer(asyncio.DatagramProtocol):
    """Answers every Binding request with the same mapped address; records the sources."""

    def __init__(self, mapped: Address) -> None:
        self.mapped = mapped
        self.transport: asyncio.DatagramTransport | None = None
        self.sources: list[Address] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: Address) -> None:
        self.sources.append((str(addr[0]), int(addr[1])))
        assert self.transport is not None
        answer = binding_success(parse(data).transaction_id, self.mapped, None)
        self.transport.sendto(answer, addr)


async def start_stun_server(host: str, mapped: Address) -> tuple[MappingStunServer, Address]:
    """A MappingStunServer on ``host`` (any port), and where it listens."""
    loop = asyncio.get_running_loop()
    transport, server = await loop.create_datagram_endpoint(
        lambda: MappingStunServer(mapped), local_addr=(host, 0)
    )
    bound = transport.get_extra_info("sockname")
    return server, (str(bound[0]), int(bound[1]))
