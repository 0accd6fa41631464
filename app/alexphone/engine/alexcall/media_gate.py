"""Where a call's probes and media leave from, and the media gate (docs/ALEX.md "Media gate").

While checks run (ALEX, or ICE with an ICE peer) RTP and RTCP only go to an address that
answered an authenticated probe, from the base that probe proved: the selected audio pair's,
else any checked one. A base that is our TURN relayed address sends through the allocation.
When RTCP has a flow of its own (ICE component 2, ice.py) it goes to that flow's selected pair,
else to the best one a check proved, and nowhere before.

Probes leave from their base: through the relay for the relayed address, through the call's
media socket for an audio base (its RTP port; its RTCP port for a component-2 base; held, at
most ``MAX_PENDING``, until that socket opens), else from the SIP socket. What arrives back goes
to the owner's ``receive`` with the base it reached: STUN on a media socket (the base by
address family, ``media_sockets.py``, and by port), and datagrams a peer sent to our relayed
address (RFC 7983: STUN to the agent, the rest to the media socket).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from alexphone.alex.probe import Datagram
from alexphone.core.address import Address
from alexphone.core.errors import TransportError
from alexphone.engine.alexcall.headers import media_bound_for
from alexphone.net.rtp_socket import RtpSocket
from alexphone.net.transport import SipTransport
from alexphone.net.turn_client import RelayAllocation

log = logging.getLogger(__name__)
MAX_PENDING = 64  # media datagrams held until the media socket opens
Send = Callable[[bytes, Address], None]
CheckedBase = Callable[[Address], Address | None]  # our base proven toward a remote, if any
BaseOf = Callable[[Address, Address], Address]  # (socket bound address, remote) -> our base
Receive = Callable[[bytes, Address, Address], None]  # data, the base it reached, from
RtcpRoute = Callable[[], tuple[Address, Address] | None]  # RTCP's own checked (base, remote)
RtcpApart = Callable[[], bool]  # RTCP has a flow of its own (ICE component 2)


class MediaGate:
    """One call's media sockets, relays and gate; the agent's view comes from the owner."""

    def __init__(
        self,
        media: Address,
        transport: SipTransport,
        *,
        checked_base: CheckedBase,
        base_of: BaseOf,
        receive: Receive,
        rtcp_apart: RtcpApart = lambda: False,
        rtcp_route: RtcpRoute = lambda: None,
    ) -> None:
        self._bounds = [media]  # the bound address of each media pair (IPv4 first)
        self._transport = transport
        self._checked_base = checked_base
        self._base_of = base_of
        self._receive = receive
        self._rtcp_apart = rtcp_apart
        self._rtcp_route = rtcp_route
        self._socket: RtpSocket | None = None
        self._pending: list[tuple[Datagram, bool]] = []  # (datagram, from the RTCP port)
        self._relays: dict[Address, RelayAllocation] = {}  # relayed address -> allocation
        self._closed = False

    @property
    def bounds(self) -> tuple[Address, ...]:
        """The bound addresses of the call's media pairs."""
        return tuple(self._bounds)

    @property
    def socket(self) -> RtpSocket | None:
        """The open media socket, None before the media starts."""
        return self._socket

    def add_bound(self, bound: Address) -> bool:
        """Another media pair (IPv6) is bound there; False if it was known."""
        if bound in self._bounds:
            return False
        self._bounds.append(bound)
        return True

    def attach(self, socket: RtpSocket) -> None:
        """The media socket is open: take its STUN and send what waited for it."""
        if self._closed:
            return
        self._socket = socket
        socket.on_stun = self._on_media_stun
        socket.on_rtcp_stun = self._on_rtcp_stun
        pending, self._pending = self._pending, []
        for datagram, rtcp in pending:
            send = socket.send_rtcp if rtcp else socket.send_rtp
            send(datagram.data, datagram.remote)

    def add_relay(self, relay: RelayAllocation) -> None:
        """Probes and media from ``relay.relayed`` go through this TURN allocation."""
        relayed = relay.relayed
        self._relays[relayed] = relay
        relay.on_receive = lambda data, remote: self._on_relay(relayed, data, remote)

    def drop_relays(self) -> None:
        """Forget the relays (the owner frees their allocations)."""
        for relay in self._relays.values():
            relay.on_receive = None
        self._relays.clear()

    def send_probe(self, datagram: Datagram, audio: bool, *, rtcp: bool = False) -> None:
        """Send a datagram of the agent from its base (``audio``: a media socket's RTP base;
        ``rtcp``: its RTCP base)."""
        relay = self._relays.get(datagram.base)
        if relay is not None:
            if relay.active:
                relay.send(datagram.data, datagram.remote)
            return
        if audio or rtcp:
            if self._socket is not None:
                send = self._socket.send_rtcp if rtcp else self._socket.send_rtp
                send(datagram.data, datagram.remote)
            elif len(self._pending) < MAX_PENDING:
                self._pending.append((datagram, rtcp))
            return
        try:
            self._transport.send_datagram(datagram.data, datagram.base, datagram.remote)
        except TransportError as exc:
            log.debug("probe from %s not sent: %s", datagram.base, exc)

    def gate(self, send: Send, gating: Callable[[], bool], *, rtcp: bool = False) -> Send:
        """Wrap a media send: while ``gating()``, only to checked addresses (RTCP: port − 1),
        through the relay when the checked base is our relayed address."""

        def gated(data: bytes, remote: Address) -> None:
            if not gating():
                send(data, remote)
                return
            if rtcp and self._rtcp_apart():
                route = self._rtcp_route()  # its own checked pair, nothing before one
                if route is not None:
                    self._send_from(route[0], send, data, route[1])
                return
            rtp = (remote[0], remote[1] - 1) if rtcp else remote
            base = self._checked_base(remote) or self._checked_base(rtp)
            if base is not None:
                self._send_from(base, send, data, remote)

        return gated

    def _send_from(self, base: Address, send: Send, data: bytes, remote: Address) -> None:
        relay = self._relays.get(base)
        if relay is None:
            send(data, remote)
        elif relay.active:
            relay.send(data, remote)

    def _on_media_stun(self, data: bytes, remote: Address) -> None:
        if not self._closed:
            bound = media_bound_for(self._bounds, remote)
            self._receive(data, self._base_of(bound, remote), remote)

    def _on_rtcp_stun(self, data: bytes, remote: Address) -> None:
        """STUN on a media pair's RTCP port (port + 1): a component-2 check or answer."""
        if not self._closed:
            host, port = media_bound_for(self._bounds, remote)
            self._receive(data, self._base_of((host, port + 1), remote), remote)

    def _on_relay(self, relayed: Address, data: bytes, remote: Address) -> None:
        """A datagram a peer sent to our relayed address (RFC 7983: STUN, else media)."""
        if self._closed or not data:
            return
        if data[0] < 4:
            self._receive(data, relayed, remote)
        elif self._socket is not None:
            self._socket.dispatch(data, remote)

    def close(self) -> None:
        """The call ended: let go of the media socket and the relays."""
        self._closed = True
        if self._socket is not None:
            self._socket.on_stun = self._socket.on_rtcp_stun = None
        self._pending.clear()
        self.drop_relays()
