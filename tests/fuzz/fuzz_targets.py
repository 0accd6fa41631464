"""The decoders under fuzz: each takes untrusted bytes and may raise only ParseError.

A target decodes as far as the phone does with a received input (typed header views,
SDP attributes, a=crypto lines, the serialised form parsed again) so that a fault deep
in a lazily parsed field is found too. Seeds are real messages: the RFC 4475 torture
messages and objects encoded by the codecs themselves.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from alexphone.alex.candidate import Candidate, CandidateType
from alexphone.alex.items import AlexSession, format_item, parse_item, read_alex
from alexphone.core.errors import ParseError
from alexphone.core.ids import IdFactory
from alexphone.media.dtls import DtlsEndpoint, HandshakeFailed
from alexphone.media.dtls_certificate import DtlsCertificate
from alexphone.media.srtp import SrtpProtection
from alexphone.rtp.demux import classify
from alexphone.rtp.dtmf import DtmfEvent
from alexphone.rtp.packet import RtpPacket
from alexphone.rtp.rtcp_packet import (
    Bye,
    ReceiverReport,
    ReportBlock,
    SdesChunk,
    SenderReport,
    SourceDescription,
    parse_compound,
    serialize_compound,
)
from alexphone.sdp.crypto import CryptoSuite, SrtpKeys, local_crypto, parse_crypto_lines
from alexphone.sdp.dtls import DtlsParams, DtlsRole, Fingerprint, answer_dtls, offers_dtls
from alexphone.sdp.session import SessionDescription
from alexphone.sip.message import Headers, Request
from alexphone.sip.parser import StreamFramer, parse
from alexphone.stun import message as stun

DATA = Path(__file__).resolve().parents[1] / "data"
TORTURE = sorted((DATA / "rfc4475").glob("*.dat"))
REGRESSIONS = DATA / "fuzz"


@dataclass(frozen=True, slots=True)
class Target:
    """One decoder: its seeds, whether they are text, and the decode function."""

    name: str
    seeds: tuple[bytes, ...]
    text: bool
    decode: Callable[[bytes], object]


# --- SIP -------------------------------------------------------------------------------

_SDP = (
    "v=0\r\no=alice 2890844526 2890844527 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\n"
    "b=AS:64\r\nt=0 0\r\nm=audio 49170 RTP/SAVP 96 0 8 101\r\na=rtpmap:96 opus/48000/2\r\n"
    "a=fmtp:96 useinbandfec=1\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-16\r\na=ptime:20\r\na=rtcp:49171 IN IP4 192.0.2.10\r\na=sendrecv\r\n"
    "a=ice-ufrag:8hhY\r\na=ice-pwd:asd88fgpdd777uzjYhagZg\r\n"
    "a=candidate:1 1 UDP 2130706431 192.0.2.10 49170 typ host\r\n"
    "a=candidate:2 1 UDP 1694498815 203.0.113.7 41000 typ srflx raddr 192.0.2.10 rport 49170\r\n"
)
_CRYPTO = "".join(
    f"a=crypto:{c}\r\n" for c in local_crypto(random.Random(7).randbytes, tuple(CryptoSuite))
)
SDP_SEEDS = (
    (_SDP + _CRYPTO).encode(),
    _SDP.replace("RTP/SAVP", "RTP/AVP").encode()
    + b"a=crypto:1 AES_CM_128_HMAC_SHA1_32 "
    + b"inline:d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHAwJSoj|2^20|1:32"
    + b";inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj|2^20|2:32 KDR=1 UNENCRYPTED_SRTCP\r\n",
    b"v=0\r\no=- 0 0 IN IP6 ::1\r\ns= \r\nc=IN IP6 ::1\r\nt=0 0\r\nm=audio 0 RTP/AVP 0\r\n"
    b"m=video 5000/2 RTP/AVP 31\r\na=inactive\r\nr=1 2 3\r\n",
    b"v=0\r\no=- 1 2 IN IP4 192.0.2.7\r\ns=-\r\nc=IN IP4 192.0.2.7\r\nt=0 0\r\n"
    b"a=setup:actpass\r\na=fingerprint:SHA-256 "
    + ":".join(f"{b:02X}" for b in range(32)).encode()
    + b"\r\nm=audio 7000 UDP/TLS/RTP/SAVPF 0\r\na=rtpmap:0 PCMU/8000\r\na=setup:active\r\n",
)
_OUR_FINGERPRINT = Fingerprint("sha-256", bytes(32))

_INVITE = (
    "INVITE sip:bob@biloxi.example.com;transport=udp SIP/2.0\r\n"
    "Via: SIP/2.0/UDP pc33.atlanta.example.com:5060;branch=z9hG4bK776asdhds;rport\r\n"
    "Via: SIP/2.0/TCP [2001:db8::1]:5062;branch=z9hG4bKnashds8;received=192.0.2.10\r\n"
    "Max-Forwards: 70\r\nTo: Bob <sip:bob@biloxi.example.com>\r\n"
    'From: "Alice A." <sip:alice@atlanta.example.com>;tag=1928301774\r\n'
    "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\nCSeq: 314159 INVITE\r\n"
    "Contact: <sip:alice@pc33.atlanta.example.com;transport=tcp>;expires=60, *\r\n"
    "Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>\r\n"
    "Record-Route: <sips:p3.example.com;lr>\r\nAccept: application/sdp\r\nSupported: 100rel\r\n"
    "ALEX-session: v=1;ufrag=8hhYa1;pwd=asd88fgpdd777uzjYhagZgxx;tb=00000000000000ff\r\n"
    "ALEX-item: f1 udp 192.0.2.10:49170;typ=host;pri=2130706431;fnd=h1\r\n"
    "Content-Type: application/sdp\r\n"
)
SIP_SEEDS = (
    *(path.read_bytes() for path in TORTURE),
    (_INVITE + f"Content-Length: {len(SDP_SEEDS[0])}\r\n\r\n").encode() + SDP_SEEDS[0],
    b"SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n"
    b"To: <sip:b@h>;tag=x\r\nFrom: <sip:a@h>;tag=y\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\n"
    b"Content-Length: 0\r\n\r\n",
    b"OPTIONS tel:+1-201-555-0123;phone-context=example.com SIP/2.0\r\nv: SIP/2.0/TLS h\r\n"
    b"t: <sip:x@h>\r\nf: <sip:y@h>;tag=1\r\ni: 1\r\nCSeq: 2 OPTIONS\r\nl: 0\r\n\r\n",
)

_ACCESSORS = (
    "vias", "top_via", "call_id", "cseq", "from_", "to", "contacts", "routes", "record_routes",
    "max_forwards", "content_type",
)  # fmt: skip


def decode_sip(data: bytes) -> object:
    """Parse like the UDP transport, read every typed view, reparse our own serialisation."""
    framer = StreamFramer()
    with contextlib.suppress(ParseError):
        framer.feed(data[: len(data) // 2])
        framer.feed(data[len(data) // 2 :])
    message = parse(data)
    for name in _ACCESSORS:
        with contextlib.suppress(ParseError):
            getattr(message, name)
    for via in message.vias if _quiet(lambda: message.vias) else ():
        _ = (via.branch, via.received, via.rport, via.sent_by, str(via))
    if isinstance(message, Request):
        str(message.uri)
    with contextlib.suppress(ParseError):
        decode_alex_headers(message.headers)
    if message.body and message.content_type == "application/sdp":
        with contextlib.suppress(ParseError):
            decode_sdp(message.body)
    again = parse(bytes(message))  # what we parsed we must be able to send and read back
    assert again == message, "SIP message does not round-trip"
    return message


def _quiet(view: Callable[[], object]) -> bool:
    try:
        view()
    except ParseError:
        return False
    return True


# --- SDP -------------------------------------------------------------------------------


def decode_sdp(data: bytes) -> object:
    """Parse SDP and read every media attribute the offer/answer code reads, a=crypto too."""
    sdp = SessionDescription.parse(data)
    _ = sdp.direction
    for media in sdp.media:
        _ = (media.rejected, media.connection, media.payload_types, media.direction)
        _ = (media.candidates, sdp.direction_of(media), sdp.connection_of(media))
        _ = (sdp.endpoint_of(media), sdp.ice_ufrag_of(media), sdp.ice_pwd_of(media))
        for payload_type in media.payload_types:
            media.rtpmap(payload_type)
            media.fmtp(payload_type)
        with contextlib.suppress(ParseError):
            _ = media.ptime
        with contextlib.suppress(ParseError):
            _ = media.rtcp
        with contextlib.suppress(ParseError):
            for crypto in parse_crypto_lines(media.attributes_named("crypto")):
                _ = (crypto.known_suite, str(crypto))
        if offers_dtls(sdp, media):  # a reason string is a refusal, never an exception
            _ = answer_dtls(sdp, media, _OUR_FINGERPRINT)
    again = SessionDescription.parse(bytes(sdp))
    assert again == sdp, "SDP does not round-trip"
    return sdp


# --- ALEX ------------------------------------------------------------------------------


def _alex_seeds() -> tuple[bytes, ...]:
    ids = IdFactory(random.Random(3))
    session = AlexSession(ids.token(8), ids.token(24), 2**63 + 5, 'laptop "one"')
    items = [
        Candidate("f1", "udp", ("192.0.2.10", 5060), CandidateType.HOST, 2130706431, "h1"),
        Candidate("f2", "tcp", ("2001:db8::7", 5061), CandidateType.SRFLX, 1694498815, "s1",
                  related=("192.0.2.10", 5060)),
        Candidate("f1", "tls", ("198.51.100.4", 443), CandidateType.RELAY, 16777215, "r1",
                  related=("203.0.113.9", 3478)),
    ]  # fmt: skip
    lines = [f"ALEX-session: {session}"] + [f"ALEX-item: {format_item(c)}" for c in items]
    return (
        "\r\n".join(lines).encode(),
        f"ALEX-session: {session}\r\nALEX-item: {', '.join(map(format_item, items))}".encode(),
        b"ALEX-item: f9 udp host.example:1;typ=future",
    )


ALEX_SEEDS = _alex_seeds()


def decode_alex_headers(headers: Headers) -> object:
    """Read ALEX headers as the dialog layer does, and every value with the strict parsers."""
    announcement = read_alex(headers)
    for value in headers.get_fields("ALEX-session"):
        with contextlib.suppress(ParseError):
            str(AlexSession.parse(value))
    for value in headers.get_fields("ALEX-item"):
        for item in value.split(","):
            with contextlib.suppress(ParseError):
                parse_item(item)
    return announcement


def decode_alex(data: bytes) -> object:
    """Header lines of bytes -> Headers -> ALEX announcement."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ParseError("not UTF-8") from None
    headers = Headers()
    for line in text.split("\r\n"):
        name, colon, value = line.partition(":")
        if colon:
            headers.add(name.strip() or "x", value.strip())
    return decode_alex_headers(headers)


