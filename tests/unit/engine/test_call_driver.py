"""engine.call.Call drives its INVITE session without sockets: a fake user agent, a fake loop.

The fake signaling keeps every request (with its response handler) and response the call
hands it; the peer's SDP comes from a real SdpSession, so offers and answers are genuine.
"""

from __future__ import annotations

import random

from alexphone.engine.call import Call
from alexphone.engine.events import CallChanged, CallState, Direction
from alexphone.engine.response_handler import ResponseHandler
from alexphone.sdp.negotiation import SdpSession
from alexphone.sdp.offer_answer import LocalMedia
from alexphone.sdp.session import SessionDescription
from alexphone.sip.dialog import Dialog
from alexphone.sip.headers import NameAddress
from alexphone.sip.invite_events import SessionRole
from alexphone.sip.invite_session import InviteSession
from alexphone.sip.message import Headers, Request, Response, make_response
from alexphone.sip.transaction import TransactionId
from alexphone.sip.uri import SipUri, parse_sip_uri
from fake_loop import FakeLoop


class FakePort:
    host, port, closed = "192.0.2.1", 4000, False

    def close(self) -> None:
        self.closed = True


class FakeSignaling:
    """The user agent as far as a call sees it: records what the call sends."""

    def __init__(self) -> None:
        self.requests: list[tuple[Request, ResponseHandler]] = []
        self.acks: list[Request] = []
        self.responses: list[Response] = []
        self.ended: list[str] = []

    def send_request(self, request: Request, handler: ResponseHandler) -> None:
        self.requests.append((request, handler))

    def send_ack(self, ack: Request) -> None:
        self.acks.append(ack)

    def respond(self, transaction_id: TransactionId, response: Response) -> None:
        self.responses.append(response)

    def send_2xx_reliably(self, response: Response, transaction_id: TransactionId) -> None:
        self.responses.append(response)

    def new_request(self, method: str, request_uri: SipUri, to: NameAddress) -> Request:
        raise AssertionError("no out-of-dialog request expected")

    def prepare_in_dialog(self, dialog: Dialog, method: str, cseq: int | None = None) -> Request:
        return dialog.create_request(method, cseq=cseq)

    def authorize(self, request: Request, response: Response) -> Request | None:
        return None

    def finish_response(self, response: Response) -> Response:
        return response

    def media_port(self) -> FakePort:
        return FakePort()

    def new_sdp_session(self, port: FakePort) -> SdpSession:
        return SdpSession(LocalMedia(port.host, port.port), session_id=1)

    def call_ended(self, call_id: str) -> None:
        self.ended.append(call_id)

    def methods(self) -> list[str]:
        return [request.method for request, _ in self.requests]


def _invite() -> Request:
    headers = Headers()
    headers.add("Via", "SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKc1")
    headers.add("From", "<sip:alice@192.0.2.1>;tag=a1")
    headers.add("To", "<sip:bob@192.0.2.2>")
    headers.add("Call-ID", "drv1@192.0.2.1")
    headers.add("CSeq", "1 INVITE")
    headers.add("Contact", "<sip:alice@192.0.2.1>")
    return Request("INVITE", parse_sip_uri("sip:bob@192.0.2.2"), headers)


class Peer:
    """Bob: answers offers with a real SdpSession."""

    def __init__(self) -> None:
        self.sdp = SdpSession(LocalMedia("192.0.2.2", 5000), session_id=2)

    def answer(self, request: Request, status: int = 200) -> Response:
        response = make_response(request, status, to_tag="b1")
        response.headers.add("Contact", "<sip:bob@192.0.2.2>")
        if status == 200:
            response.headers.set("Content-Type", "application/sdp")
            response.body = self.sdp.answer(SessionDescription.parse(request.body)).sdp.to_bytes()
        return response


def _outgoing() -> tuple[Call, FakeSignaling, FakeLoop, list[CallChanged]]:
    signaling, loop, events = FakeSignaling(), FakeLoop(), []
    invite = _invite()
    session = InviteSession(SessionRole.UAC, random.Random(3), invite=invite)
    call = Call(signaling, events.append, Direction.OUT, "bob", session, loop=loop)  # type: ignore[arg-type]
    call.place(invite)
    return call, signaling, loop, events


def _states(events: list[CallChanged]) -> list[CallState]:
    return [event.state for event in events]


