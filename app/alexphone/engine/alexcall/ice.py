"""ICE for peers that speak ICE in SDP but not ALEX (RFC 8445, RFC 8839), on the same agent.

Our SDP carries ``a=ice-ufrag``/``a=ice-pwd`` (the ALEX-session ufrag/pwd) and one
``a=candidate`` per ``m0.1`` item, so an ICE peer can check us. Offers always carry them
(we do not know yet what the peer is); answers only when the peer's offer did ICE, and never
toward a plain peer (RFC 8839 §3.2: a peer that did not offer ICE does not get it).

When the peer did not announce ALEX but its SDP has candidates and credentials, the call's
``CheckAgent`` runs for the audio flow alone (Mode.ICE): our ``sip`` items are dropped (ICE
knows no signaling flow), the peer's RTP-component candidates and credentials are set, and the
call's media gate and path switch work as under ALEX (``AlexCall.adopt_ice`` does this with
what ``ice_peer`` read). The peer's RTCP candidates are ignored: our answer announces
component 1 only, so an ICE peer forms no component-2 pairs (RFC 8445 §6.1.2.2).
"""

from __future__ import annotations

import logging
from dataclasses import replace

from alexphone.alex.address import is_usable_address
from alexphone.alex.candidate import Candidate
from alexphone.alex.ice_sdp import IcePeer, media_attributes, read_ice
from alexphone.alex.probe import Credentials
from alexphone.core.errors import ParseError
from alexphone.engine.alexcall.headers import AUDIO_FLOW, is_loopback
from alexphone.sdp.session import SessionDescription

log = logging.getLogger(__name__)
AUDIO_M_LINE = 0


def with_ice(
    sdp: SessionDescription, credentials: Credentials, audio: list[Candidate]
) -> SessionDescription:
    """``sdp`` with ICE attributes for ``audio`` on the audio m-line (once)."""
    if not sdp.media:
        return sdp
    media = sdp.media[AUDIO_M_LINE]
    if media.rejected or media.attribute("ice-ufrag") is not None:
        return sdp
    extra = media_attributes(credentials, audio, AUDIO_M_LINE)
    updated = replace(media, attributes=(*media.attributes, *extra))
    return replace(sdp, media=(updated, *sdp.media[1:]))


def ice_peer(body: bytes, call_id: str, *, answering: bool, keep_loopback: bool) -> IcePeer | None:
    """The ICE peer in the SDP ``body`` (usable audio candidates only), None if no ICE.

    ``answering``: ``body`` is the peer's offer. An offer with RTCP candidates and no
    ``a=rtcp-mux`` expects ICE on component 2 as well, which we do not run: the call stays
    plain and our answer carries no ICE (RFC 8839 §3.2), else the peer waits for a
    component-2 pair, never nominates, and sends no media (measured with linphonec 5.1).
    """
    try:
        sdp = SessionDescription.parse(body)
        peer = read_ice(sdp, AUDIO_M_LINE)
    except ParseError:
        return None
    if peer is None:
        return None
    muxed = sdp.media[AUDIO_M_LINE].attribute("rtcp-mux") is not None
    if answering and not muxed and any(c.component == 2 for c in peer.candidates):
        log.info("call %s: ICE offer wants RTCP checks: answering without ICE", call_id)
        return None
    audio = tuple(
        c
        for c in peer.candidates
        if c.flow == AUDIO_FLOW
        and (is_usable_address(c.address) or (keep_loopback and is_loopback(c.address[0])))
    )
    if not audio:
        log.info("call %s: ICE peer announced no usable audio candidate", call_id)
        return None
    return replace(peer, candidates=audio)
