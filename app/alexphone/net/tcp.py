"""SIP over TCP: connections framed by Content-Length and a pool that reuses them.

RFC 3261 §18 asks a client to reuse an open connection to the same destination, and a
server to answer over the connection a request came in on; both look the connection up
by the remote address, whichever side opened it.  Each connection closes after
``idle_timeout`` seconds without traffic, and the pool holds at most ``max_connections``.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Callable

from alexphone.core.address import Address
from alexphone.core.errors import ParseError, TransportError
from alexphone.net.error_reply import error_reply
from alexphone.net.flow import Flow, TransportKind, address_key, format_address
from alexphone.sip.message import Message
from alexphone.sip.parser import StreamFramer

__all__ = ["TcpConnection", "TcpPool"]

Deliver = Callable[[Message, Flow], None]
_PING = 4  # RFC 5626 §3.5.1: a double CRLF is a ping, a single CRLF the pong


class TcpConnection(asyncio.Protocol):
    """One TCP connection: frames inbound bytes, answers pings, closes when idle."""

    def __init__(self, pool: TcpPool) -> None:
        self._pool = pool
        self._framer = StreamFramer()
        self._transport: asyncio.Transport | None = None
        self._unframed = b""  # the bytes the framer still holds, for error replies
        self._crlf = 0
        self._last_activity = 0.0
        self._idle_timer: asyncio.TimerHandle | None = None
        self.flow = Flow(pool.kind, ("", 0), ("", 0))

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Register with the pool, or hang up at once when the pool is full."""
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        local = transport.get_extra_info("sockname")
        remote = transport.get_extra_info("peername")
        self.flow = Flow(
            self._pool.kind, (str(local[0]), int(local[1])), (str(remote[0]), int(remote[1]))
        )
        if not self._pool.register(self):
            self._pool.logger.debug("refusing %s: too many connections", self.flow)
            transport.abort()
            return
        self._touch()

    def data_received(self, data: bytes) -> None:
        """Feed the framer; no exception may escape into the event loop."""
        try:
            self._receive(data)
        except Exception:
            self._pool.logger.exception("error handling data on %s", self.flow)
            self.close()

    def _receive(self, data: bytes) -> None:
        self._touch()
        if not self._unframed.strip(b"\r\n"):  # between messages
            self._answer_pings(data)
        try:
            messages = self._framer.feed(data)
        except ParseError as error:
            self._fail(self._unframed + data, error)
            return
        for raw, fault in self._framer.take_rejected():  # framed fine, content malformed
            self._pool.logger.debug("bad message from %s: %s", self.flow, fault)
            reply = error_reply(raw, fault)
            if reply is not None and self.is_open:  # a reply to a closed peer is moot
                self.send(reply)
        pending = self._framer.pending
        self._unframed = (self._unframed + data)[-pending:] if pending else b""
        for message in messages:
            self._pool.deliver(message, self.flow)
        if self._framer.failed is not None:
            self._fail(self._unframed, self._framer.failed)

    def _fail(self, unframed: bytes, error: ParseError) -> None:
        """Answer what can be answered, then close: framing is lost (RFC 3261 §18.3)."""
        self._pool.logger.debug("framing error from %s: %s", self.flow, error)
        reply = error_reply(unframed, error)
        if reply is not None and self.is_open:
            self.send(reply)
        self.close()

    def _answer_pings(self, data: bytes) -> None:
        """Answer each CRLFCRLF seen between messages with one CRLF (RFC 5626 §3.5.1).

        Counts CR/LF octets across reads, so a ping split over segments is still seen.
        """
        leading = len(data) - len(data.lstrip(b"\r\n"))
        self._crlf += leading
        while self._crlf >= _PING:
            if self.is_open:  # the peer may have closed already: the pong is moot
                self.send(b"\r\n")
            self._crlf -= _PING
        if leading < len(data):
            self._crlf = 0

    def send(self, data: bytes) -> None:
        """Write bytes to the connection (TransportError if it is closed)."""
        if self._transport is None or self._transport.is_closing():
            raise TransportError(f"connection {self.flow} is closed")
        self._transport.write(data)
        self._touch()

    @property
    def is_open(self) -> bool:
        """Tell whether the connection can still carry data."""
        return self._transport is not None and not self._transport.is_closing()

    def close(self) -> None:
        """Close after the buffered data is written."""
        if self._transport is not None:
            self._transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        """Forget the connection."""
        if self._idle_timer is not None:
            self._idle_timer.cancel()
        self._pool.unregister(self)
        self._pool.logger.debug("connection %s closed (%s)", self.flow, exc or "normally")

    def _touch(self) -> None:
        loop = asyncio.get_running_loop()
        self._last_activity = loop.time()
        if self._idle_timer is None:
            deadline = self._last_activity + self._pool.idle_timeout
            self._idle_timer = loop.call_at(deadline, self._check_idle)

    def _check_idle(self) -> None:
        loop = asyncio.get_running_loop()
        deadline = self._last_activity + self._pool.idle_timeout
        if loop.time() >= deadline:
            self._idle_timer = None
            self._pool.logger.debug("closing idle connection %s", self.flow)
            self.close()
        else:
            self._idle_timer = loop.call_at(deadline, self._check_idle)


