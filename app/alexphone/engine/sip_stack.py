"""Drives the sans-I/O transaction layer with the asyncio transport and one loop timer."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from alexphone.core.address import Address
from alexphone.core.errors import ParseError, TransportError
from alexphone.engine.events import Direction
from alexphone.net.core_driver import CoreDriver
from alexphone.net.task_set import TaskSet
from alexphone.net.tls import TlsSettings
from alexphone.net.transport import Flow, ListenSpec, SipTransport, TransportKind
from alexphone.sip.headers import NameAddress
from alexphone.sip.message import Message, Request, Response
from alexphone.sip.timer_config import TimerConfig
from alexphone.sip.transaction import TransactionEvent, TransactionId, TransactionTerminated
from alexphone.sip.transaction_layer import TransactionLayer, client_key
from alexphone.sip.uri import SipUri

log = logging.getLogger(__name__)


WireTap = Callable[[Direction, Address, Message], None]  # (way, peer, message)


@dataclass(frozen=True, slots=True)
class Destination:
    """Where a request goes: a transport and a resolved address."""

    kind: TransportKind
    address: Address
    name: str | None = None  # the host name resolved, which a TLS certificate must carry


class SipStack:
    """Feeds datagrams and timers into the transaction layer and sends what it queues."""

    def __init__(
        self,
        on_event: Callable[[TransactionEvent], None],
        tls: TlsSettings | None = None,
        on_wire: WireTap | None = None,
        timers: TimerConfig | None = None,
    ) -> None:
        self._on_event = on_event
        self._on_wire = on_wire
        self.layer = TransactionLayer(timers)
        self.transport = SipTransport(self._received, logger=log, tls=tls)
        self._driver = CoreDriver(self.layer, self._flush)
        self._sends = TaskSet(log, "SIP send")
        self._by_key: dict[tuple[str, str], TransactionId] = {}  # to report send failures
        self._key_of: dict[TransactionId, tuple[str, str]] = {}

    async def start(
        self, specs: Sequence[ListenSpec], *, any_port_if_busy: bool = False
    ) -> list[ListenSpec]:
        """Open the listeners; return them with their real ports (moved ones if busy)."""
        return await self.transport.start(specs, any_port_if_busy=any_port_if_busy)

    async def close(self) -> None:
        """Stop timers and close every socket."""
        self._driver.close()
        await self._sends.close(grace=1.0)  # let queued sends (final responses, CANCEL, BYE) leave
        await self.transport.close()

    def now(self) -> float:
        """Return the loop's monotonic time, the clock every protocol core gets."""
        return self._driver.now()

    def start_client(self, request: Request, destination: Destination) -> TransactionId:
        """Send ``request`` in a new client transaction."""
        reliable = destination.kind is not TransportKind.UDP
        tid = self.layer.start_client(request, destination, self.now(), reliable=reliable)
        key = client_key(request)
        self._by_key[key] = tid
        self._key_of[tid] = key
        self._driver.transmit()
        return tid

    def respond(self, transaction_id: TransactionId, response: Response) -> None:
        """Answer a server transaction."""
        self.layer.respond(transaction_id, response, self.now())
        self._driver.transmit()

    def send_stateless(self, message: Message, destination: Destination | Flow) -> None:
        """Send outside any transaction: the ACK for a 2xx, a 2xx retransmission (§13.3.1.4)."""
        self.layer.send(message, destination)
        self._driver.transmit()

    def _received(self, message: Message, flow: Flow) -> None:
        if self._on_wire is not None:
            self._on_wire(Direction.IN, flow.remote, message)
        try:
            self.layer.receive(
                message, flow, self.now(), reliable=flow.kind is not TransportKind.UDP
            )
        except ParseError as exc:
            log.debug("dropped message from %s: %s", flow.remote, exc)
        self._driver.transmit()

    def _flush(self, now: float) -> None:
        while (item := self.layer.next_output()) is not None:
            self._sends.spawn(self._send(item.message, item.destination))
        while (event := self.layer.next_event()) is not None:
            if isinstance(event, TransactionTerminated):
                key = self._key_of.pop(event.transaction_id, None)
                if key is not None:
                    self._by_key.pop(key, None)
            try:
                self._on_event(event)
            except Exception:  # the TU must never take the stack down with it
                log.exception("transaction user failed on %s", type(event).__name__)

    async def _send(self, message: Message, destination: object) -> None:
        try:
            if isinstance(message, Response):
                assert isinstance(destination, Flow)
                await self.transport.send_response(message, destination)
            elif isinstance(destination, Destination):
                await self.transport.send_request(
                    message, destination.kind, destination.address, destination.name
                )
            elif isinstance(destination, Flow):
                await self.transport.send_request(message, destination.kind, destination.remote)
            if self._on_wire is not None:
                peer = destination.remote if isinstance(destination, Flow) else None
                if isinstance(destination, Destination):
                    peer = destination.address
                self._on_wire(Direction.OUT, peer or ("", 0), message)
        except TransportError as exc:
            log.info("send to %s failed: %s", destination, exc)
            if isinstance(message, Request) and message.method != "ACK":
                tid = self._by_key.get(client_key(message))
                if tid is not None:
                    self.layer.transport_failed(tid, self.now())
                    self._driver.transmit()


def contact_address(
    user: str | None, sent_by: Address, kind: TransportKind, secure: bool
) -> NameAddress:
    """Our Contact at ``sent_by``: a sips: URI if ``secure``, else sip: with its transport."""
    host, port = sent_by
    if secure:  # RFC 5630 §3.2: sips: means TLS; no transport=tls beside it
        return NameAddress(SipUri(host=host, user=user, port=port, scheme="sips"))
    uri = SipUri(host=host, user=user, port=port)
    if kind is not TransportKind.UDP:
        uri = uri.with_params(transport=kind.value)
    return NameAddress(uri)