# --- STUN, RTP, RTCP, SRTP ---------------------------------------------------------------

_TID = bytes(range(12))
STUN_SEEDS = (
    stun.binding_request(_TID, username="8hhY:9jjZ", key=b"asd88fgpdd777uzjYhagZg", priority=99,
                         ice_controlling=2**63, use_candidate=True),
    stun.binding_request(_TID, ice_controlled=7),
    stun.binding_success(_TID, ("192.0.2.10", 5060), b"k" * 22),
    stun.binding_success(_TID, ("2001:db8::7", 65535), None),
    stun.binding_error(_TID, 487, "Role Conflict", b"k" * 22),
)  # fmt: skip


def decode_stun(data: bytes) -> object:
    """Parse STUN as the media socket does and check integrity and username like a check."""
    message = stun.parse(data)
    message.check_integrity(b"asd88fgpdd777uzjYhagZg")
    _ = message.username_fragments
    return message


RTP_SEEDS = (
    bytes(RtpPacket(0, 1, 160, 0x1234, b"\xff" * 160)),
    bytes(RtpPacket(96, 65535, 2**32 - 1, 7, b"\x01\x02", marker=True, csrc=(1, 2, 3),
                    extension=(0xBEDE, b"\x10\xaa\x00\x00"))),
    bytes(RtpPacket(101, 9, 800, 8, bytes(DtmfEvent(5, True, 10, 800)))),
)  # fmt: skip


