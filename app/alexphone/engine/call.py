"""One call: the driver of an INVITE session (``sip.invite_session``) with its SDP and ALEX.

The session decides (one transition table, RFC 3261 §13–15); a Call carries its actions
out: it builds and sends requests and responses through the ``Signaling`` protocol the
user agent implements, makes and applies SDP offers and answers, tells the call's ALEX
session what the peer announced, and turns the session's events into ``call.state``
events. Its one loop timer (Timer C, the 491 retry) runs through a ``CoreDriver``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from alexphone.core.errors import ParseError, ProtocolError
from alexphone.engine.alexcall.session import AlexCall
from alexphone.engine.events import CallChanged, CallState, Direction
from alexphone.engine.response_handler import ResponseHandler
from alexphone.engine.settings import AccountSettings
from alexphone.engine.signaling import Signaling
from alexphone.net.core_driver import CoreDriver, Scheduler
from alexphone.sdp.offer_answer import OfferAnswerError
from alexphone.sdp.session import SessionDescription
from alexphone.sip.dialog import Dialog
from alexphone.sip.invite_events import (
    AnswerChallenge,
    AnswerReoffer,
    Confirmed,
    Ended,
    EndFork,
    ForgetOffer,
    ReofferAnswered,
    Respond,
    RespondInvite,
    Ringing,
    SendAck,
    SendBye,
    SendCancel,
    SendInvite,
    SendReinvite,
    SessionAction,
    SessionState,
)
from alexphone.sip.invite_session import InviteSession
from alexphone.sip.message import Request, Response, make_response, next_attempt
from alexphone.sip.transaction import TransactionId, build_cancel
from alexphone.sip.uri import SipUri, Uri

log = logging.getLogger(__name__)
SDP_TYPE = "application/sdp"
_UP = frozenset({SessionState.CONFIRMED, SessionState.REINVITING, SessionState.GLARE_WAIT})
# A 488 reason names what the offer lacked and what we take (the suites we support)
REASON_CHARS = 200


BuildReoffer = Callable[[Dialog], Request]  # makes the re-INVITE (and our SDP offer) to send
ReofferHandler = Callable[[Request], ResponseHandler]  # the outcome of that re-INVITE


class Call:
    """One INVITE session, incoming or outgoing, and what it needs beyond SIP."""

    def __init__(
        self,
        signaling: Signaling,
        emit: Callable[[CallChanged], None],
        direction: Direction,
        remote: str,
        session: InviteSession,
        invite_tid: TransactionId | None = None,
        loop: Scheduler | None = None,
    ) -> None:
        self.signaling = signaling
        self.emit = emit
        self.direction = direction
        self.remote = remote
        self.session = session
        assert session.invite is not None
        self.call_id = session.invite.call_id
        party = session.invite.from_ if direction is Direction.IN else session.invite.to
        self.account: AccountSettings | None = None  # the account it came to or goes out from
        self.display_name = party.display_name or ""  # RFC 3261 §20.20, §20.39
        self.invite_tid = invite_tid  # the INVITE server transaction (UAS)
        self.held = False
        self.port = signaling.media_port()
        self.sdp = signaling.new_sdp_session(self.port)
        self._answer_sdp: SessionDescription | None = None  # our answer to an INVITE's offer
        self._reoffer: tuple[BuildReoffer, ReofferHandler] | None = None
        self._driver = CoreDriver(session, self._flush, loop=loop)  # Timer C, the 491 retry
        self.on_media_change: Callable[[Call], None] | None = None  # re-INVITE changed media
        self.alex: AlexCall | None = None  # docs/ALEX.md

    @property
    def dialog(self) -> Dialog | None:
        """The session's dialog, once there is one."""
        return self.session.dialog

    @property
    def to_tag(self) -> str | None:
        """Our To tag as the UAS."""
        return self.session.to_tag

    @property
    def is_confirmed(self) -> bool:
        """Tell whether the session is up and not ending (a re-INVITE may be under way)."""
        return self.session.state in _UP

    @property
    def ended(self) -> bool:
        """True once the session is over."""
        return self.session.state is SessionState.TERMINATED

    def _feed(self, step: Callable[[float], None]) -> bool:
        """Give the session one input, then carry out what it queued; False if refused."""
        try:
            step(self._driver.now())
        except ProtocolError as exc:
            log.info("call %s: %s", self.call_id, exc)
            return False
        self._driver.transmit()
        return True

    # -- our intents --------------------------------------------------------------------------
    def place(self, invite: Request) -> None:
        """Send the initial INVITE (already addressed) with our offer."""
        self._feed(lambda now: self.session.place(invite, now))

    def offered(self) -> None:
        """Ring with 180 (our addresses gathered), or refuse an INVITE we cannot answer."""
        invite = self.session.invite
        assert invite is not None
        if self.session.state is SessionState.IDLE:
            if self.alex is not None:
                self.alex.peer_headers(invite.headers, final=True)
                self.alex.adopt_ice(invite.body)  # not ALEX: ICE if offered
            if invite.body:
                try:
                    self._answer_sdp = self.sdp.answer(SessionDescription.parse(invite.body)).sdp
                except (ParseError, OfferAnswerError) as exc:
                    reason = f"Not Acceptable Here: {exc}"[:REASON_CHARS]
                    self._feed(lambda now: self.session.reject(488, reason, now))
                    return
        self._feed(self.session.offer)

    def answer(self) -> None:
        """Accept the incoming call: 200 OK with our SDP, retransmitted until ACK."""
        self._feed(self.session.answer)

    def decline(self, busy: bool) -> None:
        """Refuse the incoming call with 486 Busy Here or 603 Decline."""
        status, reason = (486, "Busy Here") if busy else (603, "Decline")
        self._feed(lambda now: self.session.reject(status, reason, now))

    def hang_up(self, code: int | None = None, reason: str = "") -> None:
        """End the call by whatever its state allows: CANCEL, BYE or a final response."""
        self._feed(lambda now: self.session.hang_up(now, code, reason))

    def hold(self, on: bool) -> bool:
        """Send a re-INVITE that holds (a=sendonly) or resumes (a=sendrecv) the call; False
        if it cannot go now (an offer of ours still waits for its answer)."""

        def build(dialog: Dialog) -> Request:
            reinvite = self.signaling.prepare_in_dialog(dialog, "INVITE")
            self.attach_sdp(reinvite, self.sdp.hold() if on else self.sdp.unhold())
            return reinvite

        return self.reoffer(build, lambda reinvite: _ReinviteOutcome(self, reinvite))

    def reoffer(
        self, build: BuildReoffer, handler: ReofferHandler, *, replace: bool = True
    ) -> bool:
        """Send a new offer in a re-INVITE (retried after a 491); False if not possible now.

        While a re-INVITE waits to be retried after 491, a new hold wish replaces it
        (``replace``); an offer that must not displace it (an ALEX restart) is refused.
        """
        waiting = self.session.state is SessionState.GLARE_WAIT
        if self.sdp.offer_pending or (waiting and not replace):
            return False
        previous, self._reoffer = self._reoffer, (build, handler)
        if not self._feed(self.session.reoffer):
            self._reoffer = previous
            return False
        return True

    def on_failure(self, status: int, reason: str) -> None:
        """End the call here, telling the peer nothing (shutdown)."""
        self._feed(lambda now: self.session.abandon(status, reason, now))

    # -- the peer -----------------------------------------------------------------------------
    def on_invite_response(self, response: Response) -> None:
        """Handle a response to our initial INVITE (RFC 3261 §13.2.2)."""
        status = response.status
        if self.alex is not None and 100 < status < 300 and not self.ended:
            self.alex.peer_headers(response.headers, final=status >= 200)  # the UAS's 18x/2xx
        if status == 183 and self.dialog is None and not self.ended:
            self._early_answer(response)  # before the session says EARLY: media can start
        if status == 488 and self._offer_savp():
            return  # the session goes on with the new INVITE, as after a challenge
        self._feed(lambda now: self.session.invite_response(response, now))

    def _offer_savp(self) -> bool:
        """Send the INVITE once more offering RTP/SAVP, if the refused offer was best-effort
        SDES and no early dialog exists (CSeq + 1, a new Via branch: RFC 3261 §8.1.3.5)."""
        invite = self.session.invite
        calling = self.session.state in (SessionState.CALLING, SessionState.PROCEEDING)
        if invite is None or not calling or self.dialog is not None:
            return False
        if not self.sdp.offer_pending or not self.sdp.fall_back_to_savp():
            return False
        log.info("call %s: 488 to our RTP/AVP offer: offering RTP/SAVP", self.call_id)
        retry = next_attempt(invite)
        self.sdp.cancel_offer()
        self.attach_sdp(retry, self.sdp.create_offer())
        self.session.use_invite(retry)
        self.signaling.send_request(retry, _InviteOutcome(self))
        return True

    def _early_answer(self, response: Response) -> None:
        """Take the SDP of a 183 as an early answer, so its media plays (RFC 3960 §3)."""
        if not response.body or not self.sdp.offer_pending:
            return
        try:
            self.sdp.receive_early_answer(SessionDescription.parse(response.body))
        except (ProtocolError, OfferAnswerError) as exc:
            log.info("183 with an unusable SDP answer, no early media: %s", exc)

    def on_invite_failure(self, status: int, reason: str) -> None:
        """Our INVITE's transaction timed out or could not be sent."""
        self._feed(lambda now: self.session.invite_failed(status, reason, now))

    def on_stray_2xx(self, response: Response) -> None:
        """ACK again a retransmitted 2xx, or ACK and BYE another fork's (§13.2.2.4)."""
        if self.dialog is not None and response.cseq.method == "INVITE":
            self._feed(lambda now: self.session.invite_response(response, now))

    def on_reinvite_response(self, response: Response) -> None:
        """Finish our re-INVITE: a 2xx is ACKed and applied, a failure keeps the old media."""
        self._feed(lambda now: self.session.reoffer_response(response, now))

    def on_reinvite_failure(self, status: int, reason: str, *, fatal: bool = True) -> None:
        """Our re-INVITE got no response: end the dialog (or, not ``fatal``, keep it)."""
        self._feed(lambda now: self.session.reoffer_failed(status, reason, now, fatal=fatal))

    def on_bye_done(self, status: int, reason: str) -> None:
        """Our BYE got its final response or failed: the dialog is over either way."""
        self._feed(lambda now: self.session.bye_done(status, reason, now))

    def cancelled(self) -> None:
        """The caller sent CANCEL before we answered (RFC 3261 §9.2)."""
        self._feed(self.session.cancel_received)

    def on_request(self, transaction_id: TransactionId, request: Request) -> None:
        """Handle an in-dialog request: BYE, re-INVITE, UPDATE, OPTIONS, INFO..."""
        assert self.dialog is not None
        error = self.dialog.receive_request(request)  # §12.2.2: CSeq order
        if error is not None:
            response = make_response(request, error, "CSeq out of order")
            self.signaling.respond(transaction_id, response)
        elif not self._feed(
            lambda now: self.session.request_received(transaction_id, request, now)
        ):
            response = make_response(request, 481, "Call/Transaction Does Not Exist")
            self.signaling.respond(transaction_id, response)

    def on_ack(self, ack: Request) -> None:
        """The ACK for our 2xx arrived (nothing to do beyond the retransmitter)."""

    # -- carrying out the session's actions ---------------------------------------------------
    def _flush(self, now: float) -> None:
        while (action := self.session.next_action()) is not None:
            self._perform(action)

    def _perform(self, action: SessionAction) -> None:
        match action:
            case SendInvite(target=target):
                self._send_invite(target)
            case AnswerChallenge(response=response):
                self._answer_challenge(response)
            case SendCancel(invite=invite):
                self.signaling.send_request(build_cancel(invite), _Ignore())
            case SendAck(dialog=dialog, response=response):
                self._ack(dialog, response)
            case EndFork(dialog=dialog, response=response):
                self._ack(dialog, response)
                bye = self.signaling.prepare_in_dialog(dialog, "BYE")
                self.signaling.send_request(bye, _Ignore())
            case SendBye(dialog=dialog):
                bye = self.signaling.prepare_in_dialog(dialog, "BYE")
                self.signaling.send_request(bye, _ByeOutcome(self))
            case SendReinvite(dialog=dialog):
                self._send_reinvite(dialog)
            case ForgetOffer():
                self.sdp.cancel_offer()
            case RespondInvite(status=status, reason=reason):
                self._respond_invite(status, reason)
            case Respond(transaction_id=tid, request=request, status=status, reason=reason):
                response = make_response(request, status, reason)
                if status < 300:
                    response = self.signaling.finish_response(response)
                self.signaling.respond(tid, response)
            case AnswerReoffer(transaction_id=tid, request=request):
                self._answer_reoffer(tid, request)
            case Ringing(status=status):
                ringing = status == 180 or self.direction is Direction.IN
                self._state(CallState.RINGING if ringing else CallState.EARLY)
            case Confirmed(response=response):
                self._confirmed(response)
            case ReofferAnswered(response=response):
                self._reoffer_answered(response)
            case Ended(code=code, reason=reason):
                self._end(code, reason)

    def _send_invite(self, target: Uri | None) -> None:
        invite = self.session.invite
        assert invite is not None
        if isinstance(target, SipUri):  # a 3xx's target (§8.1.3.4): same Call-ID, new offer
            invite = self.signaling.new_request("INVITE", target, invite.to)
            invite.headers.set("Call-ID", self.call_id)
            self.session.use_invite(invite)
        self.attach_sdp(invite, self.sdp.create_offer())
        if self.alex is not None:
            self.alex.announce(invite.headers)
        self._state(CallState.CALLING)
        self.signaling.send_request(invite, _InviteOutcome(self))

    def _answer_challenge(self, response: Response) -> None:
        assert self.session.invite is not None
        retry = self.signaling.authorize(self.session.invite, response)
        if retry is None:
            self._feed(lambda now: self.session.challenge_refused(response, now))
            return
        self.session.use_invite(retry)
        self.signaling.send_request(retry, _InviteOutcome(self))

    def _ack(self, dialog: Dialog, response: Response) -> None:
        ack = self.signaling.prepare_in_dialog(dialog, "ACK", cseq=response.cseq.seq)
        self.signaling.send_ack(ack)

    def _send_reinvite(self, dialog: Dialog) -> None:
        assert self._reoffer is not None
        build, handler = self._reoffer
        reinvite = build(dialog)
        self.signaling.send_request(reinvite, handler(reinvite))

    def _respond_invite(self, status: int, reason: str) -> None:
        if self.invite_tid is None:
            return
        response = self._response(status, reason)
        if status >= 300 or status < 200:
            self.signaling.respond(self.invite_tid, response)
            return
        body = self._answer_sdp if self._answer_sdp is not None else self.sdp.create_offer()
        self.attach_sdp(response, body)
        self.signaling.send_2xx_reliably(response, self.invite_tid)

    def _response(self, status: int, reason: str | None = None) -> Response:
        invite = self.session.invite
        assert invite is not None
        response = make_response(invite, status, reason, to_tag=self.to_tag)
        if status >= 300:
            return response
        response = self.signaling.finish_response(response)
        if self.alex is not None and status > 100:
            self.alex.announce(response.headers)
        return response

    def _answer_reoffer(self, transaction_id: TransactionId, request: Request) -> None:
        if self.sdp.offer_pending:  # an offer of ours waits for its answer (§14.2)
            self.signaling.respond(transaction_id, make_response(request, 491))
            return
        response = self.signaling.finish_response(make_response(request, 200))
        if request.body:
            try:
                answer = self.sdp.answer(SessionDescription.parse(request.body))
            except (ParseError, OfferAnswerError) as exc:
                self.signaling.respond(
                    transaction_id, make_response(request, 488, str(exc)[:REASON_CHARS])
                )
                return
            self.attach_sdp(response, answer.sdp)
            held = not answer.media.direction.sends or answer.media.remote_on_hold_address
            self._set_held(held or self.sdp.on_hold)
            self._media_changed()
        if request.method == "INVITE":
            self.signaling.send_2xx_reliably(response, transaction_id)
        else:
            self.signaling.respond(transaction_id, response)

    def _confirmed(self, response: Response | None) -> None:
        if response is not None:  # the UAC: the 2xx carries the answer to our offer
            try:
                # a 2xx without a body repeats the answer its 183 gave (RFC 3261 §13.2.1)
                early = self.sdp.remote if not response.body else None
                self.sdp.receive_answer(early or SessionDescription.parse(response.body))
            except (ParseError, OfferAnswerError) as exc:
                log.info("unusable SDP answer: %s", exc)
                self.hang_up(488, f"Unusable SDP answer: {exc}")
                return
        self._state(CallState.CONFIRMED)
        if self.alex is not None:
            if response is not None:
                self.alex.adopt_ice(response.body)  # not ALEX: ICE if the answer does ICE
            self.alex.confirmed()

    def _reoffer_answered(self, response: Response) -> None:
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

    def _end(self, code: int | None, reason: str) -> None:
        self._driver.close()
        self.port.close()
        if self.alex is not None:
            self.alex.close()
        self._state(CallState.ENDED, code, reason)
        self.signaling.call_ended(self.call_id)

    def _state(self, state: CallState, code: int | None = None, reason: str = "") -> None:
        account = self.account.key if self.account is not None else ""
        self.emit(
            CallChanged(
                *(self.call_id, self.direction, self.remote, state, code, reason),
                *(self.display_name, account),
            )
        )

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
        self.call.on_invite_failure(status, reason)


class _ReinviteOutcome:
    def __init__(self, call: Call, request: Request) -> None:
        self.call = call
        self.request = request

    def on_response(self, response: Response) -> None:
        self.call.on_reinvite_response(response)

    def on_failure(self, status: int, reason: str) -> None:
        self.call.on_reinvite_failure(status, reason)


class _ByeOutcome:
    def __init__(self, call: Call) -> None:
        self.call = call

    def on_response(self, response: Response) -> None:
        status = response.status
        if status >= 200:
            reason = "" if status < 300 else f"BYE answered {status} {response.reason}"
            self.call.on_bye_done(status, reason)

    def on_failure(self, status: int, reason: str) -> None:
        self.call.on_bye_done(status, f"BYE failed: {reason}")


class _Ignore:
    def on_response(self, response: Response) -> None:
        return

    def on_failure(self, status: int, reason: str) -> None:
        return
