"""The offer/answer model for one audio stream (RFC 3264).

Theory of operation: the offerer lists codecs in its preference order under its own payload
type numbers (``make_offer``). The answerer keeps every m= line in order, rejects with port 0
what it cannot use (non-audio, unknown profiles, a second audio stream), and answers the
first usable audio stream with the common codecs in its own preference order but under the
offerer's payload type numbers (``make_answer``, RFC 3264 §6.1). The offerer then reads the
answer back against its offer (``apply_answer``, §7). Both sides end with a NegotiatedMedia:
how *we* send (codec under the peer's payload type, peer address, ptime) and which way media
flows from our point of view. RTCP shares the RTP port when both sides wrote
``a=rtcp-mux`` (RFC 5761 §5.1.1); otherwise it goes to ``a=rtcp`` or the RTP port + 1.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from alexphone.core.address import Address
from alexphone.core.errors import LocalProtocolError, ParseError, RemoteProtocolError
from alexphone.sdp.attribute import Attribute, Direction, RtcpAddress
from alexphone.sdp.codec import DEFAULT_CODECS, TELEPHONE_EVENT, Codec
from alexphone.sdp.crypto import (
    Crypto,
    SrtpKeys,
    choose_crypto,
    match_answer,
    parse_crypto_lines,
    supported_suites_text,
)
from alexphone.sdp.dtls import (
    DTLS_PROTOS,
    DtlsParams,
    Fingerprint,
    Setup,
    answer_dtls,
    applied_dtls,
    dtls_attributes,
    offers_dtls,
)
from alexphone.sdp.session import Connection, Media, Origin, SessionDescription, Timing

__all__ = [
    "InvalidAnswerError",
    "LocalMedia",
    "MediaRejectedError",
    "NegotiatedMedia",
    "NoCommonCodecError",
    "OfferAnswerError",
    "SdpAnswer",
    "apply_answer",
    "make_answer",
    "make_offer",
]

DEFAULT_PTIME = 20  # ms; RFC 3551 §4.5 default packetisation for audio
SAVP = "RTP/SAVP"  # RFC 3711 §12
RTCP_MUX = "rtcp-mux"  # RFC 5761 §5.1.1: RTP and RTCP on one port


class OfferAnswerError(RemoteProtocolError):
    """The peer's offer or answer cannot be used (RFC 3264)."""

    status = 488


class NoCommonCodecError(OfferAnswerError):
    """The offer has no audio stream we can accept: answer 488 Not Acceptable Here."""


class MediaRejectedError(OfferAnswerError):
    """The answerer rejected our audio stream with port 0 (RFC 3264 §6)."""


class InvalidAnswerError(OfferAnswerError):
    """The answer does not fit the offer (m= line count, types or codecs, RFC 3264 §6)."""


def addr_type(address: str) -> str:
    """Return the SDP address type of an IP literal: ``IP6`` if it contains a colon."""
    return "IP6" if ":" in address else "IP4"