def decode_rtp(data: bytes) -> object:
    """Classify, parse and re-encode an RTP packet; a telephone-event payload too."""
    classify(data)
    packet = RtpPacket.parse(data)
    assert RtpPacket.parse(bytes(packet)) == packet, "RTP does not round-trip"
    with contextlib.suppress(ParseError):
        DtmfEvent.parse(packet.payload)
    return packet


_BLOCK = ReportBlock(0x1234, 12, -3, 0x10002, 40, 0xAABBCCDD, 65536)
RTCP_SEEDS = (
    serialize_compound([
        SenderReport(7, 2**63, 160, 10, 1600, (_BLOCK,)),
        SourceDescription((SdesChunk(7, ((1, b"alice@pc33"), (6, "é".encode()))),)),
    ]),
    serialize_compound([ReceiverReport(8, (_BLOCK, _BLOCK)), Bye((8, 9), "gone")]),
)  # fmt: skip


def decode_rtcp(data: bytes) -> object:
    """Parse an RTCP compound and serialise it again."""
    classify(data)
    packets = parse_compound(data)
    serialize_compound(packets)
    return packets


class SrtpDecoder:
    """Unprotect like the media stream: a bad datagram is counted and dropped, never raised.

    Odd inputs are taken as cleartext and protected first, so that mutated plaintext
    also travels through unprotect and the RTP/RTCP parsers; the sessions are renewed
    every 512 inputs so that libsrtp's per-SSRC streams stay bounded.
    """

    KEY = bytes(range(30))

    def __init__(self) -> None:
        self.count = 0
        self._renew()

    def _renew(self) -> None:
        keys = SrtpKeys(CryptoSuite.AES_CM_128_HMAC_SHA1_80, self.KEY, self.KEY[::-1])
        self.sender = SrtpProtection(SrtpKeys(keys.suite, keys.remote, keys.local))
        self.receiver = SrtpProtection(keys)

    def seeds(self) -> tuple[bytes, ...]:
        """Protected RTP and RTCP from the seeds above."""
        sender = SrtpProtection(SrtpKeys(CryptoSuite.AES_CM_128_HMAC_SHA1_80, self.KEY[::-1],
                                         self.KEY))  # fmt: skip
        protected = [sender.protect_rtp(p) for p in RTP_SEEDS]
        protected += [sender.protect_rtcp(p) for p in RTCP_SEEDS]
        return tuple(p for p in protected if p is not None) + RTP_SEEDS + RTCP_SEEDS

    def __call__(self, data: bytes) -> object:
        self.count += 1
        if self.count % 512 == 0:
            self._renew()
        rtcp = len(data) > 1 and 192 <= data[1] <= 223
        if self.count % 2:
            protect = self.sender.protect_rtcp if rtcp else self.sender.protect_rtp
            data = protect(data) or data
        plain = (self.receiver.unprotect_rtcp if rtcp else self.receiver.unprotect_rtp)(data)
        if plain is None:
            return None
        return decode_rtcp(plain) if rtcp else decode_rtp(plain)


