"""Our ALEX candidates from the sockets a call uses, and the peer's from its headers.

Host candidates come from the socket's bound address: a specific address is the one
candidate; a wildcard socket announces every interface address of its family
(docs/ALEX.md "Gathering"). A socket bound to loopback reaches only processes on this host,
so its candidate is loopback and loopback items from the peer are kept too: nothing can be
amplified off the host then. Every other peer item naming loopback is discarded (items.py).
"""

from __future__ import annotations

import ipaddress
import socket

from alexphone.alex.address import is_usable_address
from alexphone.alex.candidate import (
    Candidate,
    CandidateType,
    candidate_priority,
    flow_component,
)
from alexphone.alex.gathering import HostAddress, foundation, host_candidates, local_preference
from alexphone.alex.items import ITEM_HEADER, Announcement, parse_item
from alexphone.alex.negotiation import Decision, Mode, decide
from alexphone.core.address import Address
from alexphone.core.errors import ParseError
from alexphone.net.flow import is_wildcard
from alexphone.net.interfaces import local_addresses
from alexphone.net.source_address import source_address
from alexphone.sip.grammar import split_values
from alexphone.sip.message import Headers

SIP_FLOW = "sip"
AUDIO_FLOW = "m0.1"  # first m-line, RTP component (docs/ALEX.md "Headers")
RTCP_FLOW = "m0.2"  # first m-line, RTCP component: ICE peers without rtcp-mux only (ice.py)
MEDIA_FLOWS = (AUDIO_FLOW, RTCP_FLOW)
EVENT_FLOWS = {SIP_FLOW: "sip", AUDIO_FLOW: "audio", RTCP_FLOW: "rtcp"}  # ARCHITECTURE "Events"


def is_loopback(ip: str) -> bool:
    """Tell whether ``ip`` is a loopback address (127/8, ::1)."""
    try:
        return ipaddress.ip_address(ip.partition("%")[0]).is_loopback
    except ValueError:
        return False


def socket_candidates(flow: str, bound: Address) -> list[Candidate]:
    """Host candidates of ``flow`` for a UDP socket bound to ``bound`` (best first)."""
    host, port = bound
    if is_wildcard(host):
        v6 = ipaddress.ip_address(host).version == 6
        interfaces = [
            HostAddress(a.interface, a.address)
            for a in local_addresses()
            if (a.ip.version == 6) == v6
        ]
        return host_candidates(flow, "udp", port, interfaces, include_link_local=False)
    ip = ipaddress.ip_address(host.partition("%")[0]).compressed
    if not is_loopback(ip):
        return host_candidates(flow, "udp", port, [HostAddress("bound", ip)])
    priority = candidate_priority(
        CandidateType.HOST.preference, local_preference(ip, 0), flow_component(flow)
    )
    fnd = foundation(CandidateType.HOST, ip, "udp")
    return [Candidate(flow, "udp", (ip, port), CandidateType.HOST, priority, fnd, None, (ip, port))]


def base_for(bound: Address, remote: Address, bases: list[Address]) -> Address:
    """The base a datagram from ``remote`` reached, for a socket bound to ``bound``."""
    if not is_wildcard(bound[0]):
        return (ipaddress.ip_address(bound[0].partition("%")[0]).compressed, bound[1])
    family = socket.AF_INET6 if ":" in remote[0] else socket.AF_INET
    local = source_address(remote[0], family)
    same_port = [b for b in bases if b[1] == bound[1]]
    for base in same_port:
        if base[0] == local:
            return base
    for base in same_port:
        if (":" in base[0]) == (":" in remote[0]):
            return base
    return (local, bound[1])


def media_bound_for(bounds: list[Address], remote: Address) -> Address:
    """The media socket a datagram from ``remote`` reached: its family's, else the first."""
    v6 = ":" in remote[0]
    return next((b for b in bounds if (":" in b[0]) == v6), bounds[0])


def read_peer(headers: Headers, *, enabled: bool, keep_loopback: bool) -> Decision:
    """Decide the dialog's mode from the peer's headers; loopback items kept if asked."""
    decision = decide(headers, enabled=enabled)
    if decision.mode is not Mode.ALEX or not keep_loopback or decision.announcement is None:
        return decision
    kept: list[Candidate] = []
    try:
        for field in headers.get_fields(ITEM_HEADER):
            for value in split_values(field):
                candidate = parse_item(value) if value else None
                if candidate is None:
                    continue
                loopback = is_loopback(candidate.address[0]) and candidate.address[1] > 0
                if loopback or is_usable_address(candidate.address):
                    kept.append(candidate)
    except (ParseError, ValueError):
        return decision  # read_alex accepted them: cannot happen, keep its reading
    announcement = Announcement(decision.announcement.session, tuple(kept))
    return Decision(Mode.ALEX, announcement, decision.reason)