@dataclass(frozen=True, slots=True)
class LocalMedia:
    """What we can do: RTP address and port, codecs in preference order, direction wish."""

    address: str
    port: int
    codecs: tuple[Codec, ...] = DEFAULT_CODECS
    telephone_event: Codec | None = TELEPHONE_EVENT
    direction: Direction = Direction.SENDRECV
    ptime: int | None = DEFAULT_PTIME
    username: str = "-"
    session_name: str = "-"
    alt_address: str | None = None  # an address of the other IP family, used if the peer is there
    protos: tuple[str, ...] = ("RTP/AVP",)
    prefer_offer_order: bool = False  # answer in the offerer's codec order instead of ours
    rtcp_port: int | None = None  # written as a=rtcp when RTCP is not on port + 1 (RFC 3605)
    crypto: tuple[Crypto, ...] = ()  # our SDES keys (RFC 4568), one per suite; () = no SRTP
    crypto_required: bool = False  # offer RTP/SAVP and refuse cleartext streams
    offer_crypto: bool = True  # put a=crypto in offers (best effort on RTP/AVP unless required)
    dtls: Fingerprint | None = None  # our DTLS certificate (RFC 5763); None = no DTLS-SRTP
    dtls_required: bool = False  # offer UDP/TLS/RTP/SAVP and refuse streams without DTLS-SRTP
    offer_dtls: bool = False  # a=fingerprint, a=setup:actpass in offers (best effort on RTP/AVP)
    rtcp_mux: bool = True  # offer a=rtcp-mux and accept it in offers (RFC 5761 §5.1.1)

    @property
    def offer_proto(self) -> str:
        """The m= profile of our offers: UDP/TLS/RTP/SAVP or RTP/SAVP when mandatory, else ours."""
        if self.dtls is not None and self.dtls_required:
            return next((p for p in self.protos if p in DTLS_PROTOS), DTLS_PROTOS[0])
        return SAVP if self.crypto and self.crypto_required else self.protos[0]

    @property
    def offers_dtls(self) -> bool:
        """Tell whether our offers carry a=fingerprint and a=setup:actpass."""
        return self.dtls is not None and (self.offer_dtls or self.dtls_required)

    def __post_init__(self) -> None:
        if not self.codecs:
            raise LocalProtocolError("LocalMedia needs at least one codec")
        everything = (*self.codecs, *([self.telephone_event] if self.telephone_event else []))
        if len({c.payload_type for c in everything}) != len(everything):
            raise LocalProtocolError("LocalMedia codecs share a payload type")
        if not 0 <= self.port <= 65535:
            raise LocalProtocolError(f"bad RTP port {self.port}")

    def address_for(self, family: str | None) -> str:
        """Return our address in ``family`` (IP4/IP6) if we have one, else the main address."""
        alt = self.alt_address
        if family is not None and addr_type(self.address) != family and alt is not None:
            return alt if addr_type(alt) == family else self.address
        return self.address


@dataclass(frozen=True, slots=True)
class NegotiatedMedia:
    """The outcome for one audio stream, seen from our side."""

    codec: Codec  # how we send: the peer's payload type and fmtp
    telephone_event: int | None  # payload type for RFC 4733 events, None if not agreed
    local: Address
    remote: Address
    direction: Direction  # ours: SENDONLY means we send and do not receive
    ptime: int
    codecs: tuple[Codec, ...] = ()  # every agreed codec (the peer may switch among them)
    telephone_event_rate: int | None = None
    remote_rtcp: Address | None = None
    srtp: SrtpKeys | None = None  # the SDES keys, None for plain RTP
    dtls: DtlsParams | None = None  # DTLS-SRTP: the keys come from the handshake (RFC 5764)
    rtcp_mux: bool = False  # RTCP shares the RTP port both ways (RFC 5761 §5.1.1)

    @property
    def remote_on_hold_address(self) -> bool:
        """Tell whether the peer gave the RFC 2543 hold address (no media to send)."""
        return self.remote[0] in ("0.0.0.0", "::")


@dataclass(frozen=True, slots=True)
class SdpAnswer:
    """An answer body and the media it agrees to; ``index`` is the accepted m= line."""

    sdp: SessionDescription
    media: NegotiatedMedia
    index: int


def _audio_media(
    local: LocalMedia,
    port: int,
    codecs: list[Codec],
    proto: str,
    keys: Sequence[Attribute] = (),
    *,
    mux: bool,
) -> Media:
    """Build our audio m= section; ``codecs`` are written in order under their own PTs."""
    attributes: list[Attribute] = list(keys)  # a=crypto, or a=fingerprint and a=setup
    for codec in codecs:
        attributes.append(Attribute("rtpmap", str(codec.rtpmap())))
        if codec.fmtp:
            attributes.append(Attribute("fmtp", f"{codec.payload_type} {codec.fmtp}"))
    if local.ptime is not None:
        attributes.append(Attribute("ptime", str(local.ptime)))
    if local.rtcp_port is not None:
        attributes.append(Attribute("rtcp", str(RtcpAddress(local.rtcp_port))))
    if mux:  # RFC 5761 §5.1.1; the RTCP port stays open for a peer that does not take it
        attributes.append(Attribute(RTCP_MUX))
    attributes.append(local.direction.attribute())
    formats = tuple(str(c.payload_type) for c in codecs)
    return Media("audio", port, proto, formats, attributes=tuple(attributes))


def _description(
    local: LocalMedia, address: str, session_id: str, version: int, media: list[Media]
) -> SessionDescription:
    family = addr_type(address)
    return SessionDescription(
        origin=Origin(local.username, session_id, version, address, family),
        session_name=local.session_name,
        connection=Connection(address, family),
        timings=(Timing(0, 0),),
        media=tuple(media),
    )