def test_a_hold_that_meets_491_is_sent_again_when_the_sessions_timer_fires() -> None:
    call, signaling, loop, events = _outgoing()
    peer = Peer()
    invite, handler = signaling.requests[0]
    handler.on_response(peer.answer(invite))
    assert _states(events) == [CallState.CALLING, CallState.CONFIRMED]

    call.hold(True)
    reinvite, handler = signaling.requests[-1]
    assert b"a=sendonly" in reinvite.body
    handler.on_response(make_response(reinvite, 491, to_tag="b1"))
    assert not call.sdp.offer_pending  # the offer is forgotten until the retry
    (retry_at,) = [h.when for h in loop.pending()]
    assert 2.1 <= retry_at - loop.now <= 4.0  # we chose the Call-ID (RFC 3261 §14.1)

    loop.advance(retry_at)
    again, handler = signaling.requests[-1]
    assert signaling.methods() == ["INVITE", "INVITE", "INVITE"]
    assert again.cseq.seq == reinvite.cseq.seq + 1 and b"a=sendonly" in again.body
    handler.on_response(peer.answer(again))
    assert _states(events)[-1] is CallState.HELD
    assert [ack.cseq.seq for ack in signaling.acks] == [1, again.cseq.seq]


def test_a_failed_hold_keeps_the_call_and_its_media() -> None:
    call, signaling, loop, events = _outgoing()
    peer = Peer()
    invite, handler = signaling.requests[0]
    handler.on_response(peer.answer(invite))
    negotiated = call.sdp.negotiated
    call.hold(True)
    reinvite, handler = signaling.requests[-1]
    handler.on_response(make_response(reinvite, 488, to_tag="b1"))
    assert call.sdp.negotiated == negotiated and not call.sdp.offer_pending
    assert _states(events)[-1] is CallState.CONFIRMED and call.is_confirmed
    assert loop.pending() == []  # no retry for anything but 491


def test_hanging_up_before_any_provisional_cancels_once_one_comes() -> None:
    call, signaling, loop, events = _outgoing()
    invite, handler = signaling.requests[0]
    call.hang_up()
    assert signaling.methods() == ["INVITE"]  # RFC 3261 §9.1: not before a provisional
    handler.on_response(make_response(invite, 180, to_tag="b1"))
    assert signaling.methods() == ["INVITE", "CANCEL"]
    handler.on_response(make_response(invite, 487, to_tag="b1"))
    assert events[-1].state is CallState.ENDED and events[-1].code == 487
    assert signaling.ended == [call.call_id] and call.port.closed  # type: ignore[attr-defined]
    assert loop.pending() == []  # Timer C and the CANCEL wait are gone


def test_a_183_with_sdp_gives_early_media_and_a_bodiless_200_keeps_it() -> None:
    call, signaling, _, events = _outgoing()
    peer = Peer()
    invite, handler = signaling.requests[0]
    early = make_response(invite, 183, to_tag="b1")
    early.headers.add("Contact", "<sip:bob@192.0.2.2>")
    early.headers.set("Content-Type", "application/sdp")
    early.body = peer.sdp.answer(SessionDescription.parse(invite.body)).sdp.to_bytes()
    handler.on_response(early)
    assert _states(events) == [CallState.CALLING, CallState.EARLY]
    negotiated = call.sdp.negotiated  # media can start now (RFC 3960)
    assert negotiated is not None and negotiated.remote == ("192.0.2.2", 5000)

    final = make_response(invite, 200, to_tag="b1")  # some UASes do not repeat the answer
    final.headers.add("Contact", "<sip:bob@192.0.2.2>")
    handler.on_response(final)
    assert _states(events)[-1] is CallState.CONFIRMED
    assert call.sdp.negotiated == negotiated and not call.sdp.offer_pending


def test_while_a_hold_waits_after_491_a_new_wish_replaces_it_and_a_restart_waits() -> None:
    call, signaling, loop, _ = _outgoing()
    peer = Peer()
    invite, handler = signaling.requests[0]
    handler.on_response(peer.answer(invite))
    call.hold(True)
    reinvite, handler = signaling.requests[-1]
    handler.on_response(make_response(reinvite, 491, to_tag="b1"))

    def restart_offer(dialog: Dialog) -> Request:
        raise AssertionError("the restart must not displace the waiting hold")

    assert not call.reoffer(restart_offer, lambda r: handler, replace=False)
    call.hold(False)  # the user changed their mind: the retry carries the newest wish
    (retry_at,) = [h.when for h in loop.pending()]
    loop.advance(retry_at)
    again, _ = signaling.requests[-1]
    assert b"a=sendrecv" in again.body and signaling.methods().count("INVITE") == 3
