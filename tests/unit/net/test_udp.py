"""SipTransport over UDP on loopback: stamping, symmetric responses, error replies."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

import pytest

from alexphone.net.transport import Flow, ListenSpec, SipTransport, TransportKind
from alexphone.sip.message import Message, Request, Response, make_response
from alexphone.sip.parser import parse

T = TypeVar("T")
TIMEOUT = 5.0


def has_ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(asyncio.wait_for(coro, 4 * TIMEOUT))


def options(via: str, body: bytes = b"", *, drop: str = "") -> bytes:
    lines = [
        "OPTIONS sip:bob@127.0.0.1 SIP/2.0",
        f"Via: {via}",
        "From: <sip:alice@example.com>;tag=a1",
        "To: <sip:bob@example.com>",
        "Call-ID: call-1@example.com",
        "CSeq: 7 OPTIONS",
        "Max-Forwards: 70",
        f"Content-Length: {len(body)}",
    ]
    lines = [line for line in lines if not drop or not line.startswith(drop)]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class Peer:
    """A plain UDP socket playing the remote party."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_DGRAM)
        self.sock.bind((host, 0))
        self.sock.setblocking(False)
        self.address: tuple[str, int] = self.sock.getsockname()[:2]

    async def send(self, data: bytes, to: tuple[str, int]) -> None:
        await asyncio.get_running_loop().sock_sendto(self.sock, data, to)

    async def receive_raw(self) -> tuple[bytes, tuple[str, int]]:
        loop = asyncio.get_running_loop()
        data, source = await asyncio.wait_for(loop.sock_recvfrom(self.sock, 70000), TIMEOUT)
        return data, source[:2]

    async def receive(self) -> tuple[Message, tuple[str, int]]:
        data, source = await self.receive_raw()
        return parse(data), source

    def close(self) -> None:
        self.sock.close()


async def with_transport(
    spec: str,
    body: Callable[[SipTransport, ListenSpec, asyncio.Queue[tuple[Message, Flow]]], Awaitable[T]],
    **options: Any,
) -> T:
    queue: asyncio.Queue[tuple[Message, Flow]] = asyncio.Queue()
    transport = SipTransport(lambda m, f: queue.put_nowait((m, f)), **options)
    try:
        [bound] = await transport.start([ListenSpec.parse(spec)])
        return await body(transport, bound, queue)
    finally:
        await transport.close()


async def next_message(queue: asyncio.Queue[tuple[Message, Flow]]) -> tuple[Message, Flow]:
    return await asyncio.wait_for(queue.get(), TIMEOUT)


def test_start_reports_the_real_port() -> None:
    async def body(t: SipTransport, bound: ListenSpec, q: object) -> None:
        assert bound.kind is TransportKind.UDP and bound.host == "127.0.0.1"
        assert bound.port != 0
        assert t.listeners == [bound]

    run(with_transport("udp:127.0.0.1:0", body))


@pytest.mark.parametrize("host", ["127.0.0.1", "::1"])
def test_request_is_stamped_and_response_goes_to_source_port(host: str) -> None:
    if ":" in host and not has_ipv6_loopback():
        pytest.skip("no ::1 on this machine")
    peer = Peer(host)

    async def body(t: SipTransport, bound: ListenSpec, q: asyncio.Queue[Any]) -> None:
        # sent-by names a port nobody listens on: only rport can bring the answer back
        sent_by = f"[{host}]:9" if ":" in host else f"{host}:9"
        await peer.send(options(f"SIP/2.0/UDP {sent_by};rport;branch=z9hG4bK1"), bound_addr)
        request, flow = await next_message(q)
        assert isinstance(request, Request)
        assert request.top_via.rport == peer.address[1]
        assert request.top_via.received == host
        assert flow == Flow(TransportKind.UDP, (bound.host, bound.port), peer.address)
        await t.send_response(make_response(request, 200), flow)
        response, source = await peer.receive()
        assert isinstance(response, Response) and response.status == 200
        assert source == bound_addr  # symmetric: from the socket the request came to
        assert response.top_via.rport == peer.address[1]

    bound_addr: tuple[str, int] = ("", 0)

    async def outer(t: SipTransport, bound: ListenSpec, q: asyncio.Queue[Any]) -> None:
        nonlocal bound_addr
        bound_addr = (bound.host, bound.port)
        await body(t, bound, q)

    spec = f"udp:[{host}]:0" if ":" in host else f"udp:{host}:0"
    try:
        run(with_transport(spec, outer))
    finally:
        peer.close()


def test_received_without_rport_response_goes_to_sent_by_port() -> None:
    peer = Peer()

    async def body(t: SipTransport, bound: ListenSpec, q: asyncio.Queue[Any]) -> None:
        via = f"SIP/2.0/UDP localhost:{peer.address[1]};branch=z9hG4bK2"
        await peer.send(options(via), (bound.host, bound.port))
        request, flow = await next_message(q)
        assert isinstance(request, Request)
        assert request.top_via.received == "127.0.0.1"
        assert not request.top_via.has_rport
        await t.send_response(make_response(request, 404), flow)
        response, _source = await peer.receive()
        assert isinstance(response, Response) and response.status == 404

    try:
        run(with_transport("udp:127.0.0.1:0", body))
    finally:
        peer.close()


