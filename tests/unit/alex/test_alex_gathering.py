"""Local candidates, preferences and address rules (docs/ALEX.md "Gathering", RFC 8445 §5.1)."""

from __future__ import annotations

import pytest

from alexphone.alex.address import accept_remote, can_pair, is_usable
from alexphone.alex.candidate import CandidateType, candidate_priority, pair_priority
from alexphone.alex.gathering import (
    HostAddress,
    foundation,
    host_candidates,
    local_preference,
    reflexive_candidate,
    relayed_candidate,
    sip_reflexive,
)
from alexphone.sip.headers import Via


def test_priority_formulas_match_rfc_8445() -> None:
    assert candidate_priority(126, 65535, 1) == 2130706431
    g, d = 2130706431, 1694498815
    assert pair_priority(g, d) == (d << 32) + 2 * g + 1
    assert pair_priority(d, g) == (d << 32) + 2 * g


def test_routable_ipv6_beats_ipv4_beats_transition_and_link_local() -> None:
    order = ["2001:db8::1", "fd42:1::10", "10.0.1.10", "2002:c000:201::1", "fe80::1"]
    prefs = [local_preference(ip, 0) for ip in order]
    assert prefs[0] == prefs[1] > prefs[2] > prefs[3] > prefs[4]
    assert local_preference("10.0.1.10", 0) > local_preference("10.0.2.10", 1)
    assert local_preference("2001:db8::1", 0) == 65535
    assert all(0 <= local_preference(ip, 99999) <= 65535 for ip in order)


def test_host_candidates_skip_loopback_and_duplicates_best_first() -> None:
    interfaces = [
        HostAddress("lo", "127.0.0.1"),
        HostAddress("lo", "::1"),
        HostAddress("eth0", "10.0.1.10"),
        HostAddress("eth0", "fe80::1%eth0"),
        HostAddress("eth0", "2001:DB8:0::1"),
        HostAddress("wlan0", "10.0.1.10"),
        HostAddress("wlan0", "192.168.7.3"),
    ]
    found = host_candidates("m0.1", "udp", 4000, interfaces)
    assert [c.address[0] for c in found] == ["2001:db8::1", "10.0.1.10", "192.168.7.3", "fe80::1"]
    assert all(c.base == c.address and c.type is CandidateType.HOST for c in found)
    assert len({c.foundation for c in found}) == 4
    without = host_candidates("m0.1", "udp", 4000, interfaces, include_link_local=False)
    assert "fe80::1" not in [c.address[0] for c in without]


def test_foundations_are_stable_and_alphanumeric() -> None:
    first = foundation(CandidateType.SRFLX, "10.0.1.10", "udp", "stun.example:3478")
    assert first == foundation(CandidateType.SRFLX, "10.0.1.10", "udp", "stun.example:3478")
    assert first != foundation(CandidateType.SRFLX, "10.0.1.11", "udp", "stun.example:3478")
    assert first.isalnum() and len(first) <= 32


def test_reflexive_and_relayed_candidates() -> None:
    (base,) = host_candidates("sip", "udp", 5060, [HostAddress("eth0", "10.0.1.10")])
    srflx = reflexive_candidate(base, ("203.0.113.9", 40112), "stun")
    assert srflx is not None
    assert srflx.type is CandidateType.SRFLX
    assert srflx.base == srflx.related == ("10.0.1.10", 5060)
    assert srflx.priority < base.priority
    assert reflexive_candidate(base, ("10.0.1.10", 5060), "stun") is None  # no NAT
    relay = relayed_candidate("m0.1", "udp", ("198.51.100.3", 51000), ("203.0.113.9", 40114), "t")
    assert relay.base == relay.address and relay.related == ("203.0.113.9", 40114)
    assert relay.priority >> 24 == 0


def test_sip_reflexive_from_register_response_via() -> None:
    (base,) = host_candidates("sip", "udp", 5060, [HostAddress("eth0", "10.0.1.10")])
    via = Via.parse("SIP/2.0/UDP 10.0.1.10:5060;branch=z9hG4bK1;received=203.0.113.9;rport=40112")
    srflx = sip_reflexive(via, base)
    assert srflx is not None and srflx.address == ("203.0.113.9", 40112)
    plain = Via.parse("SIP/2.0/UDP 10.0.1.10:5060;branch=z9hG4bK1;rport=5060")
    assert sip_reflexive(plain, base) is None


@pytest.mark.parametrize(
    ("ip", "usable"),
    [
        ("10.0.0.1", True),
        ("203.0.113.5", True),
        ("fd42:1::1", True),
        ("127.0.0.1", False),
        ("::1", False),
        ("224.0.0.251", False),
        ("ff02::1", False),
        ("255.255.255.255", False),
        ("0.0.0.0", False),
        ("0.1.2.3", False),
        ("::", False),
        ("::ffff:10.0.0.1", False),
        ("fec0::1", False),
        ("not-an-ip", False),
    ],
)
def test_usable_addresses(ip: str, usable: bool) -> None:
    assert is_usable(ip) is usable


def test_link_local_only_toward_link_local() -> None:
    assert can_pair("fe80::1", "fe80::2")
    assert not can_pair("fe80::1", "2001:db8::2")
    assert not can_pair("2001:db8::1", "fe80::2")
    assert not can_pair("10.0.0.1", "2001:db8::2")
    assert accept_remote(("fe80::2", 5), ["fe80::1", "10.0.0.1"])
    assert not accept_remote(("fe80::2", 5), ["2001:db8::1", "10.0.0.1"])
    assert not accept_remote(("2001:db8::2", 5), ["10.0.0.1"])  # a family we lack
