"""Parsing, serialising and reading session descriptions (RFC 8866)."""

from __future__ import annotations

import pytest
from sdp_samples import (
    ALL_SAMPLES,
    BARESIP_OFFER,
    HOLD_SENDONLY_OFFER,
    HOLD_ZERO_ADDRESS_OFFER,
    IPV6_OFFER,
    LINPHONE_ICE_OFFER,
    crlf,
)

from alexphone.core.errors import ParseError
from alexphone.sdp.attribute import Attribute, Direction, RtcpAddress, RtpMap
from alexphone.sdp.session import (
    Bandwidth,
    Connection,
    Media,
    Origin,
    SessionDescription,
    Timing,
    parse,
)

HEAD = ("v=0", "o=- 1 2 IN IP4 10.0.0.1", "s=-")


@pytest.mark.parametrize("name", sorted(ALL_SAMPLES))
def test_real_world_bodies_round_trip_byte_for_byte(name: str) -> None:
    text = ALL_SAMPLES[name]
    sd = parse(text)
    assert str(sd) == text
    assert sd.to_bytes() == text.encode()
    assert bytes(sd) == text.encode()
    assert parse(text.encode()) == sd


def test_parse_reads_every_field_of_a_baresip_offer() -> None:
    sd = parse(BARESIP_OFFER)
    assert sd.origin == Origin("-", "1826512713", 3215414561, "192.168.1.20")
    assert sd.session_name == "-"
    assert sd.connection == Connection("192.168.1.20", "IP4", "IN")
    assert sd.timings == (Timing(0, 0),)
    assert sd.attributes == (Attribute("tool", "baresip 3.10.1"),)
    (audio,) = sd.media
    assert (audio.media, audio.port, audio.proto) == ("audio", 10922, "RTP/AVP")
    assert audio.formats == ("111", "0", "8", "101")
    assert audio.payload_types == (111, 0, 8, 101)
    assert audio.bandwidths == (Bandwidth("AS", 96),)
    assert audio.attributes[0] == Attribute("rtpmap", "111 opus/48000/2")
    assert Attribute("rtcp-rsize") in audio.attributes
    assert audio.attribute("label") == "1"


def test_typed_readers_of_a_media_section() -> None:
    audio = parse(BARESIP_OFFER).media[0]
    assert audio.rtpmap(111) == RtpMap(111, "opus", 48000, 2)
    assert audio.rtpmap(0) == RtpMap(0, "PCMU", 8000)
    assert audio.rtpmap(9) is None
    assert audio.fmtp(111) == "stereo=1;sprop-stereo=1"
    assert audio.fmtp(101) == "0-15"
    assert audio.fmtp(0) is None
    assert audio.ptime == 20
    assert audio.rtcp == RtcpAddress(10923)
    assert audio.direction is Direction.SENDRECV
    assert audio.candidates == ()


def test_ice_attributes_and_candidates_are_kept_raw() -> None:
    sd = parse(LINPHONE_ICE_OFFER)
    audio, video = sd.media
    assert len(audio.candidates) == 4
    assert audio.candidates[2] == (
        "2 1 UDP 1694498687 203.0.113.7 7078 typ srflx raddr 192.168.1.30 rport 7078"
    )
    assert sd.ice_ufrag_of(audio) == "7a2e0c3b"  # session level
    assert sd.ice_pwd_of(audio) == "31ec21eb38b2ec6d36e8dc7b"
    assert sd.ice_ufrag_of(video) == "v1de0"  # media level wins
    assert sd.ice_pwd_of(video) == "31ec21eb38b2ec6d36e8dc7b"
    assert audio.rtpmap(18) is None and audio.fmtp(18) == "annexb=yes"


def test_rtcp_attribute_with_address() -> None:
    rtcp = RtcpAddress.parse("53020 IN IP6 2001:db8::1")
    assert rtcp == RtcpAddress(53020, "2001:db8::1", "IP6", "IN")
    assert str(rtcp) == "53020 IN IP6 2001:db8::1"


def test_effective_connection_prefers_media_level() -> None:
    sd = parse(
        crlf(*HEAD, "c=IN IP4 10.0.0.1", "t=0 0", "m=audio 4000 RTP/AVP 0",
             "m=audio 4002 RTP/AVP 0", "c=IN IP4 10.0.0.2")
    )  # fmt: skip
    first, second = sd.media
    assert sd.connection_of(first) == Connection("10.0.0.1")
    assert sd.connection_of(second) == Connection("10.0.0.2")
    assert sd.endpoint_of(first) == ("10.0.0.1", 4000)
    assert sd.endpoint_of(second) == ("10.0.0.2", 4002)


