"""A peer that refuses our best-effort SDES offer with 488 gets one RTP/SAVP offer (baresip's
srtp-mand takes only RTP/SAVP); Call driven without sockets, as in test_call_driver."""

from __future__ import annotations

import random
from dataclasses import replace

from test_call_driver import FakePort, FakeSignaling, Peer, _invite, _states

from alexphone.engine.call import Call
from alexphone.engine.events import CallChanged, CallState, Direction
from alexphone.engine.media_security import with_policy
from alexphone.sdp.crypto import MediaEncryption
from alexphone.sdp.dtls import Fingerprint
from alexphone.sdp.negotiation import SdpSession
from alexphone.sdp.offer_answer import LocalMedia
from alexphone.sdp.session import SessionDescription
from alexphone.sip.invite_events import SessionRole
from alexphone.sip.invite_session import InviteSession
from alexphone.sip.message import make_response
from fake_loop import FakeLoop

OURS = Fingerprint("sha-256", bytes(range(32)))


class PolicySignaling(FakeSignaling):
    """The fake user agent, with the default policy; ``tls``: the INVITE leaves over TLS."""

    def __init__(self, tls: bool) -> None:
        super().__init__()
        self.tls = tls

    def new_sdp_session(self, port: FakePort) -> SdpSession:
        local = LocalMedia(port.host, port.port)
        local = with_policy(local, MediaEncryption.OPTIONAL, lambda n: b"\x05" * n, lambda: OURS)
        return SdpSession(replace(local, offer_crypto=self.tls), session_id=1)


def _their_keys(n: int) -> bytes:
    return b"\x06" * n


def _outgoing(tls: bool) -> tuple[Call, PolicySignaling, list[CallChanged]]:
    signaling, events = PolicySignaling(tls), []
    invite = _invite()
    session = InviteSession(SessionRole.UAC, random.Random(3), invite=invite)
    call = Call(signaling, events.append, Direction.OUT, "bob", session, loop=FakeLoop())  # type: ignore[arg-type]
    call.place(invite)
    return call, signaling, events


def _audio(body: bytes) -> tuple[str, int, bool]:
    """The offer's audio profile, its a=crypto count and whether it has a=fingerprint."""
    media = SessionDescription.parse(body).media[0]
    crypto = len(media.attributes_named("crypto"))
    return media.proto, crypto, media.attribute("fingerprint") is not None


def test_a_488_to_our_best_effort_offer_over_tls_brings_one_rtp_savp_offer() -> None:
    call, signaling, events = _outgoing(tls=True)
    invite, handler = signaling.requests[0]
    assert _audio(invite.body) == ("RTP/AVP", 3, False)
    handler.on_response(make_response(invite, 488, "Not Acceptable Here", to_tag="b1"))

    retry, handler = signaling.requests[1]
    assert _audio(retry.body) == ("RTP/SAVP", 3, False)
    assert retry.cseq.seq == invite.cseq.seq + 1 and "Via" not in retry.headers
    assert (retry.call_id, retry.from_.tag) == (invite.call_id, invite.from_.tag)
    assert retry.to.tag is None and retry.uri == invite.uri
    assert _states(events) == [CallState.CALLING]  # the 488 did not end the call
    peer = Peer()  # insists on RTP/SAVP
    insists = with_policy(peer.sdp.local, MediaEncryption.MANDATORY, _their_keys, lambda: OURS)
    peer.sdp = SdpSession(insists, session_id=2)
    handler.on_response(peer.answer(retry))
    assert _states(events) == [CallState.CALLING, CallState.CONFIRMED]
    assert call.sdp.negotiated is not None and call.sdp.negotiated.srtp is not None


def test_a_second_488_ends_the_call() -> None:
    _, signaling, events = _outgoing(tls=True)
    invite, handler = signaling.requests[0]
    handler.on_response(make_response(invite, 488, to_tag="b1"))
    retry, handler = signaling.requests[1]
    handler.on_response(make_response(retry, 488, "Not Acceptable Here", to_tag="b2"))
    assert signaling.methods() == ["INVITE", "INVITE"]
    assert events[-1].state is CallState.ENDED and events[-1].code == 488


def test_over_cleartext_signaling_a_488_ends_the_call_with_no_keys_sent() -> None:
    _, signaling, events = _outgoing(tls=False)
    invite, handler = signaling.requests[0]
    assert _audio(invite.body) == ("RTP/AVP", 0, False)
    handler.on_response(make_response(invite, 488, to_tag="b1"))
    assert signaling.methods() == ["INVITE"]
    assert events[-1].state is CallState.ENDED and events[-1].code == 488
