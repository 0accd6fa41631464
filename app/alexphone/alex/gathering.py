"""Our candidates from the addresses the adapter found (docs/ALEX.md "Gathering", RFC 8445 §5.1).

Pure: the net adapter enumerates interfaces and runs STUN/TURN, then hands the results here.
The local preference ranks routable IPv6 (global and unique-local) above IPv4, IPv4 above
6to4/Teredo, and link-local last; inside a class, the interface order the adapter gives wins.
Foundations are stable hashes of (type, base IP, transport, server) so that they survive
restarts and can key the ALEX cache.
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass

from alexphone.alex.address import address_class, is_link_local, is_usable
from alexphone.alex.candidate import (
    Candidate,
    CandidateType,
    candidate_priority,
    flow_component,
)
from alexphone.core.address import Address
from alexphone.sip.headers import Via

_ORDER_SLOTS = 16384  # local preference = class · 16384 + (16383 − order): fits 16 bits


@dataclass(frozen=True, slots=True)
class HostAddress:
    """One address of one interface, as the adapter enumerated it (list order = preference)."""

    interface: str
    ip: str  # without zone; the adapter keeps the scope ID for link-local sockets


def local_preference(ip: str, order: int) -> int:
    """RFC 8445 §5.1.2.1 local preference (0–65535): address class first, then order."""
    order = min(max(order, 0), _ORDER_SLOTS - 1)
    return address_class(ip).value * _ORDER_SLOTS + (_ORDER_SLOTS - 1 - order)


def foundation(kind: CandidateType, base_ip: str, transport: str, server: str = "") -> str:
    """RFC 8445 §5.1.1.3: equal for same type, base IP, transport and server; alphanumeric."""
    digest = hashlib.sha256(f"{kind.value}|{base_ip}|{transport}|{server}".encode()).hexdigest()
    return kind.value[0] + digest[:8]


def host_candidates(
    flow: str,
    transport: str,
    port: int,
    interfaces: Sequence[HostAddress],
    *,
    include_link_local: bool = True,
) -> list[Candidate]:
    """One host candidate per usable interface address (no loopback), best first."""
    seen: set[str] = set()
    found: list[Candidate] = []
    component = flow_component(flow)
    for order, entry in enumerate(interfaces):
        ip = entry.ip.split("%", 1)[0]
        if not is_usable(ip) or (is_link_local(ip) and not include_link_local):
            continue
        ip = ipaddress.ip_address(ip).compressed
        if ip in seen:
            continue
        seen.add(ip)
        priority = candidate_priority(
            CandidateType.HOST.preference, local_preference(ip, order), component
        )
        fnd = foundation(CandidateType.HOST, ip, transport)
        found.append(
            Candidate(
                flow, transport, (ip, port), CandidateType.HOST, priority, fnd, None, (ip, port)
            )
        )
    found.sort(key=lambda c: -c.priority)
    return found


def reflexive_candidate(base: Candidate, mapped: Address, server: str) -> Candidate | None:
    """The server-reflexive candidate STUN (or a Via) revealed for ``base``; None if no NAT."""
    if mapped == base.sending_base or not is_usable(mapped[0]):
        return None  # RFC 8445 §5.1.3: same address as its base, redundant
    local_pref = (base.priority >> 8) & 0xFFFF
    priority = candidate_priority(CandidateType.SRFLX.preference, local_pref, base.component)
    fnd = foundation(CandidateType.SRFLX, base.sending_base[0], base.transport, server)
    return Candidate(
        base.flow,
        base.transport,
        mapped,
        CandidateType.SRFLX,
        priority,
        fnd,
        base.sending_base,
        base.sending_base,
    )


def relayed_candidate(
    flow: str, transport: str, relayed: Address, mapped: Address, server: str, order: int = 0
) -> Candidate:
    """A TURN-relayed candidate; its base is itself (RFC 8445 §5.1.1.2), raddr the mapped one."""
    local_pref = local_preference(relayed[0], order)
    priority = candidate_priority(CandidateType.RELAY.preference, local_pref, flow_component(flow))
    fnd = foundation(CandidateType.RELAY, relayed[0], transport, server)
    return Candidate(flow, transport, relayed, CandidateType.RELAY, priority, fnd, mapped, relayed)


def sip_reflexive(via: Via, base: Candidate, registrar: str = "via") -> Candidate | None:
    """The ``sip`` reflexive candidate from a REGISTER response's received/rport (RFC 3581 §4)."""
    host = (via.received if via.received is not None else via.host).strip("[]")
    port = via.rport if via.rport is not None else (via.port or base.sending_base[1])
    try:
        return reflexive_candidate(base, (host, port), registrar)
    except ValueError:
        return None