class TcpPool:
    """The open TCP (or TLS) connections, by remote address, plus the listening servers."""

    def __init__(
        self,
        deliver: Deliver,
        logger: logging.Logger,
        *,
        idle_timeout: float,
        max_connections: int,
        connect_timeout: float,
        kind: TransportKind = TransportKind.TCP,
        server_ssl: ssl.SSLContext | None = None,
        client_ssl: ssl.SSLContext | None = None,
    ) -> None:
        self.kind = kind
        self.server_ssl = server_ssl
        self.client_ssl = client_ssl
        self.deliver = deliver
        self.logger = logger
        self.idle_timeout = idle_timeout
        self.max_connections = max_connections
        self.connect_timeout = connect_timeout
        self._connections: dict[Address, TcpConnection] = {}
        self._connecting: dict[Address, asyncio.Future[TcpConnection]] = {}
        self._servers: list[asyncio.Server] = []

    def register(self, connection: TcpConnection) -> bool:
        """Track a new connection; False when the pool is full."""
        if len(self._connections) >= self.max_connections:
            return False
        self._connections[address_key(connection.flow.remote)] = connection
        return True

    def unregister(self, connection: TcpConnection) -> None:
        """Forget a closed connection."""
        key = address_key(connection.flow.remote)
        if self._connections.get(key) is connection:
            del self._connections[key]

    def find(self, remote: Address) -> TcpConnection | None:
        """Return an open connection to ``remote``, if any."""
        connection = self._connections.get(address_key(remote))
        return connection if connection is not None and connection.is_open else None

    async def listen(self, host: str, port: int) -> Address:
        """Start a listening server; return its bound address."""
        loop = asyncio.get_running_loop()
        try:
            server = await loop.create_server(
                lambda: TcpConnection(self), host, port, reuse_address=True, ssl=self.server_ssl
            )
        except OSError as error:
            where = format_address((host, port))
            raise TransportError(f"cannot listen on {self.kind.value}:{where}: {error}") from error
        self._servers.append(server)
        bound = server.sockets[0].getsockname()
        return str(bound[0]), int(bound[1])

    async def connection_to(
        self, remote: Address, local_host: str | None, server_name: str | None = None
    ) -> TcpConnection:
        """Reuse the open connection to ``remote`` or open one (RFC 3261 §18.1.1).

        Over TLS the peer's certificate must match ``server_name`` (RFC 5922 §7.2: the SIP
        domain), or the address when no name is known.
        """
        existing = self.find(remote)
        if existing is not None:
            return existing
        key = address_key(remote)
        pending = self._connecting.get(key)
        if pending is None:
            pending = asyncio.ensure_future(self._connect(remote, local_host, server_name))
            self._connecting[key] = pending
            pending.add_done_callback(lambda _f: self._connecting.pop(key, None))
        return await asyncio.shield(pending)

    async def _connect(
        self, remote: Address, local_host: str | None, server_name: str | None
    ) -> TcpConnection:
        if len(self._connections) >= self.max_connections:
            where = format_address(remote)
            raise TransportError(f"cannot connect to {where}: too many connections")
        loop = asyncio.get_running_loop()
        local_addr = (local_host, 0) if local_host is not None else None
        context, hostname = None, None
        if self.kind is TransportKind.TLS:
            if self.client_ssl is None:
                raise TransportError("TLS is not configured")
            context, hostname = self.client_ssl, server_name or remote[0]
        try:
            _transport, connection = await asyncio.wait_for(
                loop.create_connection(
                    lambda: TcpConnection(self),
                    remote[0],
                    remote[1],
                    local_addr=local_addr,
                    ssl=context,
                    server_hostname=hostname,
                ),
                self.connect_timeout,
            )
        except (OSError, TimeoutError) as error:  # ssl.SSLError is an OSError
            where = f"{self.kind.value}:{format_address(remote)}"
            raise TransportError(f"cannot connect to {where}: {error!r}") from error
        if not connection.is_open:
            raise TransportError(f"connection to {format_address(remote)} was refused locally")
        return connection

    async def close(self) -> None:
        """Stop the servers and close every connection."""
        for server in self._servers:
            server.close()
        for connection in list(self._connections.values()):
            connection.close()
        for server in self._servers:
            await server.wait_closed()
        self._servers.clear()
