"""One call: an INVITE session (RFC 3261 §13–15) with its dialog and SDP offer/answer.

A Call turns user intents (answer, hang up, hold) into requests and responses,
and the peer's messages into ``call.state`` events. It talks to the network
only through the ``Signaling`` protocol that the user agent implements.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from enum import Enum
from typing import Protocol

from alexphone.core.errors import ParseError, ProtocolError
from alexphone.engine.alexcall.session import AlexCall
from alexphone.engine.events import CallChanged, CallState, Direction
from alexphone.engine.response_handler import ResponseHandler
from alexphone.net.media_port import MediaPort
from alexphone.sdp.negotiation import SdpSession
from alexphone.sdp.offer_answer import OfferAnswerError
from alexphone.sdp.session import SessionDescription
from alexphone.sip.dialog import Dialog, DialogState
from alexphone.sip.headers import NameAddress
from alexphone.sip.message import Request, Response, make_response
from alexphone.sip.transaction import TransactionId, build_cancel
from alexphone.sip.uri import SipUri

log = logging.getLogger(__name__)
SDP_TYPE = "application/sdp"
MAX_REDIRECTS = 5


class Phase(Enum):
    """Where the INVITE session is, finer than what users see."""

    INVITING = "inviting"  # our INVITE has no final response yet
    OFFERED = "offered"  # an INVITE came in and waits for the user
    CONFIRMED = "confirmed"
    ENDING = "ending"  # BYE or CANCEL sent
    ENDED = "ended"


class Signaling(Protocol):
    """What a call needs from the user agent."""

    def send_request(self, request: Request, handler: ResponseHandler) -> None:
        """Send an out-of-dialog or in-dialog request in a client transaction."""

    def send_ack(self, ack: Request) -> None:
        """Send an ACK for a 2xx (no transaction; RFC 3261 §13.2.2.4)."""

    def respond(self, transaction_id: TransactionId, response: Response) -> None:
        """Answer a server transaction."""

    def send_2xx_reliably(self, response: Response, transaction_id: TransactionId) -> None:
        """Send a 2xx to an INVITE and retransmit it until ACK (RFC 3261 §13.3.1.4)."""

    def new_request(self, method: str, request_uri: SipUri, to: NameAddress) -> Request:
        """Build an out-of-dialog request with our From (tagged), Contact, Via and Call-ID."""

    def prepare_in_dialog(self, dialog: Dialog, method: str, cseq: int | None = None) -> Request:
        """Build an in-dialog request with our Via and Contact."""

    def authorize(self, request: Request, response: Response) -> Request | None:
        """Return ``request`` with credentials answering the challenge, None if we have none."""

    def finish_response(self, response: Response) -> Response:
        """Add our Contact, Allow, Supported and User-Agent to a response."""

    def media_port(self) -> MediaPort:
        """Reserve an RTP port pair for a new call."""

    def new_sdp_session(self, port: MediaPort) -> SdpSession:
        """Make the SDP side of a new call on that port."""

    def call_ended(self, call: Call) -> None:
        """Forget a call that reached ENDED."""


class Call:
    """One INVITE session, incoming or outgoing."""

    def __init__(
        self,
        signaling: Signaling,
        emit: Callable[[CallChanged], None],
        direction: Direction,
        call_id: str,
        remote: str,
    ) -> None:
        self.signaling = signaling
        self.emit = emit
        self.direction = direction
        self.call_id = call_id
        self.remote = remote
        self.phase = Phase.INVITING
        self.dialog: Dialog | None = None
        self.invite: Request | None = None
        self.invite_tid: TransactionId | None = None  # the INVITE server transaction
        self.provisional_seen = False
        self.cancel_wanted = False
        self.redirects = 0
        self.held = False
        self.port = signaling.media_port()
        self.sdp = signaling.new_sdp_session(self.port)
        self.to_tag: str | None = None
        self._answer_sdp: SessionDescription | None = None  # our answer to an INVITE's offer
        self.on_media_change: Callable[[Call], None] | None = None  # re-INVITE changed media
        self.alex: AlexCall | None = None  # address lists and checks (ALEX.md)

    @property
    def is_confirmed(self) -> bool:
        """Tell whether the call is confirmed and not ending (in-dialog requests may go)."""
        return self.phase is Phase.CONFIRMED

    # -- outgoing ---------------------------------------------------------------------------
    def place(self, invite: Request) -> None:
        """Send the initial INVITE (already addressed) with our offer."""
        if self.cancel_wanted and self.invite is None:  # hung up while gathering addresses
            self._end(487, "Request Terminated")
            return
        self.invite = invite
        self.attach_sdp(invite, self.sdp.create_offer())
        if self.alex is not None:
            self.alex.announce(invite.headers)
        self._state(CallState.CALLING)
        self.signaling.send_request(invite, _InviteOutcome(self))

    def on_invite_response(self, response: Response) -> None:
        """Handle a response to our initial INVITE (RFC 3261 §13.2.2)."""
        status = response.status
        if self.phase is Phase.ENDED:
            return
        if self.alex is not None and 100 < status < 300:  # ALEX.md: the UAS's 18x/2xx decide
            self.alex.peer_headers(response.headers, final=status >= 200)
        if status < 200:
            if status == 100:
                return
            self.provisional_seen = True
            if self.cancel_wanted:
                self._send_cancel()
            elif self.phase is Phase.INVITING:
                self._state(CallState.RINGING if status == 180 else CallState.EARLY)
            return
        if status in (401, 407) and self.invite is not None and self.dialog is None:
            retry = self.signaling.authorize(self.invite, response)
            if retry is not None:
                self.invite = retry
                self.signaling.send_request(retry, _InviteOutcome(self))
                return
        if status < 300:
            self._invite_accepted(response)
        elif 300 <= status < 400 and self._follow_redirect(response):
            return
        else:
            self._end(status, response.reason)

    def _invite_accepted(self, response: Response) -> None:
        assert self.invite is not None
        first = self.dialog is None
        if first:
            try:
                self.dialog = Dialog.for_uac(self.invite, response)
            except ProtocolError as exc:
                log.info("2xx without a usable dialog: %s", exc)
                self._end(502, "Bad 2xx response")
                return
            self.dialog.confirm(response)
        elif self._from_another_fork(response):
            return
        self._ack(response)
        if not first:
            return
        try:
            self.sdp.receive_answer(SessionDescription.parse(response.body))
        except (ParseError, OfferAnswerError) as exc:
            log.info("unusable SDP answer: %s", exc)
            self.phase = Phase.CONFIRMED
            self.hang_up(488, f"Unusable SDP answer: {exc}")
            return
        self.phase = Phase.CONFIRMED
        self._state(CallState.CONFIRMED)
        if self.alex is not None:
            self.alex.adopt_ice(response.body)  # not ALEX: ICE if the answer does ICE
            self.alex.confirmed()
        if self.cancel_wanted:
            self.hang_up()

    def on_stray_2xx(self, response: Response) -> None:
        """Re-ACK a retransmitted 2xx (RFC 3261 §13.2.2.4)."""
        if self.dialog is None or response.cseq.method != "INVITE":
            return
        if not self._from_another_fork(response):
            self._ack(response)

    def _from_another_fork(self, response: Response) -> bool:
        """ACK and BYE a 2xx from a second fork of our INVITE (RFC 3261 §13.2.2.4)."""
        assert self.dialog is not None and self.invite is not None
        if response.to.tag in (None, self.dialog.id.remote_tag):
            return False
        try:
            extra = Dialog.for_uac(self.invite, response)
        except ProtocolError:
            return True
        extra.confirm(response)
        ack = self.signaling.prepare_in_dialog(extra, "ACK", cseq=response.cseq.seq)
        self.signaling.send_ack(ack)
        bye = self.signaling.prepare_in_dialog(extra, "BYE")
        self.signaling.send_request(bye, _Ignore())
        return True

    def _ack(self, response: Response) -> None:
        assert self.dialog is not None
        ack = self.signaling.prepare_in_dialog(self.dialog, "ACK", cseq=response.cseq.seq)
        self.signaling.send_ack(ack)

    def _follow_redirect(self, response: Response) -> bool:
        contacts = response.contacts
        if not contacts or self.redirects >= MAX_REDIRECTS or self.invite is None:
            return False
        self.redirects += 1
        target = contacts[0].uri
        if not isinstance(target, SipUri):
            return False
        invite = self.signaling.new_request("INVITE", target, self.invite.to)
        invite.headers.set("Call-ID", self.call_id)
        self.sdp.cancel_offer()
        self.place(invite)
        return True

    def _send_cancel(self) -> None:
        assert self.invite is not None
        self.phase = Phase.ENDING
        self.signaling.send_request(build_cancel(self.invite), _Ignore())

    # -- incoming ---------------------------------------------------------------------------
    def offered(self, transaction_id: TransactionId, invite: Request, to_tag: str) -> None:
        """Take an incoming INVITE: answer 180 Ringing, or 488 if its offer is unusable."""
        self.invite, self.invite_tid, self.to_tag = invite, transaction_id, to_tag
        self.phase = Phase.OFFERED
        if self.cancel_wanted:  # CANCEL came while we gathered addresses (RFC 3261 §9.2)
            self._reject(487, "Request Terminated")
            return
        try:
            self.dialog = Dialog.for_uas(invite, to_tag)
        except ProtocolError as exc:
            self._reject(400, str(exc))
            return
        self._state(CallState.RINGING)
        if self.alex is not None:
            self.alex.peer_headers(invite.headers, final=True)
            self.alex.adopt_ice(invite.body, answering=True)  # not ALEX: ICE if offered
        if invite.body:
            try:
                self._answer_sdp = self.sdp.answer(SessionDescription.parse(invite.body)).sdp
            except (ParseError, OfferAnswerError) as exc:
                self._reject(488, f"Not Acceptable Here: {exc}"[:120])
                return
        self.signaling.respond(transaction_id, self._response(180))

    def answer(self) -> None:
        """Accept the incoming call: 200 OK with our SDP, retransmitted until ACK."""
        if self.phase is not Phase.OFFERED or self.invite_tid is None:
            return
        response = self._response(200)
        body = self._answer_sdp if self._answer_sdp is not None else self.sdp.create_offer()
        self.attach_sdp(response, body)
        self.phase = Phase.CONFIRMED
        if self.dialog is not None:
            self.dialog.state = DialogState.CONFIRMED
        self.signaling.send_2xx_reliably(response, self.invite_tid)
        self._state(CallState.CONFIRMED)
        if self.alex is not None:
            self.alex.confirmed()

    def decline(self, busy: bool) -> None:
        """Refuse the incoming call with 486 Busy Here or 603 Decline."""
        self._reject(486 if busy else 603, "Busy Here" if busy else "Decline")

    def cancelled(self) -> None:
        """The caller sent CANCEL before we answered (RFC 3261 §9.2): 487 the INVITE."""
        if self.phase is Phase.OFFERED:
            self._reject(487, "Request Terminated")
        elif self.phase is Phase.INVITING and self.direction is Direction.IN:
            self.cancel_wanted = True  # still gathering: offered() refuses at once

    def _reject(self, status: int, reason: str) -> None:
        if self.invite_tid is not None:
            self.signaling.respond(self.invite_tid, self._response(status, reason))
        self._end(status, reason)

    def _response(self, status: int, reason: str | None = None) -> Response:
        assert self.invite is not None
        response = make_response(self.invite, status, reason, to_tag=self.to_tag)
        if status >= 300:
            return response
        response = self.signaling.finish_response(response)
        if self.alex is not None and status > 100:
            self.alex.announce(response.headers)
        return response

    # -- in dialog -------------------------------------------------------------------------
    def on_request(self, transaction_id: TransactionId, request: Request) -> None:
        """Handle an in-dialog request: BYE, re-INVITE, OPTIONS, INFO..."""
        assert self.dialog is not None
        error = self.dialog.receive_request(request)
        if error is not None:
            self.signaling.respond(
                transaction_id, make_response(request, error, "CSeq out of order")
            )
            return
        if request.method == "BYE":
            self.signaling.respond(transaction_id, make_response(request, 200))
            self._end(None, "Remote hung up")
        elif request.method in ("INVITE", "UPDATE"):
            self._reoffer(transaction_id, request)
        else:
            self.signaling.respond(
                transaction_id, self.signaling.finish_response(make_response(request, 200))
            )

    def _reoffer(self, transaction_id: TransactionId, request: Request) -> None:
        if self.sdp.offer_pending:
            self.signaling.respond(transaction_id, make_response(request, 491))
            return
        response = self.signaling.finish_response(make_response(request, 200))
        if request.body:
            try:
                answer = self.sdp.answer(SessionDescription.parse(request.body))
            except (ParseError, OfferAnswerError) as exc:
                self.signaling.respond(transaction_id, make_response(request, 488, str(exc)[:100]))
                return
            self.attach_sdp(response, answer.sdp)
            held = not answer.media.direction.sends or answer.media.remote_on_hold_address
            self._set_held(held or self.sdp.on_hold)
            self._media_changed()
        if request.method == "INVITE":
            self.signaling.send_2xx_reliably(response, transaction_id)
        else:
            self.signaling.respond(transaction_id, response)

    def on_ack(self, ack: Request) -> None:
        """The ACK for our 2xx arrived (nothing to do beyond the retransmitter)."""

    def hold(self, on: bool) -> None:
        """Send a re-INVITE that holds (a=sendonly) or resumes (a=sendrecv) the call."""
        if self.phase is not Phase.CONFIRMED or self.dialog is None or self.sdp.offer_pending:
            return
        offer = self.sdp.hold() if on else self.sdp.unhold()
        reinvite = self.signaling.prepare_in_dialog(self.dialog, "INVITE")
        self.attach_sdp(reinvite, offer)
        self.signaling.send_request(reinvite, _ReinviteOutcome(self, reinvite))

    def on_reinvite_response(self, request: Request, response: Response) -> None:
        """Finish our re-INVITE: ACK a 2xx and apply the answer; keep media on failure."""
        if response.status < 200:
            return
        if response.status >= 300:
            self.sdp.cancel_offer()
            if response.status in (408, 481):
                self.hang_up()
            return
        self._ack(response)
        try:
            self.sdp.receive_answer(SessionDescription.parse(response.body))
        except (ParseError, OfferAnswerError) as exc:
            log.info("bad answer to re-INVITE: %s", exc)
            return
        self._set_held(self.sdp.on_hold)
        self._media_changed()

    def _media_changed(self) -> None:
        if self.on_media_change is not None:
            self.on_media_change(self)

    def _set_held(self, held: bool) -> None:
        if held != self.held:
            self.held = held
            self._state(CallState.HELD if held else CallState.CONFIRMED)

    # -- ending -----------------------------------------------------------------------------
    def hang_up(self, code: int | None = None, reason: str = "") -> None:
        """End the call by whatever its phase allows: CANCEL, BYE or a final response."""
        if self.phase is Phase.INVITING:
            self.cancel_wanted = True
            if self.provisional_seen:
                self._send_cancel()
        elif self.phase is Phase.OFFERED:
            self._reject(480, "Temporarily Unavailable")
        elif self.phase is Phase.CONFIRMED and self.dialog is not None:
            self.phase = Phase.ENDING
            bye = self.signaling.prepare_in_dialog(self.dialog, "BYE")
            self.signaling.send_request(bye, _ByeOutcome(self, code, reason))

    def on_failure(self, status: int, reason: str) -> None:
        """A transaction of ours timed out or could not be sent."""
        if self.phase is not Phase.ENDED:
            self._end(status, reason)

    def _end(self, code: int | None, reason: str) -> None:
        if self.phase is Phase.ENDED:
            return
        self.phase = Phase.ENDED
        self.port.close()
        if self.alex is not None:
            self.alex.close()
        self._state(CallState.ENDED, code, reason)
        self.signaling.call_ended(self)

    def _state(self, state: CallState, code: int | None = None, reason: str = "") -> None:
        self.emit(CallChanged(self.call_id, self.direction, self.remote, state, code, reason))

    def attach_sdp(self, message: Request | Response, sdp: SessionDescription) -> None:
        """Put ``sdp`` in ``message`` (with our ICE attributes when ALEX runs for the call)."""
        if self.alex is not None:
            sdp = self.alex.with_ice(sdp)  # RFC 8839: a=candidate mirroring our m0.1 items
        message.headers.set("Content-Type", SDP_TYPE)
        message.body = sdp.to_bytes()


class _InviteOutcome:
    def __init__(self, call: Call) -> None:
        self.call = call

    def on_response(self, response: Response) -> None:
        self.call.on_invite_response(response)

    def on_failure(self, status: int, reason: str) -> None:
        self.call.on_failure(status, reason)


class _ReinviteOutcome:
    def __init__(self, call: Call, request: Request) -> None:
        self.call = call
        self.request = request

    def on_response(self, response: Response) -> None:
        self.call.on_reinvite_response(self.request, response)

    def on_failure(self, status: int, reason: str) -> None:
        self.call.sdp.cancel_offer()
        self.call.hang_up()


class _ByeOutcome:
    def __init__(self, call: Call, code: int | None, reason: str) -> None:
        self.call, self.code, self.reason = call, code, reason

    def on_response(self, response: Response) -> None:
        if 200 <= response.status < 300:
            self.call._end(self.code, self.reason or "Hung up")
        elif response.status >= 300:  # the dialog is gone all the same (RFC 3261 §15.1.1)
            self.call._end(response.status, f"BYE answered {response.status} {response.reason}")

    def on_failure(self, status: int, reason: str) -> None:
        self.call._end(status, f"BYE failed: {reason}")


class _Ignore:
    def on_response(self, response: Response) -> None:
        return

    def on_failure(self, status: int, reason: str) -> None:
        return