def make_offer(
    local: LocalMedia, *, session_id: int | str, session_version: int
) -> SessionDescription:
    """Return an offer with one audio stream listing our codecs in preference order."""
    codecs = list(local.codecs)
    if local.telephone_event is not None:
        codecs.append(local.telephone_event)
    offered = local.crypto if local.offer_crypto or local.crypto_required else ()
    keys = [Attribute("crypto", str(c)) for c in offered]
    if local.offers_dtls and local.dtls is not None:
        keys += dtls_attributes(local.dtls, Setup.ACTPASS)  # RFC 5763 §5
    media = _audio_media(local, local.port, codecs, local.offer_proto, keys, mux=local.rtcp_mux)
    return _description(local, local.address, str(session_id), session_version, [media])


def _pairs(local: LocalMedia, offered: list[Codec]) -> list[tuple[Codec, Codec]]:
    """Pair our codecs with the offered ones, in our order (or the offer's, if configured)."""
    pairs: list[tuple[Codec, Codec]] = []
    if local.prefer_offer_order:
        for theirs in offered:
            mine = next((c for c in local.codecs if c.matches(theirs)), None)
            if mine is not None and all(mine is not p[0] for p in pairs):
                pairs.append((mine, theirs))
        return pairs
    for ours in local.codecs:
        found = next((c for c in offered if ours.matches(c)), None)
        if found is not None:
            pairs.append((ours, found))
    return pairs


def _telephone_event(local: LocalMedia, offered: list[Codec], rate: int) -> Codec | None:
    """Pick the offered telephone-event, at the audio codec's rate if offered (RFC 4733 §7.1.1)."""
    if local.telephone_event is None:
        return None
    events = [c for c in offered if c.is_telephone_event]
    return next((c for c in events if c.clock_rate == rate), events[0] if events else None)


def _remote_rtcp(media: Media, endpoint: Address, mux: bool) -> Address:
    """Return where the peer takes RTCP: its RTP address when multiplexed (RFC 5761), else
    a=rtcp (RFC 3605), else RTP port + 1 (RFC 3550 §11)."""
    if mux:
        return endpoint
    rtcp = media.rtcp
    if rtcp is None:
        return (endpoint[0], endpoint[1] + 1)
    return (rtcp.address or endpoint[0], rtcp.port)


def _endpoint(sd: SessionDescription, media: Media) -> Address:
    endpoint = sd.endpoint_of(media)
    if endpoint is None:
        raise ParseError("SDP media has no c= line at either level")  # RFC 8866 §5.7
    return endpoint


def _remote_direction(sd: SessionDescription, media: Media) -> Direction:
    """Return the peer's direction; the hold address 0.0.0.0 means it receives nothing."""
    direction = sd.direction_of(media)
    connection = sd.connection_of(media)
    if connection is not None and connection.is_hold:
        # RFC 3264 §8.4: c=0.0.0.0 (RFC 2543 hold): send no RTP or RTCP to that peer
        return Direction.of(direction.sends, False)
    return direction


def _answer_srtp(
    media: Media, local: LocalMedia
) -> tuple[tuple[Crypto, ...], SrtpKeys | None] | str:
    """Our a=crypto answer and the keys, or why the stream is refused (RFC 4568 §5.1.2)."""
    offered = parse_crypto_lines(media.attributes_named("crypto"))
    chosen = choose_crypto(offered, local.crypto) if local.crypto else None
    if chosen is not None:
        return (chosen[0],), chosen[1]
    if media.proto.upper() == SAVP and media.attributes_named("crypto"):
        suites = " ".join(c.suite for c in offered)[:60] or "none readable"
        ours = supported_suites_text()
        return f"no crypto suite we support in offer ({suites}; we support {ours})"
    if media.proto.upper() == SAVP:
        return "RTP/SAVP offered without a=crypto keys"
    if local.crypto_required:
        return "media encryption is mandatory here and the offer is not encrypted (RTP/AVP)"
    return (), None  # best effort offered to a peer without SRTP, or none offered: plain RTP


_Security = tuple[list[Attribute], SrtpKeys | None, DtlsParams | None]


