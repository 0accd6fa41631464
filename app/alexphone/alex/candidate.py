"""Candidates (one ALEX-item or a=candidate each) and the ICE priority formulas (RFC 8445 §5.1.2).

A flow is "sip" or "m<m-line>.<component>"; within it a candidate is a transport address
of one type with a priority, a foundation and, for derived candidates, its base and related
address. The same value serves our own candidates (``base`` set) and the peer's.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from enum import Enum

from alexphone.core.address import Address
from alexphone.core.errors import ParseError

_FLOW = re.compile(r"sip|m([0-9]{1,2})\.([0-9]{1,3})")
_HOSTPORT = re.compile(r"\[([0-9A-Fa-f:.]+)\]:([0-9]{1,5})|([0-9.]+):([0-9]{1,5})")

MAX_PRIORITY = 2**32 - 1


class CandidateType(Enum):
    """Candidate types and their RFC 8445 §5.1.2.2 recommended type preferences."""

    HOST = "host"
    SRFLX = "srflx"
    PRFLX = "prflx"
    RELAY = "relay"

    @property
    def preference(self) -> int:
        """Type preference (RFC 8445 §5.1.2.2)."""
        return _TYPE_PREFERENCE[self]


_TYPE_PREFERENCE = {
    CandidateType.HOST: 126,
    CandidateType.PRFLX: 110,
    CandidateType.SRFLX: 100,
    CandidateType.RELAY: 0,
}


@dataclass(frozen=True, slots=True)
class Candidate:
    """One transport address of a flow, ours or the peer's."""

    flow: str
    transport: str  # "udp", "tcp", "tls" or a token (lower-case)
    address: Address
    type: CandidateType
    priority: int
    foundation: str
    related: Address | None = None  # raddr: the base or mapped address it derives from
    base: Address | None = None  # local candidates only: where packets are really sent from

    def __post_init__(self) -> None:
        if not 0 < self.priority <= MAX_PRIORITY:
            raise ValueError(f"candidate priority out of range: {self.priority}")

    @property
    def component(self) -> int:
        """The ICE component of the flow (1 for "sip" and "mN.1")."""
        return flow_component(self.flow)

    @property
    def family(self) -> int:
        """4 or 6."""
        return address_family(self.address[0])

    @property
    def sending_base(self) -> Address:
        """The address packets for this candidate leave from (itself when it has no base)."""
        return self.base if self.base is not None else self.address


def check_flow(flow: str) -> str:
    """Return ``flow`` if it is "sip" or "m<0-99>.<0-999>", else raise ParseError."""
    if _FLOW.fullmatch(flow) is None:
        raise ParseError(f"bad ALEX flow {flow!r}")
    return flow


def flow_component(flow: str) -> int:
    """The component number of a flow: the part after the dot, 1 for "sip"."""
    match = _FLOW.fullmatch(flow)
    if match is None or match.group(2) is None:
        return 1
    return max(1, min(256, int(match.group(2))))


def media_flow(m_line: int, component: int) -> str:
    """The flow name for an m-line index and component ("m0.1")."""
    return f"m{m_line}.{component}"


def address_family(ip: str) -> int:
    """4 or 6 for an IP literal."""
    return ipaddress.ip_address(ip).version


def candidate_priority(type_preference: int, local_preference: int, component: int) -> int:
    """RFC 8445 §5.1.2.1: 2^24·type + 2^8·local + (256 − component)."""
    return (type_preference << 24) + (local_preference << 8) + (256 - component)


def pair_priority(controlling: int, controlled: int) -> int:
    """RFC 8445 §6.1.2.3: 2^32·MIN(G,D) + 2·MAX(G,D) + (G>D ? 1 : 0)."""
    g, d = controlling, controlled
    return (min(g, d) << 32) + 2 * max(g, d) + (1 if g > d else 0)


def format_hostport(address: Address) -> str:
    """ "1.2.3.4:5" or "[2001:db8::1]:5"."""
    host, port = address
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def parse_hostport(text: str) -> Address:
    """Parse an IP literal hostport (names are not allowed in ALEX items); ParseError if bad."""
    match = _HOSTPORT.fullmatch(text)
    if match is None:
        raise ParseError(f"bad ALEX address {text!r}")
    host = match.group(1) or match.group(3)
    port = int(match.group(2) or match.group(4))
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        raise ParseError(f"bad ALEX address {text!r}") from None
    if (ip.version == 6) != bool(match.group(1)) or port > 65535:
        raise ParseError(f"bad ALEX address {text!r}")
    return (ip.compressed, port)
