"""The UA core (RFC 3261 §8): answers requests, addresses our own, and owns the calls."""

from __future__ import annotations

import asyncio
import logging
import random
import secrets
from collections.abc import Callable, Mapping
from dataclasses import replace

from alexphone.alex.events import Role
from alexphone.core.errors import ParseError
from alexphone.core.ids import IdFactory
from alexphone.engine.account_match import account_called
from alexphone.engine.alexcall.bypass import SignalingBypass
from alexphone.engine.alexcall.hub import AlexHub, needs_gathering
from alexphone.engine.alexcall.media_sockets import media_bounds
from alexphone.engine.alexcall.restart import ChecksRestart
from alexphone.engine.alexcall.session import AlexCall
from alexphone.engine.call import Call
from alexphone.engine.call_media import MediaController
from alexphone.engine.events import CallChanged, Direction, Event
from alexphone.engine.media_security import over_tls, with_policy
from alexphone.engine.message_factory import (
    ACCEPTED_TYPES,
    ALLOWED_METHODS,
    NOTIFY_TYPES,
    SUPPORTED,
    MessageFactory,
)
from alexphone.engine.replacement import Replacements, ReplacesRefused
from alexphone.engine.request_sender import RequestSender
from alexphone.engine.response_handler import ResponseHandler
from alexphone.engine.server_location import ServerLocator
from alexphone.engine.settings import AccountSettings, PhoneSettings
from alexphone.engine.sip_stack import Destination, SipStack
from alexphone.engine.transfer import Transfers
from alexphone.engine.transferor import Transferor
from alexphone.net.media_family import add_ipv6_pair
from alexphone.net.media_port import MediaPort
from alexphone.net.task_set import TaskSet
from alexphone.net.transport import Flow, TransportKind
from alexphone.sdp.negotiation import SdpSession
from alexphone.sdp.offer_answer import LocalMedia
from alexphone.sip.auth import DigestClient, DigestCredentials
from alexphone.sip.dialog import Dialog
from alexphone.sip.headers import NameAddress
from alexphone.sip.invite_events import SessionRole, SessionTimers
from alexphone.sip.invite_session import InviteSession
from alexphone.sip.message import Request, Response, make_response
from alexphone.sip.replaces import Replaces
from alexphone.sip.transaction import (
    AckReceived,
    RequestReceived,
    StrayResponseReceived,
    TransactionEvent,
    TransactionId,
)
from alexphone.sip.uri import SipUri, Uri
from alexphone.sip.validation import check_request

log = logging.getLogger(__name__)
MAX_CALLS = 8


