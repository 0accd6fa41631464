"""Requests out, responses back (RFC 3261 §8.1.2, §17): addressed, failed over, retransmitted."""

from __future__ import annotations

import logging
from collections.abc import Callable

from alexphone.core.errors import ConfigError, ParseError, ProtocolError, TransportError
from alexphone.core.ids import IdFactory
from alexphone.engine.message_factory import MessageFactory
from alexphone.engine.response_handler import ResponseHandler
from alexphone.engine.server_location import FailoverHandler, ServerLocator
from alexphone.engine.sip_stack import Destination, SipStack
from alexphone.net.core_driver import CoreDriver
from alexphone.net.task_set import TaskSet
from alexphone.net.transport import Flow, TransportKind
from alexphone.sip.auth import DigestClient
from alexphone.sip.dialog import needs_sips_contact, next_hop
from alexphone.sip.headers import Via
from alexphone.sip.message import Request, Response
from alexphone.sip.retransmitter import TwoHundredRetransmitter
from alexphone.sip.transaction import (
    ResponseReceived,
    TransactionEvent,
    TransactionId,
    TransactionTerminated,
    TransactionTimedOut,
    TransportFailed,
)
from alexphone.sip.uri import SipUri, Uri

log = logging.getLogger(__name__)
_CallSeq = tuple[str, int]  # (Call-ID, CSeq number): the 2xx an ACK acknowledges
_CONTACT_METHODS = ("INVITE", "UPDATE", "SUBSCRIBE", "NOTIFY", "REFER")  # REFER: RFC 3515 §2.4.1


