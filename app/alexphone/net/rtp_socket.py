"""The media socket of one call: asyncio datagram endpoints on the reserved RTP/RTCP ports.

Datagrams are sorted by their first bytes (RFC 7983 §7): RTP and RTCP go to the stream,
STUN to an optional handler (connectivity checks run on the media socket), DTLS to another
(the DTLS-SRTP handshake, RFC 5764 §5.1.2); STUN on the RTCP port may have a handler of its
own (ICE checks of component 2, engine/alexcall/ice.py). The peer's first DTLS flight may come
in before the call has set its handler (the socket reads as soon as it opens), so up to
``EARLY_DTLS`` DTLS datagrams are held and handed over by ``set_dtls_handler``; beyond that,
and for unknown first bytes, a datagram is counted and dropped. RTP and RTCP pass through
the call's ``protection`` (SRTP unprotect, or the identity) first; what it refuses is dropped
there and counted by it.
RTCP is accepted on either port (RFC 5761 multiplexing or RFC 3550 port + 1) and sent from
the RTP port once offer/answer agreed on ``a=rtcp-mux`` (``rtcp_mux``), else from the RTCP
port. We always send RTP from the port we receive on (symmetric RTP, RFC 4961), so a peer
behind NAT that latches on our source reaches us back. A call with an IPv6 pair beside its IPv4 one
(net/media_family.py) receives on both and sends each datagram from the pair of its
destination's family.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable
from typing import cast

from alexphone.core.address import Address
from alexphone.net.media_port import MediaPort
from alexphone.rtp.demux import PacketKind, classify
from alexphone.rtp.protection import CLEARTEXT, MediaProtection

log = logging.getLogger(__name__)
Receiver = Callable[[bytes, Address], None]
EARLY_DTLS = 8  # datagrams: one flight or two of a DTLS handshake


class _Endpoint(asyncio.DatagramProtocol):
    def __init__(self, owner: RtpSocket, rtcp_port: bool) -> None:
        self.owner = owner
        self.rtcp_port = rtcp_port
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Keep the transport to send with."""
        # cast: before Python 3.12 the selector transport does not subclass DatagramTransport
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        """Pass the datagram to the owner's demultiplexer."""
        self.owner.dispatch(data, (str(addr[0]), int(addr[1])), rtcp_port=self.rtcp_port)

    def error_received(self, exc: Exception) -> None:
        """Log ICMP errors; media keeps going."""
        # ICMP port unreachable and the like: the peer may not listen yet; keep going
        log.debug("media socket error: %s", exc)


class RtpSocket:
    """Receives and sends one call's RTP, RTCP and STUN on its reserved port pair."""

    def __init__(
        self, on_rtp: Receiver, on_rtcp: Receiver, on_stun: Receiver | None = None
    ) -> None:
        self.on_rtp = on_rtp
        self.on_rtcp = on_rtcp
        self.on_stun = on_stun
        self.on_rtcp_stun: Receiver | None = None  # STUN on the RTCP port (ICE component 2)
        self.on_dtls: Receiver | None = None  # the call's DTLS-SRTP handshake, if it has one
        self._early_dtls: list[tuple[bytes, Address]] = []
        self.dropped = 0  # DTLS without a handler, unknown first bytes
        self.rtcp_mux = False  # send RTCP from the RTP port (RFC 5761 §5.1.1)
        self.protection: MediaProtection = CLEARTEXT  # unprotects what arrives (RFC 3711)
        self.local: Address = ("", 0)
        self._rtp: _Endpoint | None = None
        self._rtcp: _Endpoint | None = None
        self.local6: Address | None = None  # the IPv6 pair, if the call has one
        self._rtp6: _Endpoint | None = None
        self._rtcp6: _Endpoint | None = None

    async def open(self, port: MediaPort) -> None:
        """Take over the bound sockets of ``port`` (it no longer closes them)."""
        sockets = port.take()
        loop = asyncio.get_running_loop()
        self.local = (port.host, port.port)
        self._rtp = await self._endpoint(loop, sockets[0], False)
        self._rtcp = await self._endpoint(loop, sockets[1], True)
        if port.v6 is not None and port.v6.sockets is not None:
            v6 = port.v6.take()
            self.local6 = (port.v6.host, port.v6.port)
            self._rtp6 = await self._endpoint(loop, v6[0], False)
            self._rtcp6 = await self._endpoint(loop, v6[1], True)

    async def _endpoint(
        self, loop: asyncio.AbstractEventLoop, sock: socket.socket, rtcp_port: bool
    ) -> _Endpoint:
        sock.setblocking(False)
        _, protocol = await loop.create_datagram_endpoint(
            lambda: _Endpoint(self, rtcp_port), sock=sock
        )
        return protocol

    def dispatch(self, data: bytes, addr: Address, *, rtcp_port: bool = False) -> None:
        """Hand one datagram to the handler its kind belongs to (RFC 7983 §7); STUN that
        reached the RTCP port goes to ``on_rtcp_stun`` when there is one."""
        kind = classify(data)
        if kind is PacketKind.RTP:
            if (packet := self.protection.unprotect_rtp(data)) is not None:
                self.on_rtp(packet, addr)
        elif kind is PacketKind.RTCP:
            if (packet := self.protection.unprotect_rtcp(data)) is not None:
                self.on_rtcp(packet, addr)
        elif kind is PacketKind.STUN and rtcp_port and self.on_rtcp_stun is not None:
            self.on_rtcp_stun(data, addr)
        elif kind is PacketKind.STUN and self.on_stun is not None:
            self.on_stun(data, addr)
        elif kind is PacketKind.DTLS and self.on_dtls is not None:
            self.on_dtls(data, addr)
        elif kind is PacketKind.DTLS and len(self._early_dtls) < EARLY_DTLS:
            self._early_dtls.append((data, addr))
        else:
            self.dropped += 1

    def set_dtls_handler(self, handler: Receiver) -> None:
        """Send DTLS datagrams to ``handler`` from now on, the ones held so far first."""
        self.on_dtls = handler
        early, self._early_dtls = self._early_dtls, []
        for data, addr in early:
            handler(data, addr)

    def send_rtp(self, data: bytes, addr: Address) -> None:
        """Send an RTP (or STUN) datagram from the RTP port (of ``addr``'s family)."""
        self._send(self._route(self._rtp, self._rtp6, addr), data, addr)

    def send_rtcp(self, data: bytes, addr: Address) -> None:
        """Send an RTCP datagram from the RTCP port, or the RTP port when multiplexed (of
        ``addr``'s family)."""
        if self.rtcp_mux:
            self._send(self._route(self._rtp, self._rtp6, addr), data, addr)
        else:
            self._send(self._route(self._rtcp, self._rtcp6, addr), data, addr)

    @staticmethod
    def _route(first: _Endpoint | None, v6: _Endpoint | None, addr: Address) -> _Endpoint | None:
        return v6 if v6 is not None and ":" in addr[0] else first

    @staticmethod
    def _send(endpoint: _Endpoint | None, data: bytes, addr: Address) -> None:
        if endpoint is None or endpoint.transport is None or endpoint.transport.is_closing():
            return
        try:
            endpoint.transport.sendto(data, addr)
        except OSError as exc:  # unreachable family, no route: media is best effort
            log.debug("cannot send to %s: %s", addr, exc)

    def close(self) -> None:
        """Close both endpoints and their sockets."""
        for endpoint in (self._rtp, self._rtcp, self._rtp6, self._rtcp6):
            if endpoint is not None and endpoint.transport is not None:
                endpoint.transport.close()
        self._rtp = self._rtcp = self._rtp6 = self._rtcp6 = None
