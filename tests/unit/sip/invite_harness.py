"""Drive an InviteSession by hand: real messages in, queued actions out, a clock moved by hand.

``RECIPES`` reach every state from a fresh session (several ways for some states, both roles
where both can be there); ``feed`` turns any ``SessionInput`` into the public call and the
message that carry it. The table walk and the random sequences share both.
"""

from __future__ import annotations

import random

from alexphone.sip.headers import NameAddress
from alexphone.sip.invite_events import (
    SendInvite,
    SessionAction,
    SessionInput,
    SessionRole,
    SessionState,
)
from alexphone.sip.invite_session import InviteSession
from alexphone.sip.message import Headers, Request, Response, make_response
from alexphone.sip.parser import parse
from alexphone.sip.transaction import TransactionId
from alexphone.sip.uri import parse_sip_uri

I, S = SessionInput, SessionState  # noqa: E741 - reads like the table
ALICE = "sip:alice@192.0.2.1"
BOB = "sip:bob@192.0.2.2"
CAROL = "sip:carol@192.0.2.3"
DAVE = "sip:dave@192.0.2.4"


def invite_to(uri: str, cseq: int = 1, call_id: str = "c1@192.0.2.1") -> Request:
    """An INVITE from Alice (tag a1) to ``uri``, as a UAC sends or a UAS receives it."""
    data = (
        f"INVITE {uri} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK{cseq}x{len(uri)}\r\n"
        "Max-Forwards: 70\r\n"
        f"From: <{ALICE}>;tag=a1\r\n"
        f"To: <{BOB}>\r\n"
        f"Call-ID: {call_id}\r\n"
        f"CSeq: {cseq} INVITE\r\n"
        f"Contact: <{ALICE}>\r\n"
        "Content-Length: 0\r\n\r\n"
    ).encode()
    message = parse(data)
    assert isinstance(message, Request)
    return message


def answer(request: Request, status: int, tag: str | None = "b1", contact: str = BOB) -> Response:
    """The peer's response to ``request``, with its To tag and a Contact."""
    response = make_response(request, status, to_tag=tag if status > 100 else None)
    response.headers.add("Contact", f"<{contact}>")
    return response


class Harness:
    """One session, its clock and everything it asked for so far."""

    def __init__(self, role: SessionRole, seed: int = 7) -> None:
        self.now = 100.0
        self.role = role
        invite = invite_to(BOB)
        if role is SessionRole.UAC:
            self.session = InviteSession(role, random.Random(seed))
        else:
            self.session = InviteSession(role, random.Random(seed), invite=invite, to_tag="b1")
        self.invite = invite
        self.actions: list[SessionAction] = []
        self.tids = 0

    @property
    def state(self) -> SessionState:
        return self.session.state

    def drain(self) -> list[SessionAction]:
        """Return (and log) what the session queued since the last drain."""
        fresh = []
        while (action := self.session.next_action()) is not None:
            fresh.append(action)
            if isinstance(action, SendInvite) and action.target is not None:
                self.session.use_invite(invite_to(str(action.target)))  # what the driver does
        self.actions += fresh
        return fresh

    def tid(self) -> TransactionId:
        self.tids += 1
        return TransactionId(1000 + self.tids)

    def respond(self, status: int, tag: str | None = "b1", contact: str = BOB) -> None:
        """A response to our current INVITE arrives."""
        request = self.session.invite or self.invite  # before PLACE: the session refuses
        self.session.invite_response(answer(request, status, tag, contact), self.now)

    def reinvite_response(self, status: int) -> None:
        """A response to our re-INVITE arrives."""
        dialog = self.session.dialog
        request = self.invite if dialog is None else dialog.create_request("INVITE")
        tag = "b1" if dialog is None else dialog.id.remote_tag
        self.session.reoffer_response(answer(request, status, tag), self.now)

    def peer(self, method: str) -> Request:
        """An in-dialog request from the peer arrives; returns it."""
        dialog = self.session.dialog
        if dialog is None:
            local = NameAddress(parse_sip_uri(ALICE)).with_tag("a1")
            remote = NameAddress(parse_sip_uri(BOB)).with_tag("b1")
        else:
            local, remote = dialog.local_uri, dialog.remote_uri
        headers = Headers()
        headers.add("Via", "SIP/2.0/UDP 192.0.2.2;branch=z9hG4bKpeer" + str(self.tids))
        headers.add("From", str(remote))
        headers.add("To", str(local))
        headers.add("Call-ID", self.invite.call_id)
        headers.add("CSeq", f"{50 + self.tids} {method}")
        request = Request(method, parse_sip_uri(ALICE), headers)
        self.session.request_received(self.tid(), request, self.now)
        return request

    def fire(self) -> bool:
        """Move the clock to the next timer and fire it; False if none runs."""
        deadline = self.session.get_timer()
        if deadline is None:
            return False
        self.now = max(self.now, deadline)
        self.session.handle_timer(self.now)
        return True


