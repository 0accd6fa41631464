"""Gatherer on loopback: host candidates, srflx through an in-test STUN server, bounded timeouts."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

from alexphone.alex.candidate import CandidateType
from alexphone.net.gatherer import Gatherer, GatheringFailed, SocketBase
from alexphone.net.interfaces import InterfaceAddress
from alexphone.net.stun_client import StunClient
from alexphone.stun.message import BINDING, StunClass, binding_success, parse

T = TypeVar("T")
Address = tuple[str, int]
MAPPED = ("203.0.113.9", 40000)  # what our STUN server claims the NAT made of us

INTERFACES = [
    InterfaceAddress("lo", 1, "127.0.0.1", 8),
    InterfaceAddress("eth0", 2, "192.0.2.10", 24),
    InterfaceAddress("eth0", 2, "fe80::10", 64, scope_id=2),
    InterfaceAddress("eth0", 2, "2001:db8::10", 64),
    InterfaceAddress("wlan0", 3, "198.51.100.20", 24),
]


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(asyncio.wait_for(coro, 10))


class StunServer(asyncio.DatagramProtocol):
    """Answers Binding requests with a fixed mapped address, or stays silent."""

    def __init__(self, answer: bool = True) -> None:
        self.answer = answer
        self.requests: list[Address] = []
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: Address) -> None:
        message = parse(data)
        if message.method != BINDING or message.klass is not StunClass.REQUEST:
            return  # e.g. a TURN Allocate: this server only does STUN
        self.requests.append(addr)
        if self.answer and self.transport is not None:
            self.transport.sendto(binding_success(message.transaction_id, MAPPED, None), addr)


class MediaSocket(asyncio.DatagramProtocol):
    """Plays the media socket: its STUN datagrams go to the client first."""

    def __init__(self) -> None:
        self.transport: asyncio.DatagramTransport | None = None
        self.client = StunClient(self.send)
        self.other: list[bytes] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def send(self, data: bytes, addr: Address) -> None:
        assert self.transport is not None
        self.transport.sendto(data, addr)

    def datagram_received(self, data: bytes, addr: Address) -> None:
        if not self.client.receive(data, addr):
            self.other.append(data)


async def open_pair(
    answer: bool, media_host: str = "127.0.0.1"
) -> tuple[Address, MediaSocket, StunServer]:
    loop = asyncio.get_running_loop()
    server_transport, server = await loop.create_datagram_endpoint(
        lambda: StunServer(answer), local_addr=("127.0.0.1", 0)
    )
    _, media = await loop.create_datagram_endpoint(MediaSocket, local_addr=(media_host, 0))
    address = server_transport.get_extra_info("sockname")[:2]
    return (str(address[0]), int(address[1])), media, server


def test_srflx_comes_from_the_media_socket_itself() -> None:
    async def scenario() -> None:
        server_address, media, server = await open_pair(answer=True)
        assert media.transport is not None
        local = media.transport.get_extra_info("sockname")[:2]
        gatherer = Gatherer(server_address, interfaces=lambda: INTERFACES)
        found = await gatherer.gather([SocketBase("m0.1", local, stun=media.client)])
        assert server.requests == [local]  # sent from the media socket, once
        (srflx,) = found.candidates  # bound to loopback: no host candidate is announced
        assert srflx.type is CandidateType.SRFLX
        assert srflx.address == MAPPED
        assert srflx.related == srflx.base == ("127.0.0.1", local[1])
        assert found.problems == []

    run(scenario())


def test_wildcard_socket_lists_every_interface_of_its_family_but_loopback() -> None:
    async def scenario() -> None:
        server_address, media, _ = await open_pair(answer=True, media_host="0.0.0.0")
        assert media.transport is not None
        port = media.transport.get_extra_info("sockname")[1]
        gatherer = Gatherer(server_address, interfaces=lambda: INTERFACES)
        found = await gatherer.gather([SocketBase("m0.1", ("0.0.0.0", port), stun=media.client)])
        hosts = [c.address for c in found.candidates if c.type is CandidateType.HOST]
        assert hosts == [("192.0.2.10", port), ("198.51.100.20", port)]  # interface order
        assert [c.address for c in found.candidates if c.type is CandidateType.SRFLX] == [MAPPED]

    run(scenario())


def test_link_local_only_when_asked() -> None:
    async def scenario(include: bool) -> list[Address]:
        gatherer = Gatherer(interfaces=lambda: INTERFACES)
        found = await gatherer.gather([SocketBase("sip", ("::", 5060))], include_link_local=include)
        return [c.address for c in found.candidates]

    assert run(scenario(False)) == [("2001:db8::10", 5060)]
    assert run(scenario(True)) == [("2001:db8::10", 5060), ("fe80::10", 5060)]


def test_stun_timeout_is_bounded_and_reported() -> None:
    async def scenario() -> None:
        server_address, media, server = await open_pair(answer=False, media_host="0.0.0.0")
        assert media.transport is not None
        port = media.transport.get_extra_info("sockname")[1]
        gatherer = Gatherer(server_address, interfaces=lambda: INTERFACES, stun_timeout=0.4)
        found = await gatherer.gather([SocketBase("m0.1", ("0.0.0.0", port), stun=media.client)])
        # bounded by the 0.4 s timeout, counted not timed: RTO 300 ms sends at 0 and 0.3 s and
        # gives up before the third request (0.9 s) a transaction left to itself would send
        assert len(server.requests) == 2
        assert [c.type for c in found.candidates] == [CandidateType.HOST, CandidateType.HOST]
        (problem,) = found.problems
        assert problem == GatheringFailed(
            "m0.1", CandidateType.SRFLX, f"stun:127.0.0.1:{server_address[1]}", problem.reason
        )

    run(scenario())


def test_sip_reflexive_from_registration_needs_no_server() -> None:
    async def scenario() -> None:
        gatherer = Gatherer(interfaces=lambda: INTERFACES)
        base = SocketBase("sip", ("192.0.2.10", 5060), reflexive=("198.51.100.11", 5062))
        found = await gatherer.gather([base])
        host, srflx = found.candidates
        assert host.address == ("192.0.2.10", 5060)
        assert srflx.type is CandidateType.SRFLX and srflx.address == ("198.51.100.11", 5062)
        assert srflx.related == ("192.0.2.10", 5060) and srflx.priority < host.priority

    run(scenario())


def test_no_nat_means_no_srflx() -> None:
    async def scenario() -> None:
        gatherer = Gatherer(interfaces=lambda: INTERFACES)
        found = await gatherer.gather(
            [SocketBase("sip", ("192.0.2.10", 5060), reflexive=("192.0.2.10", 5060))]
        )
        assert [c.type for c in found.candidates] == [CandidateType.HOST]

    run(scenario())


def test_client_passes_on_stun_that_is_not_an_answer_to_it() -> None:
    async def scenario() -> None:
        server_address, media, _ = await open_pair(answer=True)
        stray = binding_success(b"x" * 12, MAPPED, None)
        assert not media.client.receive(stray, server_address)  # unknown transaction
        assert not media.client.receive(b"\x80\x00" + b"\0" * 10, server_address)  # RTP

    run(scenario())


def test_turn_failure_degrades_to_direct_with_a_problem() -> None:
    from alexphone.net.turn_client import TurnSettings

    async def scenario() -> None:
        server_address, media, _ = await open_pair(answer=True, media_host="0.0.0.0")
        assert media.transport is not None
        port = media.transport.get_extra_info("sockname")[1]
        # the STUN-only server ignores Allocate: the relay times out, the rest is kept
        turn = TurnSettings(server_address, "alice", "alicepw")
        gatherer = Gatherer(server_address, turn, interfaces=lambda: INTERFACES, turn_timeout=0.5)
        base = SocketBase("m0.1", ("0.0.0.0", port), stun=media.client, relay=True)
        found = await gatherer.gather([base])
        kinds = [c.type for c in found.candidates]
        assert kinds.count(CandidateType.SRFLX) == 1 and CandidateType.RELAY not in kinds
        assert [p.kind for p in found.problems] == [CandidateType.RELAY]
        assert found.relays == {}

    run(scenario())
