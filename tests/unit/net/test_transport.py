"""SipTransport set-up, sent_by and argument checks."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Coroutine
from typing import Any, TypeVar

import pytest

from alexphone.core.errors import ConfigError, TransportError
from alexphone.net.source_address import source_address
from alexphone.net.transport import Flow, ListenSpec, SipTransport, TransportKind
from alexphone.sip.message import Request
from alexphone.sip.parser import parse

T = TypeVar("T")

REQUEST = (
    b"OPTIONS sip:bob@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKt\r\n"
    b"From: <sip:a@b>;tag=1\r\nTo: <sip:b@c>\r\nCall-ID: t1\r\nCSeq: 1 OPTIONS\r\n"
    b"Content-Length: 0\r\n\r\n"
)


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(asyncio.wait_for(coro, 20))


def ignore(message: object, flow: object) -> None:
    del message, flow


def request() -> Request:
    message = parse(REQUEST)
    assert isinstance(message, Request)
    return message


def specs(*texts: str) -> list[ListenSpec]:
    return [ListenSpec.parse(t) for t in texts]


def test_sent_by_specific_and_wildcard_listeners() -> None:
    async def main() -> None:
        transport = SipTransport(ignore)
        try:
            udp, tcp = await transport.start(specs("udp:0.0.0.0:0", "tcp:127.0.0.1:0"))
            assert transport.sent_by(TransportKind.UDP, "127.0.0.1") == ("127.0.0.1", udp.port)
            assert transport.sent_by(TransportKind.TCP, "127.0.0.1") == ("127.0.0.1", tcp.port)
            host, port = transport.sent_by(TransportKind.UDP, "example.com")
            assert port == udp.port and host != "0.0.0.0"
            with pytest.raises(TransportError, match="no tcp listener can reach ::1"):
                transport.sent_by(TransportKind.TCP, "::1")
            # outbound-only TLS names us by the TCP listener (answers come on the connection)
            assert transport.sent_by(TransportKind.TLS, "127.0.0.1") == ("127.0.0.1", tcp.port)
        finally:
            await transport.close()

    run(main())


def test_sends_need_ip_addresses_and_a_listener() -> None:
    async def main() -> None:
        transport = SipTransport(ignore)
        try:
            await transport.start(specs("udp:127.0.0.1:0"))
            with pytest.raises(TransportError, match="needs an IP address"):
                await transport.send_request(request(), TransportKind.UDP, ("example.com", 5060))
            with pytest.raises(TransportError, match="port out of range"):
                await transport.send_request(request(), TransportKind.UDP, ("127.0.0.1", 0))
            with pytest.raises(TransportError, match="no udp listener"):
                await transport.send_request(request(), TransportKind.UDP, ("::1", 5060))
            with pytest.raises(TransportError, match="tls"):  # nothing listens there
                await transport.send_request(request(), TransportKind.TLS, ("127.0.0.1", 1))
        finally:
            await transport.close()

    run(main())


def test_tcp_connect_failure_is_a_transport_error() -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]  # bound but not listening: connection refused

        async def main() -> None:
            transport = SipTransport(ignore)
            try:
                with pytest.raises(TransportError, match=r"cannot connect to tcp:127\.0\.0\.1"):
                    await transport.send_request(request(), TransportKind.TCP, ("127.0.0.1", port))
            finally:
                await transport.close()

        run(main())


def test_busy_port_fails_start_and_releases_earlier_listeners() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy_port = busy.getsockname()[1]

        async def main() -> None:
            transport = SipTransport(ignore)
            with pytest.raises(TransportError, match=r"cannot listen on udp:127\.0\.0\.1"):
                await transport.start(
                    [ListenSpec.parse("tcp:127.0.0.1:0"), ListenSpec.parse("udp:127.0.0.1:0"),
                     ListenSpec(TransportKind.UDP, "127.0.0.1", busy_port)]
                )  # fmt: skip
            assert transport.listeners == []

        run(main())


def test_tls_and_hostname_listeners_are_config_errors() -> None:
    async def main() -> None:
        transport = SipTransport(ignore)
        with pytest.raises(ConfigError, match="needs --tls-cert"):
            await transport.start(specs("tls:127.0.0.1:0"))
        with pytest.raises(ConfigError, match="not an IP address"):
            await transport.start([ListenSpec(TransportKind.UDP, "localhost", 0)])

    run(main())


def test_is_open_tracks_sockets() -> None:
    async def main() -> None:
        transport = SipTransport(ignore)
        [udp] = await transport.start(specs("udp:127.0.0.1:0"))
        flow = Flow(TransportKind.UDP, (udp.host, udp.port), ("127.0.0.1", 5060))
        assert transport.is_open(flow)
        await transport.close()
        assert not transport.is_open(flow)

    run(main())


def test_source_address_for_loopback_and_default_route() -> None:
    assert source_address("127.0.0.1", socket.AF_INET) == "127.0.0.1"
    default = source_address(None, socket.AF_INET)
    assert default != "0.0.0.0" and "%" not in default