def test_no_connection_anywhere_gives_none() -> None:
    sd = parse(crlf(*HEAD, "t=0 0", "m=audio 4000 RTP/AVP 0"))
    assert sd.connection_of(sd.media[0]) is None
    assert sd.endpoint_of(sd.media[0]) is None


def test_ipv6_connection() -> None:
    sd = parse(IPV6_OFFER)
    assert sd.origin.addr_type == "IP6"
    assert sd.connection == Connection("2001:db8::10", "IP6")
    assert sd.endpoint_of(sd.media[0]) == ("2001:db8::10", 40000)
    assert sd.media[0].ptime == 30


def test_multicast_connection_host_drops_ttl() -> None:
    assert Connection("224.2.36.42/127/3").host == "224.2.36.42"


def test_hold_address_is_recognised() -> None:
    sd = parse(HOLD_ZERO_ADDRESS_OFFER)
    assert sd.connection is not None and sd.connection.is_hold
    assert not Connection("10.0.0.1").is_hold


@pytest.mark.parametrize(
    ("session_attr", "media_attr", "expected"),
    [
        (None, None, Direction.SENDRECV),
        ("sendonly", None, Direction.SENDONLY),
        (None, "recvonly", Direction.RECVONLY),
        ("sendonly", "inactive", Direction.INACTIVE),
        ("inactive", "sendrecv", Direction.SENDRECV),
    ],
)
def test_direction_media_level_overrides_session_level(
    session_attr: str | None, media_attr: str | None, expected: Direction
) -> None:
    lines = [*HEAD, "t=0 0"]
    lines += [f"a={session_attr}"] if session_attr else []
    lines += ["m=audio 4000 RTP/AVP 0"]
    lines += [f"a={media_attr}"] if media_attr else []
    sd = parse(crlf(*lines))
    assert sd.direction_of(sd.media[0]) is expected


def test_hold_sendonly_offer_direction() -> None:
    sd = parse(HOLD_SENDONLY_OFFER)
    assert sd.direction is None
    assert sd.direction_of(sd.media[0]) is Direction.SENDONLY


def test_serialise_writes_rfc_order_whatever_the_input_order() -> None:
    text = crlf(*HEAD, "a=x", "t=0 0", "c=IN IP4 10.0.0.1", "m=audio 0 RTP/AVP 0", "a=y",
                "c=IN IP4 10.0.0.2")  # fmt: skip
    assert str(parse(text)) == crlf(
        *HEAD, "c=IN IP4 10.0.0.1", "t=0 0", "a=x", "m=audio 0 RTP/AVP 0",
        "c=IN IP4 10.0.0.2", "a=y",
    )  # fmt: skip


def test_all_optional_lines_round_trip() -> None:
    text = crlf(
        "v=0",
        "o=jdoe 2890844526 2890842807 IN IP4 10.47.16.5",
        "s=SDP Seminar",
        "i=A Seminar on the session description protocol",
        "u=http://www.example.com/seminars/sdp.pdf",
        "e=j.doe@example.com (Jane Doe)",
        "p=+1 617 555-6011",
        "c=IN IP4 224.2.17.12/127",
        "b=CT:1000",
        "t=2873397496 2873404696",
        "r=7d 1h 0 25h",
        "t=0 0",
        "z=2882844526 -1h 2898848070 0",
        "k=prompt",
        "a=recvonly",
        "m=audio 49170/2 RTP/AVP 0",
        "i=voice",
        "c=IN IP4 224.2.17.13/127",
        "c=IN IP4 224.2.17.14/127",
        "b=AS:64",
        "k=clear:secret",
        "a=orient:",
        "m=application 32416 udp wb",
        "a=orient:portrait",
    )
    sd = parse(text)
    assert str(sd) == text
    assert sd.timings[0].repeats == ("7d 1h 0 25h",)
    assert sd.media[0].port_count == 2
    assert sd.media[0].attributes == (Attribute("orient", ""),)
    assert len(sd.media[0].connections) == 2


def test_crlf_and_bare_lf_both_accepted() -> None:
    text = BARESIP_OFFER.replace("\r\n", "\n")
    assert parse(text) == parse(BARESIP_OFFER)


def test_built_description_serialises() -> None:
    sd = SessionDescription(
        origin=Origin("-", "7", 1, "::1", "IP6"),
        connection=Connection("::1", "IP6"),
        media=(Media("audio", 5004, "RTP/AVP", ("0",), attributes=(Attribute("sendrecv"),)),),
    )
    assert str(sd) == crlf(
        "v=0", "o=- 7 1 IN IP6 ::1", "s=-", "c=IN IP6 ::1", "t=0 0",
        "m=audio 5004 RTP/AVP 0", "a=sendrecv",
    )  # fmt: skip
    assert SessionDescription.parse(str(sd)) == sd


