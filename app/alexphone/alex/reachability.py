"""Rank a peer's private IPv4 host candidates by what the reflexive candidates say of the NATs.

RFC 8445 ranks every host pair above every server-reflexive one. When both phones learned a
public mapping for a flow and the mappings differ, each sits behind its own NAT: the peer's
private IPv4 host address is then reachable only through a routed private network (a VPN, a
multi-site LAN), rarely, while its mapping is the usual path. Checking the private pairs first
would leave the stop rule waiting its full second for them to fail (docs/ALEX.md). So
such remote host candidates take a type preference just below server-reflexive: they are still
paired and checked, only after the paths that usually work, and a valid srflx pair is no longer
held back by them. Same public mapping (same NAT) or no mapping learned: nothing changes.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import replace

from alexphone.alex.candidate import Candidate, CandidateType

BEHIND_OTHER_NAT_PREFERENCE = CandidateType.SRFLX.preference - 1

_PRIVATE_V4 = (
    ipaddress.ip_network("10.0.0.0/8"),  # RFC 1918
    ipaddress.ip_network("172.16.0.0/12"),
    ipaddress.ip_network("192.168.0.0/16"),
    ipaddress.ip_network("100.64.0.0/10"),  # RFC 6598 shared address space (carrier NAT)
)
_LOW_24_BITS = (1 << 24) - 1


def is_private_ipv4(ip: str) -> bool:
    """Tell whether ``ip`` is an RFC 1918 or RFC 6598 IPv4 address (space behind a NAT)."""
    parsed = ipaddress.ip_address(ip)
    return isinstance(parsed, ipaddress.IPv4Address) and any(parsed in n for n in _PRIVATE_V4)


def rank_behind_other_nat(
    local: Sequence[Candidate], remote: Sequence[Candidate]
) -> list[Candidate]:
    """The peer's candidates, with private IPv4 hosts demoted where the NAT mappings differ."""
    ranked: list[Candidate] = []
    for candidate in remote:
        if _behind_other_nat(candidate, local, remote):
            demoted = (BEHIND_OTHER_NAT_PREFERENCE << 24) | (candidate.priority & _LOW_24_BITS)
            candidate = replace(candidate, priority=demoted)
        ranked.append(candidate)
    return ranked


def _behind_other_nat(
    candidate: Candidate, local: Sequence[Candidate], remote: Sequence[Candidate]
) -> bool:
    if candidate.type is not CandidateType.HOST or not is_private_ipv4(candidate.address[0]):
        return False
    ours = _mapped_ips(local, candidate.flow)
    theirs = _mapped_ips(remote, candidate.flow)
    return bool(ours) and bool(theirs) and ours.isdisjoint(theirs)


def _mapped_ips(candidates: Sequence[Candidate], flow: str) -> set[str]:
    return {
        c.address[0]
        for c in candidates
        if c.flow == flow and c.type is CandidateType.SRFLX and c.family == 4
    }
