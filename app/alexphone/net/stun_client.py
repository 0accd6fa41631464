"""STUN Binding requests sent from a socket someone else owns (RFC 8489 §6.2.1, RFC 8445 §5.1.1.2).

A reflexive candidate is only worth announcing if it is the mapping of the very socket that
will carry the flow, so the request has to leave from the media (or SIP) socket itself. This
adapter drives the sans-I/O ``StunTransaction`` on the event loop's clock: it sends through the
owner's send function, and the owner hands over the STUN datagrams its RFC 7983 demultiplexer
found (``receive`` tells whether one answered a pending request, so the rest can go on to the
connectivity checks). Every binding is bounded by a timeout: gathering never holds a call up.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import os
import socket
from collections.abc import Callable

from alexphone.core.address import Address
from alexphone.core.errors import ConfigError, ParseError, TransportError
from alexphone.net.core_driver import CoreDriver
from alexphone.stun.message import binding_request, parse
from alexphone.stun.transaction import (
    StunFailed,
    StunSucceeded,
    StunTimedOut,
    StunTimerConfig,
    StunTransaction,
)

log = logging.getLogger(__name__)
Send = Callable[[bytes, Address], None]

STUN_PORT = 3478  # RFC 8489 §18.4
# RFC 8489 §6.2.1 allows a smaller RTO when the path is known to be good; with 300 ms three
# requests fit in the 1.5 s gathering bound (0, 0.3, 0.9 s).
GATHERING_TIMERS = StunTimerConfig(rto=0.3)


def parse_server(text: str, option: str = "--stun") -> Address:
    """Parse ``HOST[:PORT]`` or ``stun:HOST[:PORT]`` (IPv6 in brackets); ConfigError if bad."""
    body = text.strip()
    if body.lower().startswith("stun:"):
        body = body[5:]
    host, port_text = body, ""
    if body.startswith("["):
        host, bracket, rest = body[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            raise ConfigError(f"{option}: {text!r}: use HOST:PORT or [IPv6]:PORT")
        port_text = rest[1:]
    elif body.count(":") == 1:
        host, _, port_text = body.partition(":")
    elif ":" in body:
        raise ConfigError(f"{option}: {text!r}: put an IPv6 address in brackets, [addr]:port")
    if not host or any(c.isspace() or c in "/?#@" for c in host):
        raise ConfigError(f"{option}: {text!r}: no host name or address")
    if not port_text:
        return host, STUN_PORT
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ConfigError(f"{option}: {text!r}: the port must be 1..65535")
    return host, int(port_text)


async def resolve_server(server: Address, family: int | None = None) -> Address | None:
    """Resolve a server name to one address (of ``family`` if given); None if it has none."""
    host, port = server
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        wanted = {4: socket.AF_INET, 6: socket.AF_INET6}[ip.version]
        return (ip.compressed, port) if family in (None, wanted) else None
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(
            host, port, family=family or 0, type=socket.SOCK_DGRAM
        )
    except OSError as exc:
        log.info("cannot resolve %s: %s", host, exc)
        return None
    for _family, _type, _proto, _name, sockaddr in infos:
        return (str(sockaddr[0]), int(sockaddr[1]))
    return None


def _same(a: Address, b: Address) -> bool:
    try:
        return ipaddress.ip_address(a[0]) == ipaddress.ip_address(b[0]) and a[1] == b[1]
    except ValueError:
        return False


_Pending = tuple[CoreDriver[StunTransaction], Address, asyncio.Future[Address]]


class StunClient:
    """Binding transactions through ``send``; feed the socket's STUN datagrams to ``receive``."""

    def __init__(
        self,
        send: Send,
        *,
        timers: StunTimerConfig = GATHERING_TIMERS,
        random_bytes: Callable[[int], bytes] = os.urandom,
    ) -> None:
        self._send = send
        self._timers = timers
        self._random_bytes = random_bytes
        self._pending: dict[
            bytes, tuple[CoreDriver[StunTransaction], Address, asyncio.Future[Address]]
        ] = {}
        self.requests_sent = 0

    async def binding(self, server: Address, timeout: float) -> Address | None:
        """Ask ``server`` for our mapped address (RFC 8489 §6.2.1); None on timeout or error."""
        transaction_id = self._random_bytes(12)  # RFC 8489 §5: 96 random bits
        transaction = StunTransaction(
            transaction_id, binding_request(transaction_id), config=self._timers
        )
        result: asyncio.Future[Address] = asyncio.get_running_loop().create_future()
        driver = CoreDriver(transaction, lambda now: self._flush(transaction, server, result, now))
        self._pending[transaction_id] = (driver, server, result)
        transaction.start(driver.now())
        driver.transmit()
        try:
            return await asyncio.wait_for(asyncio.shield(result), timeout)
        except (TimeoutError, ConnectionError) as exc:
            log.info("STUN binding to %s: %s", server, exc or "no answer")
            return None
        finally:
            driver.close()
            del self._pending[transaction_id]

    def receive(self, data: bytes, addr: Address) -> bool:
        """Take a STUN datagram; True if it answered one of our pending requests."""
        try:
            message = parse(data)
        except ParseError:
            return False
        entry = self._pending.get(message.transaction_id)
        if entry is None:
            return False
        driver, server, _result = entry
        if not _same(addr, server):
            log.debug("STUN answer for %s came from %s: ignored", server, addr)
            return True  # ours, but not from where we asked: drop it
        driver.core.receive(message, driver.now())
        driver.transmit()
        return True

    def _flush(
        self,
        transaction: StunTransaction,
        server: Address,
        result: asyncio.Future[Address],
        now: float,
    ) -> None:
        for datagram in transaction.datagrams_to_send(now):
            self.requests_sent += 1
            try:
                self._send(datagram, server)
            except (OSError, TransportError) as exc:  # no route: counts as no answer
                log.debug("cannot send STUN to %s: %s", server, exc)
        event = transaction.next_event()
        if result.done() or event is None:
            return
        if isinstance(event, StunSucceeded):
            mapped = event.response.xor_mapped_address
            if mapped is None:  # RFC 8489 §14.2: a success must carry it
                result.set_exception(ConnectionError("success without XOR-MAPPED-ADDRESS"))
            else:
                result.set_result((ipaddress.ip_address(mapped[0]).compressed, int(mapped[1])))
        elif isinstance(event, StunFailed):
            code = event.response.error_code
            result.set_exception(ConnectionError(f"error response {code}"))
        elif isinstance(event, StunTimedOut):
            result.set_exception(ConnectionError("transaction timed out"))
