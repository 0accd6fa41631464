"""The SIP transport layer on asyncio: UDP, TCP and TLS listeners and sends (RFC 3261 §18).

Theory of operation: every listener and connection parses what it receives and hands
each message to ``SipTransport._dispatch`` with the Flow it came on.  Inbound requests get
``received``/``rport`` stamped on their top Via first (RFC 3261 §18.2.1, RFC 3581 §4), so
the layers above can address responses without knowing about NATs.  Unparseable requests
are answered right here (400/505/513) and never reach the caller.  Responses go back the
way RFC 3261 §18.2.2 says: over the request's connection, or for UDP to received/rport
from the very socket the request arrived on, so that NAT bindings let them through.
"""

from __future__ import annotations

import asyncio
import errno
import logging
from collections.abc import Callable, Sequence

from alexphone.core.address import Address
from alexphone.core.errors import ConfigError, ParseError, TransportError
from alexphone.net.flow import (
    Flow,
    ListenSpec,
    TransportKind,
    address_key,
    format_address,
    ip_family,
    is_ip_literal,
    is_wildcard,
)
from alexphone.net.rate_limit import RequestLimiter, RequestLimits
from alexphone.net.rport import reliable_destination, stamp_received, udp_destination
from alexphone.net.source_address import source_address
from alexphone.net.tcp import TcpPool
from alexphone.net.tls import TlsSettings
from alexphone.net.udp import StunHandler, UdpEndpoint, open_udp
from alexphone.sip.message import Message, Request, Response
from alexphone.sip.parser import MAX_MESSAGE_BYTES

__all__ = ["Flow", "ListenSpec", "SipTransport", "TransportKind"]

OnMessage = Callable[[Message, Flow], None]