def _answer_security(offer: SessionDescription, media: Media, local: LocalMedia) -> _Security | str:
    """Our key attributes for an offered stream and what they agree, or why we refuse it.

    DTLS-SRTP wins over SDES when a best-effort offer carries both (its keys never travel)."""
    if local.dtls is not None and offers_dtls(offer, media):
        dtls = answer_dtls(offer, media, local.dtls)
        if not isinstance(dtls, str):
            return dtls[0], None, dtls[1]
        if media.proto.upper() in DTLS_PROTOS or local.dtls_required:
            return dtls
    if local.dtls_required:
        return f"DTLS-SRTP is mandatory here and the offer has none ({media.proto})"
    srtp = _answer_srtp(media, local)
    if isinstance(srtp, str):
        return srtp
    return [Attribute("crypto", str(c)) for c in srtp[0]], srtp[1], None


def _answer_audio(
    offer: SessionDescription, media: Media, local: LocalMedia, address: str
) -> tuple[Media, NegotiatedMedia] | str:
    """Answer one offered audio stream, or say why not (no common codec, no usable keys)."""
    offered = [c for pt in media.payload_types if (c := Codec.from_media(media, pt)) is not None]
    pairs = _pairs(local, [c for c in offered if not c.is_telephone_event])
    if not pairs:
        return "no common codec"
    security = _answer_security(offer, media, local)
    if isinstance(security, str):
        return security
    event = _telephone_event(local, offered, pairs[0][1].clock_rate)
    # RFC 3264 §6.1: same payload type numbers as the offer; fmtp says what we receive
    answered = [theirs.with_payload_type(theirs.payload_type, ours.fmtp) for ours, theirs in pairs]
    if event is not None and local.telephone_event is not None:
        answered.append(event.with_payload_type(event.payload_type, local.telephone_event.fmtp))
    # RFC 3264 §6.1: sendonly → recvonly, recvonly → sendonly, inactive → inactive
    theirs_dir = _remote_direction(offer, media)
    ours_dir = Direction.of(
        theirs_dir.receives and local.direction.sends, theirs_dir.sends and local.direction.receives
    )
    answer_local = replace(local, direction=ours_dir)
    mux = local.rtcp_mux and media.attribute(RTCP_MUX) is not None  # RFC 5761 §5.1.1
    answer_media = _audio_media(
        answer_local, local.port, answered, media.proto, security[0], mux=mux
    )
    remote = _endpoint(offer, media)
    negotiated = NegotiatedMedia(
        codec=pairs[0][1],
        telephone_event=event.payload_type if event is not None else None,
        local=(address, local.port),
        remote=remote,
        direction=ours_dir,
        ptime=media.ptime or local.ptime or DEFAULT_PTIME,
        codecs=tuple(theirs for _, theirs in pairs),
        telephone_event_rate=event.clock_rate if event is not None else None,
        remote_rtcp=_remote_rtcp(media, remote, mux),
        srtp=security[1],
        dtls=security[2],
        rtcp_mux=mux,
    )
    return answer_media, negotiated


def _rejected(media: Media) -> Media:
    """Return the answer to a stream we do not take: same type, port 0 (RFC 3264 §6)."""
    return Media(media.media, 0, media.proto, media.formats)


def make_answer(
    offer: SessionDescription, local: LocalMedia, *, session_id: int | str, session_version: int
) -> SdpAnswer:
    """Answer an offer (RFC 3264 §6); raises NoCommonCodecError when no audio stream is usable."""
    family = next(
        (c.addr_type for m in offer.media if (c := offer.connection_of(m)) is not None), None
    )
    address = local.address_for(family)
    # a DTLS-only phone reads RTP/SAVP offers too, to say why it refuses them
    protos = {p.upper() for p in local.protos} | (
        {SAVP} if local.crypto or local.dtls_required else set()
    )
    protos |= set(DTLS_PROTOS) if local.dtls is not None else set()
    answered: list[Media] = []
    accepted: tuple[int, NegotiatedMedia] | None = None
    reasons: list[str] = []
    for index, media in enumerate(offer.media):
        usable = media.media.lower() == "audio" and media.proto.upper() in protos
        if accepted is None and usable and not media.rejected:
            result = _answer_audio(offer, media, local, address)
            if not isinstance(result, str):
                answered.append(result[0])
                accepted = (index, result[1])
                continue
            reasons.append(result)
        answered.append(_rejected(media))
    if accepted is None:
        offered = ", ".join(f"{m.media} {m.proto} {' '.join(m.formats)}" for m in offer.media)
        why = next((r for r in reasons if r != "no common codec"), None)
        raise NoCommonCodecError(
            why or f"no acceptable audio stream in offer ({offered or 'no m= lines'})"
        )
    sdp = _description(local, address, str(session_id), session_version, answered)
    return SdpAnswer(sdp, accepted[1], accepted[0])