class UserAgent:
    """Routes transaction events to calls and answers what no call owns."""

    def __init__(
        self,
        settings: PhoneSettings,
        stack: SipStack,
        emit: Callable[[Event], None],
        ids: IdFactory,
        alex: AlexHub | None = None,
    ) -> None:
        self.settings = settings
        self._session_timers = SessionTimers(t1=settings.sip_timers.t1)  # --sip-t1
        self.stack = stack
        self.emit = emit
        self.ids = ids
        self.alex = alex  # None: no ALEX (--no-alex)
        self.supported = SUPPORTED | {"alex"} if alex is not None else SUPPORTED
        self.calls: dict[str, Call] = {}
        self._flows_by_call: dict[str, Flow] = {}
        self._by_invite_tid: dict[TransactionId, Call] = {}
        self._tasks = TaskSet(log, "user agent task")
        self._loop = asyncio.get_running_loop()
        self.messages = MessageFactory(
            settings, stack, ids, self.supported, self._flows_by_call.get
        )
        self.locator = ServerLocator(settings.dns_server, emit, self._loop.time)
        self._digests = _digest_clients(settings, ids)
        self.sender = RequestSender(
            stack, self.messages, self.locator, self._digest_for, self._no_ack
        )
        # the Contact each account registered, by account key: where a proxy sends its calls
        self.registered_contacts: Callable[[], Mapping[str, SipUri]] = dict
        self.rng = random.Random()  # 491 retry delays (RFC 3261 §14.1)
        self.key_source: Callable[[int], bytes] = secrets.token_bytes  # SDES master keys
        self.media = MediaController(settings, emit, random.Random())
        self.bypass = SignalingBypass(self.send_request, self._loop.call_later)
        self.transfers = Transfers(self, emit, self._loop.call_later, self._loop.time)
        self.transferor = Transferor(self, emit, self._loop.call_later)  # our REFERs
        self.answering: Callable[[Call], None] = Call.answer  # auto-answer (the switchboard's)
        self.replacements = Replacements(self.calls, emit)  # INVITE with Replaces (RFC 3891)
        regather = self._regather if alex is not None and needs_gathering(settings) else None
        self.restart = ChecksRestart(
            self, self.calls, emit, regather
        )  # ALEX consent lost, mobility

    # -- messages (built by MessageFactory, sent by RequestSender) ---------------------------
    def local_aor(self) -> NameAddress:
        """Return our From address: the account's AoR, else user@our address."""
        return self.messages.local_aor()

    def contact_for(self, destination: Destination, secure: bool = False) -> NameAddress:
        """Return our Contact for messages toward ``destination`` (a sips: URI if ``secure``)."""
        return self.messages.contact_for(destination, secure)

    def new_request(self, method: str, request_uri: SipUri, to: NameAddress) -> Request:
        """Build an out-of-dialog request (§8.1.1); Via and Contact are added when sent."""
        return self.messages.new_request(method, request_uri, to)

    def prepare_in_dialog(self, dialog: Dialog, method: str, cseq: int | None = None) -> Request:
        """Build an in-dialog request (Via comes when sent); ACK carries the INVITE's CSeq."""
        return self.messages.prepare_in_dialog(dialog, method, cseq)

    def finish_response(self, response: Response) -> Response:
        """Complete a response with our headers, and our ALEX items where a restart needs them."""
        call = self.calls.get(response.call_id)
        if call is None:
            self.messages.finish_response(response)
        else:
            self.messages.finish_response(response, call.session.invite, call.account)
        self.restart.announce(response)
        return response

    def authorize(self, request: Request, response: Response) -> Request | None:
        """Answer a 401/407 challenge with our account's credentials, None if we can't."""
        return self.sender.authorize(request, response)

    def send_request(
        self, request: Request, handler: ResponseHandler, destination: Destination | None = None
    ) -> None:
        """Address and send a request in a client transaction; failures reach ``handler``."""
        call = self.calls.get(request.call_id) if destination is None else None
        if call is not None and self.bypass.route(call, request, handler):
            return  # docs/ALEX.md "Signaling bypass"
        self.sender.send(request, handler, destination)

    def send_ack(self, ack: Request) -> None:
        """Send the ACK for a 2xx straight to the next hop (§13.2.2.4)."""
        self.sender.send_ack(ack)

    def respond(self, transaction_id: TransactionId, response: Response) -> None:
        """Answer a server transaction."""
        self.sender.respond(transaction_id, response)

    def send_2xx_reliably(self, response: Response, transaction_id: TransactionId) -> None:
        """Send a 2xx to an INVITE and keep re-sending it until the ACK (§13.3.1.4)."""
        self.sender.send_2xx_reliably(response, transaction_id)

    def _no_ack(self, call_id: str) -> None:
        call = self.calls.get(call_id)
        if call is not None:
            call.hang_up(408, "No ACK for 2xx")

    async def resolve(self, uri: Uri) -> Destination:
        """Turn a next-hop URI into the first destination to try (RFC 3263, numeric direct)."""
        return await self.sender.resolve(uri)

    # -- calls ------------------------------------------------------------------------------
    def media_port(self) -> MediaPort:
        """Reserve an RTP port pair on our first listening address (and an IPv6 one for ALEX)."""
        host = self.settings.listen[0].host
        port = MediaPort(host if host not in ("", "::") else "0.0.0.0")
        if self.alex is not None:  # docs/ALEX.md "Gathering": IPv6 pair
            add_ipv6_pair(port, [spec.host for spec in self.settings.listen])
        return port

    def new_sdp_session(self, port: MediaPort) -> SdpSession:
        """Start the SDP side of a call on ``port``."""
        address = port.host
        if address in ("0.0.0.0", "::"):
            address = self.stack.transport.sent_by(TransportKind.UDP, "192.0.2.1")[0]
        local = LocalMedia(address, port.port, codecs=self.settings.codecs, username="alexphone")
        policy, media = self.settings.media_encryption, self.media
        local = with_policy(local, policy, self.key_source, media.fingerprint)
        return SdpSession(local, session_id=self.ids.cseq())

    def call_ended(self, call_id: str) -> None:
        """Forget a finished call."""
        self.calls.pop(call_id, None)
        self._flows_by_call.pop(call_id, None)
        self.bypass.forget(call_id)
        self.restart.forget(call_id)
        self.replacements.forget(call_id)
        for tid in [t for t, c in self._by_invite_tid.items() if c.call_id == call_id]:
            del self._by_invite_tid[tid]

    def place_call(
        self,
        target: SipUri,
        referred_by: str | None = None,
        replaces: Replaces | None = None,
        account: AccountSettings | None = None,
    ) -> Call:
        """Start an outgoing call to ``target`` from ``account`` (default: the first), naming
        who referred us (RFC 3892) and the dialog it replaces at the target (RFC 3891)."""
        account = account or self.settings.account
        to = NameAddress(replace(target, params=()) if target.params else target)
        invite = self.messages.new_request("INVITE", target, to, account)
        if referred_by is not None:
            invite.headers.add("Referred-By", referred_by)
        if replaces is not None:
            invite.headers.add("Replaces", str(replaces))
        session = InviteSession(SessionRole.UAC, self.rng, self._session_timers, invite=invite)
        call = Call(self, self._emit_call, Direction.OUT, str(target), session)
        call.account = account
        call.on_media_change = self.media.media_changed
        route = self.settings.proxy if account is None else account.route(self.settings.proxy)
        if over_tls(route or target):  # SDES keys only where nobody reads them
            call.sdp.update_local(replace(call.sdp.local, offer_crypto=True))
        self._start_alex(call, Role.CONTROLLING, str(to.uri))
        self.calls[call.call_id] = call
        if call.alex is not None and needs_gathering(self.settings):
            self._tasks.spawn(self._gather_then(call, lambda: call.place(invite)))
        else:
            call.place(invite)
        return call

    async def _gather_then(self, call: Call, step: Callable[[], None]) -> None:
        """Gather the call's srflx/relay candidates (bounded), then send what announces them."""
        assert call.alex is not None
        await call.alex.gather(self.settings, call.port)  # and the IPv6 pair's srflx
        if call.call_id in self.calls:
            step()

    async def _regather(self, session: AlexCall) -> None:
        """A call's srflx/relay candidates again, from the network we moved to (bounded)."""
        await session.regather(self.settings)

    def _start_alex(self, call: Call, role: Role, peer: str) -> None:
        """Give the call its ALEX session (the caller controls, RFC 8445 §6.1.1)."""
        if self.alex is None:
            return
        session = AlexCall(
            self.alex,
            call.call_id,
            role,
            (call.port.host, call.port.port),
            peer,
            on_media_path=lambda local, remote, kind: self.media.move_media(
                call.call_id, remote, kind, local
            ),
            on_consent_lost=lambda flow: self.restart.consent_lost(call, flow),
        )
        for bound in media_bounds(call.port)[1:]:  # docs/ALEX.md "Gathering": IPv6 pair
            session.add_audio_socket(bound)
        call.alex = session

    def _emit_call(self, event: CallChanged) -> None:
        self.emit(event)
        self.transfers.on_call_changed(event)
        self.transferor.on_call_changed(event)
        call = self.calls.get(event.call_id)
        if call is not None:
            self.media.on_call_changed(call, event.state)

    # -- transaction events -----------------------------------------------------------------
    def on_transaction_event(self, event: TransactionEvent) -> None:
        """Dispatch one event of the transaction layer."""
        match event:
            case RequestReceived():
                self._on_request(event)
            case AckReceived(request=ack):
                self._on_ack(ack)
            case StrayResponseReceived(response=response):
                call = self.calls.get(response.call_id)
                if call is not None and 200 <= response.status < 300:
                    call.on_stray_2xx(response)
            case _:
                self.sender.on_client_event(event)

    def _on_ack(self, ack: Request) -> None:
        self.sender.ack_received(ack)
        try:
            call = self.calls.get(ack.call_id)
        except ParseError:
            return
        if call is not None:
            call.on_ack(ack)

    def _on_request(self, event: RequestReceived) -> None:
        request, tid = event.request, event.transaction_id
        if isinstance(event.source, Flow):
            self.sender.remember_source(tid, event.source)
            if request.method == "INVITE":
                self._flows_by_call[request.headers.get("Call-ID") or ""] = event.source
        error = check_request(
            request,
            allowed_methods=ALLOWED_METHODS,
            supported_extensions=self.supported,
            accepted_types=NOTIFY_TYPES if request.method == "NOTIFY" else ACCEPTED_TYPES,
        )
        if error is not None:
            self.respond(tid, error)
            return
        if request.method == "CANCEL":
            self._on_cancel(tid, request, event.cancel_target)
            return
        if request.to.tag is not None:
            call = self.calls.get(request.call_id)
            if call is None or call.dialog is None or not call.dialog.matches(request):
                self.respond(tid, make_response(request, 481, "Call/Transaction Does Not Exist"))
                return
            self.restart.peer_request(call, request)
            if request.method == "REFER":  # RFC 3515: the transfer, beside the INVITE session
                self.transfers.refer_received(call, tid, request)
                return
            if self.transferor.notify_received(call, tid, request):  # our REFER's progress
                return
            call.on_request(tid, request)
            return
        if request.method == "INVITE":
            self._on_invite(tid, request)
        elif request.method == "OPTIONS":
            response = self.finish_response(make_response(request, 200, to_tag=self.ids.tag()))
            response.headers.set("Accept", ", ".join(sorted(ACCEPTED_TYPES)))
            self.respond(tid, response)
        else:
            self.respond(
                tid,
                make_response(
                    request, 481, "Call/Transaction Does Not Exist", to_tag=self.ids.tag()
                ),
            )

    def _on_cancel(
        self, tid: TransactionId, request: Request, target: TransactionId | None
    ) -> None:
        call = self._by_invite_tid.get(target) if target is not None else None
        if call is None:
            self.respond(tid, make_response(request, 481, "Call/Transaction Does Not Exist"))
            return
        self.respond(tid, make_response(request, 200, to_tag=call.to_tag))
        call.cancelled()

    def _on_invite(self, tid: TransactionId, request: Request) -> None:
        if request.call_id in self.calls:
            self.respond(tid, make_response(request, 482, "Loop Detected", to_tag=self.ids.tag()))
            return
        if len(self.calls) >= MAX_CALLS:
            self.respond(tid, make_response(request, 486, "Busy Here", to_tag=self.ids.tag()))
            return
        try:
            replaced = self.replacements.check(request)
        except ReplacesRefused as exc:
            response = make_response(request, exc.status, exc.reason, to_tag=self.ids.tag())
            self.respond(tid, response)
            return
        session = InviteSession(
            SessionRole.UAS, self.rng, self._session_timers, invite=request, to_tag=self.ids.tag()
        )
        call = Call(self, self._emit_call, Direction.IN, str(request.from_.uri), session, tid)
        accounts, contacts = self.settings.accounts, self.registered_contacts()
        call.account = account_called(request.uri, request.to.uri, accounts, contacts)
        if replaced is not None:
            self.replacements.adopt(call, replaced)
        call.on_media_change = self.media.media_changed
        self._start_alex(call, Role.CONTROLLED, str(request.from_.uri))
        self.calls[call.call_id] = call
        self._by_invite_tid[tid] = call
        if call.alex is not None and needs_gathering(self.settings):
            self._tasks.spawn(self._gather_then(call, lambda: self._offer(call)))
        else:
            self._offer(call)

    def _offer(self, call: Call) -> None:
        """Ring (180 with our ALEX items) and arm auto-answer; a replacing call is answered."""
        call.offered()
        if self.replacements.offered(call):
            return
        delay = self.settings.auto_answer
        if delay is not None and call.call_id in self.calls:
            self._loop.call_later(delay, self.answering, call)

    def hang_up_all(self) -> None:
        """End every call."""
        for call in list(self.calls.values()):
            call.hang_up()

    def _digest_for(self, request: Request) -> DigestClient | None:
        """The digest answerer of the account ``request`` goes out for, None without one."""
        account = self.messages.account_for(request)
        return self._digests.get(account.key) if account is not None else None


def _digest_clients(settings: PhoneSettings, ids: IdFactory) -> dict[str, DigestClient]:
    """Each account's digest answerer by account key (accounts without a password: none)."""
    return {
        account.key: DigestClient(DigestCredentials(account.auth_username, account.password), ids)
        for account in settings.accounts
        if account.password is not None
    }