class RequestSender:
    """Sends our requests and 2xx answers; routes each response to the handler that waits for it."""

    def __init__(
        self,
        stack: SipStack,
        messages: MessageFactory,
        locator: ServerLocator,
        digests: Callable[[Request], DigestClient | None],
        on_no_ack: Callable[[str], None],
    ) -> None:
        self.stack = stack
        self.locator = locator
        self._messages = messages
        self._ids: IdFactory = messages.ids
        self._digests = digests  # the credentials of the account a request goes out for
        self._on_no_ack = on_no_ack  # Call-ID whose 2xx went unacknowledged for 64·T1
        self._handlers: dict[TransactionId, ResponseHandler] = {}
        self._sources: dict[TransactionId, Flow] = {}
        self._retransmitters: dict[_CallSeq, CoreDriver[TwoHundredRetransmitter]] = {}
        self._tasks = TaskSet(log, "request sender task")

    # -- client side ------------------------------------------------------------------------
    def send(
        self, request: Request, handler: ResponseHandler, destination: Destination | None = None
    ) -> None:
        """Address and send a request in a client transaction; failures reach ``handler``."""
        self._tasks.spawn(self._send(request, handler, destination))

    async def _send(
        self, request: Request, handler: ResponseHandler, destination: Destination | None
    ) -> None:
        try:  # no route, or no listener of the URI's transport: the request fails here
            dest = destination or await self.resolve(next_hop(request))
            plan = self.locator.plan(dest)
            if len(plan) > 1 and request.method not in ("CANCEL", "ACK"):
                handler = FailoverHandler(handler, self.locator, plan, self._fail_over(request))
                dest = plan[0]
            self._start_client(request, handler, dest)
        except (ConfigError, TransportError) as exc:
            handler.on_failure(503, str(exc))

    def _start_client(self, request: Request, handler: ResponseHandler, dest: Destination) -> None:
        if "Via" not in request.headers:
            self._add_via(request, dest)
        if request.method in _CONTACT_METHODS and "Contact" not in request.headers:
            account = self._messages.account_for(request)
            contact = self._messages.contact_for(dest, needs_sips_contact(request), account)
            request.headers.add("Contact", str(contact))
        tid = self.stack.start_client(request, dest)
        self._handlers[tid] = handler

    def _fail_over(self, first: Request) -> Callable[[Destination, FailoverHandler], None]:
        """Return how to resend ``first`` to another destination (RFC 3263 §4.3)."""
        added_contact = "Contact" not in first.headers

        def resend(dest: Destination, handler: FailoverHandler) -> None:
            # §4.3: the same request with a new Via branch, i.e. a new client transaction
            request = Request(first.method, first.uri, first.headers.copy(), first.body)
            request.headers.remove("Via")
            if added_contact:
                request.headers.remove("Contact")
            self._start_client(request, handler, dest)

        return resend

    def send_ack(self, ack: Request) -> None:
        """Send the ACK for a 2xx straight to the next hop (§13.2.2.4)."""
        self._tasks.spawn(self._send_ack(ack))

    async def _send_ack(self, ack: Request) -> None:
        try:
            dest = await self.resolve(next_hop(ack))
        except (ConfigError, TransportError) as exc:
            log.info("cannot send ACK: %s", exc)
            return
        self._add_via(ack, dest)
        self.stack.send_stateless(ack, dest)

    def _add_via(self, request: Request, dest: Destination) -> None:
        """Put our Via on top: sent-by toward ``dest``, rport asked for (RFC 3581 §3)."""
        host, port = self.stack.transport.sent_by(dest.kind, dest.address[0])
        params = (("rport", None), ("branch", self._ids.branch()))
        request.headers.prepend("Via", str(Via(dest.kind.value.upper(), host, port, params)))

    def authorize(self, request: Request, response: Response) -> Request | None:
        """Answer a 401/407 challenge with the credentials of the account of ``request``'s From
        (§22.2), None if we can't."""
        digest = self._digests(request)
        if digest is None:
            return None
        try:
            return digest.authorize(request, response)
        except ProtocolError as exc:
            log.info("cannot answer challenge: %s", exc)
            return None

    async def resolve(self, uri: Uri) -> Destination:
        """Turn a next-hop URI into the first destination to try (RFC 3263, numeric direct)."""
        if not isinstance(uri, SipUri):
            raise ConfigError(f"cannot send to a {uri.scheme}: URI")
        return (await self.locator.destinations(uri))[0]

    def on_client_event(self, event: TransactionEvent) -> None:
        """A response, timeout, transport failure or end of one of our client transactions."""
        match event:
            case ResponseReceived(transaction_id=tid, response=response):
                handler = self._handlers.get(tid)
                if handler is not None:
                    handler.on_response(response)
            case TransactionTimedOut(transaction_id=tid):
                self._fail(tid, 408, "Request Timeout")
            case TransportFailed(transaction_id=tid):
                self._fail(tid, 503, "Service Unavailable (transport error)")
            case TransactionTerminated(transaction_id=tid):
                self._handlers.pop(tid, None)
                self._sources.pop(tid, None)

    def _fail(self, tid: TransactionId, status: int, reason: str) -> None:
        handler = self._handlers.pop(tid, None)
        if handler is not None:
            handler.on_failure(status, reason)

    # -- server side ------------------------------------------------------------------------
    def remember_source(self, transaction_id: TransactionId, flow: Flow) -> None:
        """Note the flow a request came on: its 2xx is retransmitted there."""
        self._sources[transaction_id] = flow

    def respond(self, transaction_id: TransactionId, response: Response) -> None:
        """Answer a server transaction."""
        self.stack.respond(transaction_id, response)

    def send_2xx_reliably(self, response: Response, transaction_id: TransactionId) -> None:
        """Send a 2xx to an INVITE and keep re-sending it until the ACK (§13.3.1.4)."""
        flow = self._sources.get(transaction_id)
        self.stack.respond(transaction_id, response)
        if flow is None:
            return
        retransmitter = TwoHundredRetransmitter(
            response,
            flow,
            self.stack.now(),
            reliable=flow.kind is not TransportKind.UDP,
            config=self.stack.layer.config,
        )
        key = (response.call_id, response.cseq.seq)
        old = self._retransmitters.pop(key, None)
        if old is not None:
            old.close()
        driver = CoreDriver(retransmitter, lambda now: self._flush_2xx(key, retransmitter))
        self._retransmitters[key] = driver
        driver.transmit()

    def _flush_2xx(self, key: _CallSeq, retransmitter: TwoHundredRetransmitter) -> None:
        while (out := retransmitter.next_output()) is not None:
            assert isinstance(out.destination, Flow)
            self.stack.send_stateless(out.message, out.destination)
        if retransmitter.next_event() is not None:  # no ACK within 64·T1: end with BYE
            self._retransmitters.pop(key, None)
            self._on_no_ack(key[0])

    def ack_received(self, ack: Request) -> None:
        """Stop re-sending the 2xx that ``ack`` acknowledges."""
        try:
            key = (ack.call_id, ack.cseq.seq)
        except ParseError:
            return
        driver = self._retransmitters.pop(key, None)
        if driver is not None:
            driver.core.ack_received()
            driver.close()