def _answered_codecs(offered: list[Codec], media: Media) -> list[Codec]:
    """Return the answer's codecs that we offered, in the answer's order."""
    found: list[Codec] = []
    for pt in media.payload_types:
        codec = Codec.from_media(media, pt)
        if codec is None:  # a dynamic type without rtpmap: read it as our own mapping
            ours = next((c for c in offered if c.payload_type == pt), None)
            if ours is not None:
                codec = ours.with_payload_type(pt, media.fmtp(pt))
        if codec is not None and any(o.matches(codec) for o in offered):
            found.append(codec)
    return found


def apply_answer(offer: SessionDescription, answer: SessionDescription) -> NegotiatedMedia:
    """Read the answer to our offer (RFC 3264 §7); MediaRejectedError, InvalidAnswerError."""
    if len(answer.media) != len(offer.media):
        raise InvalidAnswerError(
            f"answer has {len(answer.media)} m= lines, the offer had {len(offer.media)}"
        )
    index = next(
        (i for i, m in enumerate(offer.media) if m.media == "audio" and not m.rejected), None
    )
    if index is None:
        raise LocalProtocolError("the offer has no active audio stream")
    ours, theirs = offer.media[index], answer.media[index]
    if theirs.media.lower() != ours.media.lower():
        raise InvalidAnswerError(f"answer m= line {index + 1} is {theirs.media!r}, offered audio")
    if theirs.rejected:
        raise MediaRejectedError("the answer rejected the audio stream (port 0)")
    offered = [c for pt in ours.payload_types if (c := Codec.from_media(ours, pt)) is not None]
    codecs = _answered_codecs(offered, theirs)
    audio = [c for c in codecs if not c.is_telephone_event]
    if not audio:
        raise InvalidAnswerError(f"answer formats {' '.join(theirs.formats)} are none we offered")
    event = next((c for c in codecs if c.is_telephone_event), None)
    dtls = _applied_dtls(ours, answer, theirs)
    srtp = None if dtls is not None else _applied_srtp(ours, theirs)
    remote = _endpoint(answer, theirs)
    # RFC 5761 §5.1.1: multiplexed only if we offered it and the answer has it too
    mux = ours.attribute(RTCP_MUX) is not None and theirs.attribute(RTCP_MUX) is not None
    mine, peer = offer.direction_of(ours), _remote_direction(answer, theirs)
    return NegotiatedMedia(
        codec=audio[0],
        telephone_event=event.payload_type if event is not None else None,
        local=_endpoint(offer, ours),
        remote=remote,
        direction=Direction.of(mine.sends and peer.receives, mine.receives and peer.sends),
        ptime=theirs.ptime or ours.ptime or DEFAULT_PTIME,
        codecs=tuple(audio),
        telephone_event_rate=event.clock_rate if event is not None else None,
        remote_rtcp=_remote_rtcp(theirs, remote, mux),
        srtp=srtp,
        dtls=dtls,
        rtcp_mux=mux,
    )


def _applied_srtp(ours: Media, theirs: Media) -> SrtpKeys | None:
    """The keys of the answer's a=crypto for one of ours; RTP/SAVP offers require one."""
    offered = parse_crypto_lines(ours.attributes_named("crypto"))
    if not offered:
        return None
    keys = match_answer(offered, parse_crypto_lines(theirs.attributes_named("crypto")))
    if keys is None and ours.proto.upper() == SAVP:
        raise InvalidAnswerError("the answer to our RTP/SAVP offer has no usable a=crypto")
    return keys


def _applied_dtls(ours: Media, answer: SessionDescription, theirs: Media) -> DtlsParams | None:
    """The DTLS-SRTP of the answer to our a=fingerprint offer; UDP/TLS offers require it."""
    if ours.attribute("fingerprint") is None:
        return None
    agreed = applied_dtls(answer, theirs)
    if isinstance(agreed, str):
        raise InvalidAnswerError(agreed)
    if agreed is None and ours.proto.upper() in DTLS_PROTOS:
        raise InvalidAnswerError(f"the answer to our {ours.proto} offer has no a=fingerprint")
    return agreed
