"""Private IPv4 host candidates behind another NAT rank below its mapping."""

from __future__ import annotations

import pytest

from alexphone.alex.candidate import Candidate, CandidateType, candidate_priority
from alexphone.alex.reachability import (
    BEHIND_OTHER_NAT_PREFERENCE,
    is_private_ipv4,
    rank_behind_other_nat,
)


def candidate(
    kind: CandidateType, ip: str, flow: str = "m0.1", local_pref: int = 40000
) -> Candidate:
    priority = candidate_priority(kind.preference, local_pref, 1)
    address = (ip, 4000)
    return Candidate(flow, "udp", address, kind, priority, kind.value[0] + "1", base=address)


@pytest.mark.parametrize(
    ("ip", "private"),
    [
        ("10.1.2.3", True),
        ("172.31.0.1", True),
        ("192.168.1.1", True),
        ("100.64.0.1", True),
        ("198.51.100.7", False),  # documentation space: not behind a NAT by itself
        ("8.8.8.8", False),
        ("fd42:1::2", False),
    ],
)
def test_private_ipv4_is_rfc1918_and_shared_space(ip: str, private: bool) -> None:
    assert is_private_ipv4(ip) is private


def test_private_host_behind_another_nat_ranks_between_srflx_and_relay() -> None:
    local = [
        candidate(CandidateType.HOST, "10.0.1.2"),
        candidate(CandidateType.SRFLX, "203.0.113.1"),
    ]
    host = candidate(CandidateType.HOST, "10.0.2.2", local_pref=40000)
    srflx = candidate(CandidateType.SRFLX, "203.0.113.2")
    relay = candidate(CandidateType.RELAY, "198.51.100.9")
    ranked = rank_behind_other_nat(local, [host, srflx, relay])
    assert ranked[0].priority >> 24 == BEHIND_OTHER_NAT_PREFERENCE
    assert relay.priority < ranked[0].priority < srflx.priority
    assert ranked[0].priority & 0xFFFFFF == host.priority & 0xFFFFFF  # local pref kept
    assert ranked[1:] == [srflx, relay]


@pytest.mark.parametrize(
    ("our_mapping", "their_host", "their_mapping", "flow"),
    [
        ("203.0.113.1", "10.0.2.2", "203.0.113.1", "m0.1"),  # same NAT: same LAN or hairpin
        (None, "10.0.2.2", "203.0.113.2", "m0.1"),  # we learned no mapping: no evidence
        ("203.0.113.1", "10.0.2.2", None, "m0.1"),  # the peer announced none
        ("203.0.113.1", "198.51.100.20", "203.0.113.2", "m0.1"),  # public host: keep it first
        ("203.0.113.1", "10.0.2.2", "203.0.113.2", "sip"),  # mappings only for another flow
    ],
)
def test_host_keeps_its_rank_without_evidence_of_two_nats(
    our_mapping: str | None, their_host: str, their_mapping: str | None, flow: str
) -> None:
    local = [candidate(CandidateType.HOST, "10.0.1.2")]
    if our_mapping:
        local.append(candidate(CandidateType.SRFLX, our_mapping))
    host = candidate(CandidateType.HOST, their_host, flow)
    remote = [host]
    if their_mapping:
        remote.append(candidate(CandidateType.SRFLX, their_mapping))
    assert rank_behind_other_nat(local, remote)[0] == host


def test_ipv6_hosts_are_never_demoted() -> None:
    local = [
        candidate(CandidateType.HOST, "fd42:1::2"),
        candidate(CandidateType.SRFLX, "203.0.113.1"),
    ]
    host = candidate(CandidateType.HOST, "fd42:2::2")
    remote = [host, candidate(CandidateType.SRFLX, "203.0.113.2")]
    assert rank_behind_other_nat(local, remote)[0] == host