def test_malformed_request_gets_400_with_the_parse_error() -> None:
    peer = Peer()

    async def body(t: SipTransport, bound: ListenSpec, q: asyncio.Queue[Any]) -> None:
        data = options("SIP/2.0/UDP 127.0.0.1:1;branch=z9hG4bK3;rport")
        data = data.replace(b"Max-Forwards: 70", b"Max-Forwards: 300")
        await peer.send(data, (bound.host, bound.port))
        response, source = await peer.receive()
        assert isinstance(response, Response)
        assert response.status == 400
        assert response.reason == "Max-Forwards 300 is out of range (0-255)"
        assert response.call_id == "call-1@example.com"
        assert str(response.cseq) == "7 OPTIONS"
        assert source == (bound.host, bound.port)
        # without CSeq the reply cannot be a complete response, but it still goes out
        data = options("SIP/2.0/UDP 127.0.0.1:1;branch=z9hG4bK3b", drop="CSeq")
        await peer.send(data, (bound.host, bound.port))
        raw, _source = await peer.receive_raw()
        assert raw.startswith(b"SIP/2.0 400 Missing mandatory header(s): CSeq\r\n")
        assert b"branch=z9hG4bK3b" in raw
        assert q.empty()

    try:
        run(with_transport("udp:127.0.0.1:0", body))
    finally:
        peer.close()


def test_oversize_datagram_gets_513() -> None:
    peer = Peer()

    async def body(t: SipTransport, bound: ListenSpec, q: asyncio.Queue[Any]) -> None:
        data = options("SIP/2.0/UDP 127.0.0.1:1;branch=z9hG4bK4", body=b"x" * 2000)
        await peer.send(data, (bound.host, bound.port))
        response, _source = await peer.receive()
        assert isinstance(response, Response) and response.status == 513
        assert "exceeds 1000" in response.reason
        assert q.empty()

    try:
        run(with_transport("udp:127.0.0.1:0", body, max_datagram=1000))
    finally:
        peer.close()


def test_bad_responses_and_keepalives_are_dropped_silently() -> None:
    peer = Peer()

    async def body(t: SipTransport, bound: ListenSpec, q: asyncio.Queue[Any]) -> None:
        to = (bound.host, bound.port)
        await peer.send(b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK5\r\n\r\n", to)
        await peer.send(b"\r\n\r\n", to)
        await peer.send(b"\r\n", to)
        await peer.send(options("SIP/2.0/UDP 127.0.0.1:1;branch=z9hG4bK6;rport"), to)
        request, flow = await next_message(q)
        assert isinstance(request, Request) and request.top_via.branch == "z9hG4bK6"
        await t.send_response(make_response(request, 200), flow)
        response, _source = await peer.receive()  # the first datagram back is this 200
        assert isinstance(response, Response) and response.status == 200

    try:
        run(with_transport("udp:127.0.0.1:0", body))
    finally:
        peer.close()


def test_callback_errors_do_not_stop_the_listener() -> None:
    peer = Peer()
    seen: list[str] = []
    arrived: asyncio.Queue[None] = asyncio.Queue()

    def on_message(message: Message, flow: Flow) -> None:
        seen.append(message.top_via.branch or "")
        arrived.put_nowait(None)
        if len(seen) == 1:
            raise RuntimeError("boom")

    async def main() -> None:
        transport = SipTransport(on_message)
        [bound] = await transport.start([ListenSpec.parse("udp:127.0.0.1:0")])
        try:
            for branch in ("z9hG4bK7", "z9hG4bK8"):
                via = f"SIP/2.0/UDP 127.0.0.1:1;branch={branch}"
                await peer.send(options(via), (bound.host, bound.port))
                await asyncio.wait_for(arrived.get(), TIMEOUT)
        finally:
            await transport.close()

    try:
        run(main())
    finally:
        peer.close()
    assert seen == ["z9hG4bK7", "z9hG4bK8"]


def test_send_request_over_udp_returns_the_flow() -> None:
    peer = Peer()

    async def body(t: SipTransport, bound: ListenSpec, q: asyncio.Queue[Any]) -> None:
        request = parse(options("SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK9"))
        assert isinstance(request, Request)
        flow = await t.send_request(request, TransportKind.UDP, peer.address)
        assert flow == Flow(TransportKind.UDP, (bound.host, bound.port), peer.address)
        received, source = await peer.receive()
        assert received == request
        assert source == (bound.host, bound.port)

    try:
        run(with_transport("udp:127.0.0.1:0", body))
    finally:
        peer.close()
