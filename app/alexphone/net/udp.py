"""One UDP socket carrying SIP datagrams (RFC 3261 §18.1.1, §18.2.1)."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable
from typing import cast

from alexphone.core.address import Address
from alexphone.core.errors import ParseError, TransportError
from alexphone.net.error_reply import error_reply
from alexphone.net.flow import Flow, TransportKind, format_address, ip_family
from alexphone.sip.message import Message
from alexphone.sip.parser import parse

__all__ = ["MAX_UDP_PAYLOAD", "UdpEndpoint", "open_udp"]

Deliver = Callable[[Message, Flow], None]
Admit = Callable[[str], bool]  # (source IP) -> may a request from it be parsed now
StunHandler = Callable[[bytes, Address, Address], None]  # (datagram, local, remote)
MAX_UDP_PAYLOAD = 65507  # 65535 minus the IPv4 and UDP headers


class UdpEndpoint(asyncio.DatagramProtocol):
    """Parses each datagram, answers the unparseable requests, delivers the rest."""

    def __init__(self, deliver: Deliver, logger: logging.Logger, max_size: int) -> None:
        self._deliver = deliver
        self._logger = logger
        self._max_size = max_size
        self._transport: asyncio.DatagramTransport | None = None
        self.local: Address = ("", 0)
        self.family = socket.AF_INET
        self.stun_handler: StunHandler | None = None  # ALEX probes on the SIP socket
        self.admit: Admit | None = None  # flood limit, asked before a request is parsed

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Remember the socket and its bound address."""
        # cast: before Python 3.12 the selector transport does not subclass DatagramTransport
        self._transport = cast(asyncio.DatagramTransport, transport)
        sockname = transport.get_extra_info("sockname")
        self.local = (str(sockname[0]), int(sockname[1]))
        self.family = ip_family(self.local[0].partition("%")[0])

    def datagram_received(self, data: bytes, addr: tuple[str | object, ...]) -> None:
        """Handle one datagram; no exception may escape into the event loop."""
        remote = (str(addr[0]), int(str(addr[1])))
        try:
            self._receive(data, remote)
        except Exception:
            self._logger.exception("error handling a datagram from %s", format_address(remote))

    def _receive(self, data: bytes, remote: Address) -> None:
        if not data.strip(b"\r\n"):
            return  # CRLF keep-alive (RFC 5626 §3.5.1): nothing to answer on UDP
        if data[0] < 4 and self.stun_handler is not None:  # RFC 7983 §7: 0-3 is STUN
            self.stun_handler(data, self.local, remote)
            return
        if self.admit is not None and not data.startswith(b"SIP/") and not self.admit(remote[0]):
            return  # shed unanswered: a reply would reflect the flood (net/rate_limit.py)
        try:
            if len(data) > self._max_size:
                raise ParseError(f"Message of {len(data)} bytes exceeds {self._max_size}", 513)
            message = parse(data)
        except ParseError as error:
            self._logger.debug("unparseable datagram from %s: %s", format_address(remote), error)
            reply = error_reply(data, error)
            if reply is not None:
                # Symmetric: back to the source, which is all we can trust here.
                self.send(reply, remote)
            return
        self._deliver(message, Flow(TransportKind.UDP, self.local, remote))

    def error_received(self, exc: Exception) -> None:
        """Log ICMP errors (e.g. port unreachable) reported for earlier sends."""
        self._logger.debug("UDP error on %s: %s", format_address(self.local), exc)

    def send(self, data: bytes, remote: Address) -> None:
        """Send one datagram from this socket (TransportError if it cannot go)."""
        if self._transport is None or self._transport.is_closing():
            raise TransportError(f"UDP socket {format_address(self.local)} is closed")
        if len(data) > MAX_UDP_PAYLOAD:
            raise TransportError(f"{len(data)} bytes do not fit in one UDP datagram")
        try:
            self._transport.sendto(data, remote)
        except (OSError, ValueError) as error:
            raise TransportError(f"cannot send to {format_address(remote)}: {error}") from error

    def close(self) -> None:
        """Close the socket."""
        if self._transport is not None:
            self._transport.close()


async def open_udp(
    host: str, port: int, deliver: Deliver, logger: logging.Logger, max_size: int
) -> UdpEndpoint:
    """Bind a UDP socket (IPv6 sockets IPv6-only, so sources are never v4-mapped)."""
    family = ip_family(host)
    sock = socket.socket(family, socket.SOCK_DGRAM)
    try:
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind((host, port))
        sock.setblocking(False)
    except OSError as error:
        sock.close()
        where = format_address((host, port))
        raise TransportError(f"cannot listen on udp:{where}: {error}") from error
    loop = asyncio.get_running_loop()
    _transport, endpoint = await loop.create_datagram_endpoint(
        lambda: UdpEndpoint(deliver, logger, max_size), sock=sock
    )
    return endpoint
