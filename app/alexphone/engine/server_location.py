"""Where a request goes: RFC 3263 targets for a next hop, tried in order with failover.

The UA asks for destinations; every destination of one resolution stays
grouped, so a request sent to any of them can fail over to the others on a
transport error, a Timer B/F timeout or a 503 (RFC 3263 §4.3). A target that
failed is remembered for a while and tried last (``FailedTargets``).
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
from collections.abc import Callable

from alexphone.core.address import Address
from alexphone.core.errors import TransportError
from alexphone.discovery.failed_targets import FailedTargets
from alexphone.discovery.resolver import ResolutionError, SipResolver
from alexphone.engine.events import ErrorReported, ErrorSource, Event
from alexphone.engine.response_handler import ResponseHandler
from alexphone.engine.sip_stack import Destination
from alexphone.net.transport import TransportKind
from alexphone.sip.message import Response
from alexphone.sip.uri import SipUri

log = logging.getLogger(__name__)


class ServerLocator:
    """Resolves next-hop URIs to ordered destinations and remembers failures."""

    def __init__(
        self,
        dns_server: Address | None,
        emit: Callable[[Event], None],
        clock: Callable[[], float],
    ) -> None:
        self.resolver = SipResolver(dns_server)
        self.failed = FailedTargets()
        self._emit = emit
        self._clock = clock
        self._groups: dict[Destination, tuple[Destination, ...]] = {}

    async def destinations(self, uri: SipUri) -> list[Destination]:
        """Return every destination for ``uri``, recently failed ones last (or TransportError)."""
        kind_name = uri.transport or ("tls" if uri.scheme == "sips" else "udp")
        try:
            kind = TransportKind(kind_name)
        except ValueError:
            raise TransportError(f"unsupported transport {kind_name!r}") from None
        host = uri.param("maddr") or uri.host
        if _is_numeric(host):  # RFC 3263 §4.2: no DNS for a numeric host
            return [Destination(kind, (host, uri.port or kind.default_port))]
        try:
            resolution = await self.resolver.resolve(uri)
        except ResolutionError as exc:
            found = await self._system_lookup(uri, kind, host)
            if found is None:
                raise
            log.debug("DNS found nothing for %s (%s); the system resolver did", host, exc)
            return [found]
        if resolution.problems:  # RFC 3263 §4.1 fallback happened: say so, once per lookup
            self._emit(ErrorReported(ErrorSource.DNS, "; ".join(resolution.problems)))
        group = tuple(
            Destination(t.transport, (t.address, t.port), name=t.host) for t in resolution.targets
        )
        for destination in group:
            self._groups[destination] = group
        return self.failed.order(group, self._clock())

    def plan(self, destination: Destination) -> list[Destination]:
        """Return the destinations to try for a request aimed at ``destination``, in order."""
        group = self._groups.get(destination, (destination,))
        rest = [d for d in group if d != destination]
        return self.failed.order([destination, *rest], self._clock())

    def mark_failed(self, destination: Destination) -> None:
        """Remember that ``destination`` failed (RFC 3263 §4.3)."""
        log.info("target %s failed; trying the next one", destination.address)
        self.failed.mark(destination, self._clock())

    def mark_working(self, destination: Destination) -> None:
        """Forget an earlier failure of ``destination``."""
        self.failed.clear(destination)

    async def _system_lookup(
        self, uri: SipUri, kind: TransportKind, host: str
    ) -> Destination | None:
        """Ask the system resolver (/etc/hosts, e.g. "localhost") when DNS has nothing."""
        port = uri.port or kind.default_port
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_DGRAM)
        except OSError:
            return None
        address = infos[0][4]
        return Destination(kind, (str(address[0]), int(address[1])), name=host)


class FailoverHandler:
    """Wraps a request's handler: a failure or a 503 moves on to the next destination."""

    def __init__(
        self,
        inner: ResponseHandler,
        locator: ServerLocator,
        plan: list[Destination],
        resend: Callable[[Destination, FailoverHandler], None],
    ) -> None:
        self.inner = inner
        self.locator = locator
        self.current = plan[0]
        self._rest = plan[1:]
        self._resend = resend

    def on_response(self, response: Response) -> None:
        """Pass a response on, unless it is a 503 and another destination is left."""
        if response.status == 503 and self._next():  # RFC 3263 §4.3
            return
        if response.status < 500:
            self.locator.mark_working(self.current)
        self.inner.on_response(response)

    def on_failure(self, status: int, reason: str) -> None:
        """Fail over on a timeout or transport error; report only when nothing is left."""
        if not self._next():
            self.inner.on_failure(status, reason)

    def _next(self) -> bool:
        self.locator.mark_failed(self.current)
        if not self._rest:
            return False
        self.current = self._rest.pop(0)
        self._resend(self.current, self)
        return True


def _is_numeric(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
