"""a=candidate / ice-ufrag / ice-pwd mapping for ICE-only peers (RFC 8839)."""

from __future__ import annotations

import pytest

from alexphone.alex.candidate import Candidate, CandidateType
from alexphone.alex.ice_sdp import candidate_value, media_attributes, parse_candidate, read_ice
from alexphone.alex.probe import Credentials
from alexphone.core.errors import ParseError
from alexphone.sdp.session import SessionDescription

SDP = (
    "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
    "a=ice-ufrag:8hhY\r\na=ice-pwd:asd88fgpdd777uzjYhagZg\r\n"
    "m=audio 5000 RTP/AVP 0\r\n"
    "a=candidate:1 1 UDP 2130706431 192.0.2.1 5000 typ host\r\n"
    "a=candidate:2 1 UDP 1694498815 203.0.113.77 40000 typ srflx raddr 192.0.2.1 rport 5000\r\n"
    "a=candidate:3 1 UDP 2130706430 abcd-1234.local 5000 typ host\r\n"
    "a=candidate:4 1 TCP 1 192.0.2.1 9 typ host tcptype active\r\n"
    "a=candidate:5 2 UDP 2130706430 192.0.2.1 5001 typ host\r\n"
)


def test_read_ice_keeps_udp_ip_candidates() -> None:
    peer = read_ice(SessionDescription.parse(SDP), 0)
    assert peer is not None
    assert peer.credentials == Credentials("8hhY", "asd88fgpdd777uzjYhagZg")
    assert [(c.flow, c.address) for c in peer.candidates] == [
        ("m0.1", ("192.0.2.1", 5000)),
        ("m0.1", ("203.0.113.77", 40000)),
        ("m0.2", ("192.0.2.1", 5001)),
    ]
    assert peer.candidates[1].related == ("192.0.2.1", 5000)
    assert peer.skipped == 2


def test_no_ice_in_sdp() -> None:
    plain = (
        "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
        "m=audio 5000 RTP/AVP 0\r\n"
    )
    assert read_ice(SessionDescription.parse(plain), 0) is None
    assert read_ice(SessionDescription.parse(plain), 3) is None


def test_our_candidates_round_trip_through_sdp() -> None:
    ours = Candidate(
        "m1.1",
        "udp",
        ("2001:db8::5", 4000),
        CandidateType.SRFLX,
        1694498815,
        "s1a2",
        ("10.0.0.5", 4000),
    )
    assert parse_candidate(candidate_value(ours), 1) == ours
    attributes = media_attributes(Credentials("abcd", "abcdefghijklmnopqrstuv"), [ours], 1)
    assert [a.name for a in attributes] == ["ice-ufrag", "ice-pwd", "candidate"]
    assert media_attributes(Credentials("abcd", "abcdefghijklmnopqrstuv"), [ours], 0)[2:] == []


@pytest.mark.parametrize(
    "value",
    [
        "1 1 UDP 5 192.0.2.1 5000",
        "1 x UDP 5 192.0.2.1 5000 typ host",
        "1 1 UDP 0 192.0.2.1 5000 typ host",
        "1 1 UDP 5 192.0.2.1 99999 typ host",
    ],
)
def test_malformed_candidates_raise(value: str) -> None:
    with pytest.raises(ParseError):
        parse_candidate(value, 0)