class DtlsDecoder:
    """DTLS datagrams into a fresh server endpoint (OpenSSL underneath): the handshake goes
    on or fails (a refusal, reported here as ParseError), the endpoint never raises."""

    def __init__(self) -> None:
        self.client_cert, self.server_cert = DtlsCertificate.generate(), DtlsCertificate.generate()

    def _endpoint(self, role: DtlsRole) -> DtlsEndpoint:
        mine, theirs = self.client_cert, self.server_cert
        if role is DtlsRole.SERVER:
            mine, theirs = theirs, mine
        return DtlsEndpoint(mine, DtlsParams(role, (theirs.fingerprint,)))

    def seeds(self) -> tuple[bytes, ...]:
        """A ClientHello, and a server's first flight as a client receives it."""
        client, server = self._endpoint(DtlsRole.CLIENT), self._endpoint(DtlsRole.SERVER)
        server.start(0.0)
        client.start(0.0)
        hello = client.datagrams_to_send()
        for datagram in hello:
            server.receive_datagram(datagram, 0.0)
        return (*hello, *server.datagrams_to_send())

    def __call__(self, data: bytes) -> object:
        server = self._endpoint(DtlsRole.SERVER)
        server.start(0.0)
        server.receive_datagram(data, 0.0)
        event = server.next_event()
        if isinstance(event, HandshakeFailed):
            raise ParseError(event.reason)
        return server.datagrams_to_send()


def all_targets() -> dict[str, Target]:
    """Every decoder under fuzz, by name."""
    srtp, dtls = SrtpDecoder(), DtlsDecoder()
    return {
        t.name: t
        for t in (
            Target("sip", SIP_SEEDS, True, decode_sip),
            Target("sdp", SDP_SEEDS, True, decode_sdp),
            Target("alex", ALEX_SEEDS, True, decode_alex),
            Target("stun", STUN_SEEDS, False, decode_stun),
            Target("rtp", RTP_SEEDS, False, decode_rtp),
            Target("rtcp", RTCP_SEEDS, False, decode_rtcp),
            Target("srtp", srtp.seeds(), False, srtp),
            Target("dtls", dtls.seeds(), False, dtls),
        )
    }


def regression_vectors(name: str) -> list[Path]:
    """The saved inputs that once crashed decoder ``name`` (tests/data/fuzz/NAME-*.bin)."""
    return sorted(REGRESSIONS.glob(f"{name}-*.bin"))