class SipTransport:
    """Listens on UDP/TCP, hands up parsed messages with their Flow, sends requests/responses."""

    def __init__(
        self,
        on_message: OnMessage,
        *,
        logger: logging.Logger | None = None,
        idle_timeout: float = 300.0,
        max_connections: int = 256,
        connect_timeout: float = 10.0,
        max_datagram: int = MAX_MESSAGE_BYTES,
        tls: TlsSettings | None = None,
        limits: RequestLimits | None = None,
    ) -> None:
        self._on_message = on_message
        self.limiter = RequestLimiter(limits)
        self._logger = logger or logging.getLogger("alexphone.net")
        self._max_datagram = max_datagram
        self._udp: list[UdpEndpoint] = []
        self._stun_handler: StunHandler | None = None
        self._listeners: list[ListenSpec] = []
        self._tcp = TcpPool(
            self._dispatch,
            self._logger,
            idle_timeout=idle_timeout,
            max_connections=max_connections,
            connect_timeout=connect_timeout,
        )
        tls = tls if tls is not None else TlsSettings()
        self._tls = TcpPool(
            self._dispatch,
            self._logger,
            idle_timeout=idle_timeout,
            max_connections=max_connections,
            connect_timeout=connect_timeout,
            kind=TransportKind.TLS,
            server_ssl=tls.server_context(),
            client_ssl=tls.client_context(),
        )

    @property
    def listeners(self) -> list[ListenSpec]:
        """The bound listeners (real ports, not 0)."""
        return list(self._listeners)

    async def start(
        self, specs: Sequence[ListenSpec], *, any_port_if_busy: bool = False
    ) -> list[ListenSpec]:
        """Open every listener; return them with their real ports (TransportError if busy).

        With ``any_port_if_busy`` a listener whose port another program holds opens on a
        free port instead; the caller sees it by comparing the ports returned with its own.
        """
        bound: list[ListenSpec] = []
        try:
            for spec in specs:
                bound.append(await self._listen_or_move(spec, any_port_if_busy))
        except BaseException:
            await self.close()
            raise
        return bound

    async def _listen_or_move(self, spec: ListenSpec, move: bool) -> ListenSpec:
        try:
            return await self._listen(spec)
        except TransportError as exc:
            cause = exc.__cause__
            busy = isinstance(cause, OSError) and cause.errno == errno.EADDRINUSE
            if not (move and busy and spec.port != 0):
                raise
        self._logger.info("%s is taken by another program; listening on a free port", spec)
        return await self._listen(ListenSpec(spec.kind, spec.host, 0))

    async def _listen(self, spec: ListenSpec) -> ListenSpec:
        if not is_ip_literal(spec.host):
            raise ConfigError(f"listen address {spec}: {spec.host!r} is not an IP address")
        if spec.kind is TransportKind.UDP:
            endpoint = await open_udp(
                spec.host, spec.port, self._dispatch, self._logger, self._max_datagram
            )
            endpoint.stun_handler = self._stun_handler
            endpoint.admit = self._admit
            self._udp.append(endpoint)
            local = endpoint.local
        elif spec.kind is TransportKind.TCP:
            local = await self._tcp.listen(spec.host, spec.port)
        else:
            if self._tls.server_ssl is None:
                raise ConfigError(f"listen address {spec}: a TLS listener needs --tls-cert")
            local = await self._tls.listen(spec.host, spec.port)
        listener = ListenSpec(spec.kind, local[0], local[1])
        self._listeners.append(listener)
        self._logger.debug("listening on %s", listener)
        return listener

    def _admit(self, source: str) -> bool:
        """Ask the flood limiter about a request from ``source``; log the first shed one."""
        if self.limiter.admit(source, asyncio.get_running_loop().time()):
            return True
        if self.limiter.shed % 1000 == 1:
            self._logger.info("request flood: %d requests shed so far", self.limiter.shed)
        return False

    def _dispatch(self, message: Message, flow: Flow) -> None:
        """Stamp inbound requests and hand every message up; callback errors are logged."""
        try:
            if isinstance(message, Request):
                # UDP asked the limiter before parsing; a stream's framer has parsed already
                if flow.kind is not TransportKind.UDP and not self._admit(flow.remote[0]):
                    return
                stamp_received(message, flow.remote)
            self._on_message(message, flow)
        except Exception:
            self._logger.exception("error handling a message from %s", flow)

    async def send_request(
        self,
        request: Request,
        kind: TransportKind,
        remote: Address,
        server_name: str | None = None,
    ) -> Flow:
        """Send a request to ``remote`` (an IP address); return the Flow it went on.

        ``server_name`` is the name a TLS peer's certificate must carry (RFC 5922).
        """
        _require_ip(remote)
        data = bytes(request)
        if kind is TransportKind.UDP:
            endpoint = self._udp_for(remote[0])
            endpoint.send(data, remote)
            return Flow(TransportKind.UDP, endpoint.local, remote)
        pool = self._pool(kind)
        bind = self._bind_host(kind, remote[0])
        connection = await pool.connection_to(remote, bind, server_name)
        connection.send(data)
        return connection.flow

    async def send_response(self, response: Response, flow: Flow) -> None:
        """Send a response back the way its request came (RFC 3261 §18.2.2, RFC 3581 §4)."""
        try:
            via = response.top_via
        except ParseError as error:
            raise TransportError(f"cannot route a response: {error}") from error
        data = bytes(response)
        if flow.kind is TransportKind.UDP:
            destination = udp_destination(via)
            _require_ip(destination)
            self._udp_by_local(flow.local, destination[0]).send(data, destination)
            return
        pool = self._pool(flow.kind)
        connection = pool.find(flow.remote)
        if connection is None:
            # RFC 3261 §18.2.2: the connection is gone, open one to received + sent-by port
            destination = reliable_destination(via)
            _require_ip(destination)
            host = self._bind_host(flow.kind, destination[0])
            connection = await pool.connection_to(destination, host)
        connection.send(data)

    def set_stun_handler(self, handler: StunHandler | None) -> None:
        """Route STUN datagrams of every UDP socket to ``handler`` (RFC 7983 §7 demux)."""
        self._stun_handler = handler
        for endpoint in self._udp:
            endpoint.stun_handler = handler

    def send_datagram(self, data: bytes, local: Address, remote: Address) -> None:
        """Send a raw datagram (a STUN probe) from the UDP socket bound to ``local``.

        A socket bound to the wildcard address of the same port and family also matches.
        TransportError if no socket matches or the datagram cannot go.
        """
        _require_ip(remote)
        family = ip_family(local[0])
        for endpoint in self._udp:
            if address_key(endpoint.local) == address_key(local):
                endpoint.send(data, remote)
                return
        for endpoint in self._udp:
            wildcard = is_wildcard(endpoint.local[0]) and endpoint.family == family
            if wildcard and endpoint.local[1] == local[1]:
                endpoint.send(data, remote)
                return
        raise TransportError(f"no UDP socket bound to {format_address(local)}")

    def is_open(self, flow: Flow) -> bool:
        """Tell whether a flow can still carry messages (its connection or socket is open)."""
        if flow.kind is TransportKind.UDP:
            return any(address_key(e.local) == address_key(flow.local) for e in self._udp)
        return self._pool(flow.kind).find(flow.remote) is not None

    def _pool(self, kind: TransportKind) -> TcpPool:
        return self._tls if kind is TransportKind.TLS else self._tcp

    def sent_by(self, kind: TransportKind, remote_host: str) -> Address:
        """Return the host and port to put in Via/Contact for messages toward ``remote_host``."""
        listener = self._listener_for(kind, remote_host)
        if not is_wildcard(listener.host):
            return listener.host, listener.port
        family = ip_family(listener.host)
        target = remote_host if is_ip_literal(remote_host) else None
        return source_address(target, family), listener.port

    async def close(self) -> None:
        """Close every socket and connection."""
        for endpoint in self._udp:
            endpoint.close()
        self._udp.clear()
        self._listeners.clear()
        await self._tcp.close()
        await self._tls.close()

    def _listener_for(self, kind: TransportKind, remote_host: str) -> ListenSpec:
        """The listener of ``kind`` in the remote's address family (the first one for names)."""
        candidates = [spec for spec in self._listeners if spec.kind is kind]
        if not candidates and kind is TransportKind.TLS:
            # an outbound-only TLS client: answers come back on the connection, so the
            # sent-by of a TCP (else any) listener only names us (RFC 3261 §18.2.2)
            candidates = [s for s in self._listeners if s.kind is TransportKind.TCP]
            candidates = candidates or list(self._listeners)
        if is_ip_literal(remote_host):
            family = ip_family(remote_host)
            candidates = [spec for spec in candidates if ip_family(spec.host) == family]
        if not candidates:
            raise TransportError(f"no {kind.value} listener can reach {remote_host}")
        if len(candidates) > 1 and is_ip_literal(remote_host):
            source = address_key((source_address(remote_host, ip_family(remote_host)), 0))
            for spec in candidates:
                if address_key((spec.host, 0)) == source:
                    return spec
            for spec in candidates:
                if is_wildcard(spec.host):
                    return spec
        return candidates[0]

    def _bind_host(self, kind: TransportKind, remote_host: str) -> str | None:
        """The source address for an outbound connection: a specific listener's, else any."""
        try:
            listener = self._listener_for(kind, remote_host)
        except TransportError:
            return None
        return None if is_wildcard(listener.host) else listener.host

    def _udp_for(self, remote_host: str) -> UdpEndpoint:
        """The UDP socket to send from toward ``remote_host``."""
        listener = self._listener_for(TransportKind.UDP, remote_host)
        for endpoint in self._udp:
            if endpoint.local == (listener.host, listener.port):
                return endpoint
        raise TransportError(f"no UDP socket for {listener}")

    def _udp_by_local(self, local: Address, remote_host: str) -> UdpEndpoint:
        """The socket a request arrived on (symmetric response), else one that can reach."""
        for endpoint in self._udp:
            same_socket = address_key(endpoint.local) == address_key(local)
            if same_socket and endpoint.family == ip_family(remote_host):
                return endpoint
        return self._udp_for(remote_host)


def _require_ip(address: Address) -> None:
    """Refuse names: resolving them (RFC 3263) happens before the transport."""
    host, port = address
    if not is_ip_literal(host):
        raise TransportError(f"{format_address(address)}: the transport needs an IP address")
    if not 0 < port <= 65535:
        raise TransportError(f"{format_address(address)}: port out of range")
