"""ICE for peers that speak ICE in SDP but not ALEX (RFC 8445, RFC 8839), on the same agent.

Our SDP carries ``a=ice-ufrag``/``a=ice-pwd`` (the ALEX-session ufrag/pwd) and one
``a=candidate`` per ``m0.1`` item, so an ICE peer can check us. Offers always carry them
(we do not know yet what the peer is); answers only when the peer's offer did ICE, and never
toward a plain peer (RFC 8839 §3.2: a peer that did not offer ICE does not get it).

When the peer did not announce ALEX but its SDP has candidates and credentials, the call's
``CheckAgent`` runs for the media flows alone (Mode.ICE): our ``sip`` items are dropped (ICE
knows no signaling flow), the peer's candidates and credentials are set, and the call's media
gate and path switch work as under ALEX (``AlexCall.adopt_ice`` does this with what
``ice_peer`` read).

Components (RFC 8445 §5.1.1.1, RFC 5761 §5.1.3). Our offers carry component-2 (RTCP)
candidates as well, on the RTCP socket at port + 1, since we cannot know whether the peer will
multiplex. A peer whose SDP has RTCP candidates and no ``a=rtcp-mux`` gets ICE on component 2
too: a second flow, ``m0.2``, checked and nominated beside ``m0.1`` (a peer such as linphonec
otherwise waits for a component-2 pair and never sends media). A peer that multiplexes gets
component 1 only, and its RTCP candidates are ignored.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from alexphone.alex.address import is_usable_address
from alexphone.alex.candidate import Candidate
from alexphone.alex.ice_sdp import IcePeer, media_attributes, read_ice
from alexphone.alex.probe import Credentials
from alexphone.core.errors import ParseError
from alexphone.engine.alexcall.headers import AUDIO_FLOW, MEDIA_FLOWS, RTCP_FLOW, is_loopback
from alexphone.sdp.session import SessionDescription

log = logging.getLogger(__name__)
AUDIO_M_LINE = 0


def with_ice(
    sdp: SessionDescription, credentials: Credentials, media: list[Candidate]
) -> SessionDescription:
    """``sdp`` with ICE attributes for the ``media`` candidates (both components) on the
    audio m-line (once)."""
    if not sdp.media:
        return sdp
    audio = sdp.media[AUDIO_M_LINE]
    if audio.rejected or audio.attribute("ice-ufrag") is not None:
        return sdp
    extra = media_attributes(credentials, media, AUDIO_M_LINE)
    updated = replace(audio, attributes=(*audio.attributes, *extra))
    return replace(sdp, media=(updated, *sdp.media[1:]))


def ice_peer(body: bytes, call_id: str, *, keep_loopback: bool) -> IcePeer | None:
    """The ICE peer in the SDP ``body`` (usable media candidates only), None if no ICE.

    Its RTCP (component-2) candidates are kept only without ``a=rtcp-mux``: then it checks
    RTCP on its own component and expects us to (RFC 8445 §6.1.2.2).
    """
    try:
        sdp = SessionDescription.parse(body)
        peer = read_ice(sdp, AUDIO_M_LINE)
    except ParseError:
        return None
    if peer is None:
        return None
    muxed = sdp.media[AUDIO_M_LINE].attribute("rtcp-mux") is not None
    flows = (AUDIO_FLOW,) if muxed else MEDIA_FLOWS
    usable = tuple(
        c
        for c in peer.candidates
        if c.flow in flows
        and (is_usable_address(c.address) or (keep_loopback and is_loopback(c.address[0])))
    )
    if not any(c.flow == AUDIO_FLOW for c in usable):
        log.info("call %s: ICE peer announced no usable audio candidate", call_id)
        return None
    return replace(peer, candidates=usable)


def checks_rtcp(peer: IcePeer) -> bool:
    """Tell whether ``peer`` checks RTCP on its own component (``m0.2`` candidates)."""
    return any(c.flow == RTCP_FLOW for c in peer.candidates)