def test_non_numeric_formats_are_not_payload_types() -> None:
    sd = parse(crlf(*HEAD, "t=0 0", "m=application 9 UDP/DTLS/SCTP webrtc-datachannel"))
    assert sd.media[0].payload_types == ()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "SDP must start with v=0"),
        (crlf("o=- 1 2 IN IP4 10.0.0.1", "s=-"), "SDP must start with v=0"),
        (crlf("v=1", "o=- 1 2 IN IP4 10.0.0.1", "s=-"), "SDP must start with v=0"),
        (crlf("v=0", "s=-", "t=0 0"), "SDP has no o= line"),
        (crlf("v=0", "o=- 1 2 IN IP4 10.0.0.1", "t=0 0"), "SDP has no s= line"),
        (crlf(*HEAD, "garbage"), "SDP line 4: bad line 'garbage'"),
        (crlf(*HEAD, "A=b"), "SDP line 4: bad line 'A=b'"),
        (crlf(*HEAD, "x=1"), "SDP line 4: unknown line type x="),
        (crlf("v=0", "o=- 1 2 IN IP4"), "SDP line 2: bad o= line '- 1 2 IN IP4'"),
        (
            crlf("v=0", "o=- 1 v2 IN IP4 h", "s=-"),
            "SDP line 2: bad session version in o= line 'v2'",
        ),
        (crlf(*HEAD, "o=- 1 2 IN IP4 h"), "SDP line 4: duplicate o= line"),
        (crlf(*HEAD, "v=0"), "SDP line 4: duplicate v= line"),
        (crlf(*HEAD, "c=IN IP4"), "SDP line 4: bad c= line 'IN IP4'"),
        (crlf(*HEAD, "b=AS"), "SDP line 4: bad b= line 'AS'"),
        (crlf(*HEAD, "b=AS:x"), "SDP line 4: bad b= line 'AS:x'"),
        (crlf(*HEAD, "t=0"), "SDP line 4: bad t= line '0'"),
        (crlf(*HEAD, "r=7d 1h 0 25h"), "SDP line 4: r= line before any t= line"),
        (crlf(*HEAD, "m=audio 4000 RTP/AVP"), "SDP line 4: bad m= line 'audio 4000 RTP/AVP'"),
        (crlf(*HEAD, "m=audio abc RTP/AVP 0"), "SDP line 4: bad port in m= line 'abc'"),
        (crlf(*HEAD, "m=audio 70000 RTP/AVP 0"), "SDP line 4: bad port in m= line '70000'"),
        (crlf(*HEAD, "m=audio -1 RTP/AVP 0"), "SDP line 4: bad port in m= line '-1'"),
        (
            crlf(*HEAD, "m=audio 4000 RTP/AVP 0", "t=0 0"),
            "SDP line 5: t= line inside a media section",
        ),
        (crlf(*HEAD, "a="), "SDP line 4: bad attribute ''"),
        (crlf(*HEAD, "a=a b:c"), "SDP line 4: bad attribute 'a b:c'"),
    ],
)
def test_malformed_input_raises_exact_message(text: str, message: str) -> None:
    with pytest.raises(ParseError) as info:
        parse(text)
    assert str(info.value) == message
    assert info.value.status == 400


def test_non_utf8_bytes_rejected() -> None:
    with pytest.raises(ParseError, match=r"^SDP is not valid UTF-8$"):
        parse(b"v=0\r\no=- 1 2 IN IP4 h\r\ns=\xff\r\n")


@pytest.mark.parametrize(
    ("line", "message"),
    [("a=rtpmap:111 opus", "bad rtpmap '111 opus'"), ("a=rtpmap:200 x/8000", "bad rtpmap")],
)
def test_malformed_rtpmap_raises_on_read(line: str, message: str) -> None:
    sd = parse(crlf(*HEAD, "t=0 0", "m=audio 4000 RTP/AVP 111", line))
    with pytest.raises(ParseError, match=message):
        sd.media[0].rtpmap(111)


def test_malformed_ptime_and_rtcp_raise_on_read() -> None:
    sd = parse(crlf(*HEAD, "t=0 0", "m=audio 4000 RTP/AVP 0", "a=ptime:abc", "a=rtcp:x"))
    with pytest.raises(ParseError, match="bad ptime 'abc'"):
        _ = sd.media[0].ptime
    with pytest.raises(ParseError, match="bad rtcp attribute 'x'"):
        _ = sd.media[0].rtcp