def feed(h: Harness, event: SessionInput) -> None:
    """Give the session the public call and message that carry ``event``."""
    s, now = h.session, h.now
    match event:
        case I.PLACE:
            s.place(h.invite, now)
        case I.OFFER:
            s.offer(now)
        case I.ANSWER:
            s.answer(now)
        case I.REJECT:
            s.reject(603, "Decline", now)
        case I.HANG_UP:
            s.hang_up(now)
        case I.REOFFER:
            s.reoffer(now)
        case I.ABANDON:
            s.abandon(503, "Shut down", now)
        case I.PROVISIONAL:
            h.respond(180)
        case I.SUCCESS | I.SUCCESS_AGAIN:
            tag = s.dialog.id.remote_tag if s.dialog is not None else "b1"
            h.respond(200, tag)
        case I.SUCCESS_FORK:
            h.respond(200, "b2")
        case I.REDIRECT:
            h.respond(302, None, CAROL)
        case I.CHALLENGE:
            h.respond(407, None)
        case I.FAILURE:
            h.respond(486)
        case I.CANCEL:
            s.cancel_received(now)
        case I.PEER_REOFFER | I.PEER_BYE | I.PEER_REQUEST:
            h.peer({I.PEER_REOFFER: "INVITE", I.PEER_BYE: "BYE"}.get(event, "INFO"))
        case I.REOFFER_ACCEPTED | I.REOFFER_GLARE | I.REOFFER_REJECTED | I.REOFFER_FATAL:
            statuses = {I.REOFFER_ACCEPTED: 200, I.REOFFER_GLARE: 491, I.REOFFER_FATAL: 481}
            h.reinvite_response(statuses.get(event, 488))
        case I.BYE_DONE:
            s.bye_done(200, "", now)
        case I.TIMER_C | I.TIMER_CANCEL | I.TIMER_GLARE:
            h.fire()
    h.drain()


Recipe = tuple[SessionRole, tuple[SessionInput, ...]]
_UAC_UP = (I.PLACE, I.SUCCESS)
_UAS_UP = (I.OFFER, I.ANSWER)
_BOTH_UP = ((SessionRole.UAC, _UAC_UP), (SessionRole.UAS, _UAS_UP))
RECIPES: dict[SessionState, list[Recipe]] = {
    S.IDLE: [(SessionRole.UAC, ()), (SessionRole.UAS, ())],
    S.IDLE_CANCELLED: [(SessionRole.UAC, (I.HANG_UP,)), (SessionRole.UAS, (I.CANCEL,))],
    S.CALLING: [(SessionRole.UAC, (I.PLACE,))],
    S.CANCEL_WANTED: [(SessionRole.UAC, (I.PLACE, I.HANG_UP))],
    S.PROCEEDING: [(SessionRole.UAC, (I.PLACE, I.PROVISIONAL))],
    S.CANCELLING: [(SessionRole.UAC, (I.PLACE, I.PROVISIONAL, I.HANG_UP))],
    S.OFFERED: [(SessionRole.UAS, (I.OFFER,))],
    S.CONFIRMED: [(SessionRole.UAC, _UAC_UP), (SessionRole.UAS, _UAS_UP)],
    S.REINVITING: [(role, (*up, I.REOFFER)) for role, up in _BOTH_UP],
    S.GLARE_WAIT: [(role, (*up, I.REOFFER, I.REOFFER_GLARE)) for role, up in _BOTH_UP],
    S.ENDING: [(SessionRole.UAC, (*_UAC_UP, I.HANG_UP)), (SessionRole.UAS, (*_UAS_UP, I.HANG_UP))],
    S.TERMINATED: [
        (SessionRole.UAC, (I.PLACE, I.FAILURE)),  # no dialog
        (SessionRole.UAC, (*_UAC_UP, I.HANG_UP, I.BYE_DONE)),  # with one
        (SessionRole.UAS, (I.OFFER, I.REJECT)),
    ],
}


def reach(role: SessionRole, steps: tuple[SessionInput, ...]) -> Harness:
    """A fresh session of ``role`` taken through ``steps``."""
    h = Harness(role)
    for step in steps:
        feed(h, step)
    return h
