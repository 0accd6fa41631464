"""ICE in SDP for ICE-only peers (RFC 8839): a=candidate, a=ice-ufrag, a=ice-pwd ↔ our candidates.

Our offers mirror the ``m…`` items: the same addresses, priorities and foundations, and
ice-ufrag/ice-pwd equal to the ALEX-session ufrag/pwd (docs/ALEX.md "Headers"). From a peer's SDP
we keep UDP candidates of known types on IP literals; FQDN (mDNS ".local") candidates, TCP
candidates and unknown types are skipped, never fatal (RFC 8839 §5.1).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from alexphone.alex.candidate import Candidate, CandidateType, media_flow
from alexphone.alex.probe import Credentials
from alexphone.core.errors import ParseError
from alexphone.sdp.attribute import Attribute
from alexphone.sdp.session import Media, SessionDescription

_ICE_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")


def candidate_value(candidate: Candidate) -> str:
    """The value of ``a=candidate:`` for one of our media candidates (RFC 8839 §5.1)."""
    host, port = candidate.address
    text = (
        f"{candidate.foundation} {candidate.component} {candidate.transport.upper()}"
        f" {candidate.priority} {host} {port} typ {candidate.type.value}"
    )
    if candidate.related is not None:
        text += f" raddr {candidate.related[0]} rport {candidate.related[1]}"
    return text


def parse_candidate(value: str, m_line: int) -> Candidate | None:
    """Parse an ``a=candidate`` value; None for one we skip, ParseError if it is malformed."""
    fields = value.split()
    if len(fields) < 8 or fields[6] != "typ":
        raise ParseError(f"bad a=candidate {value[:60]!r}")
    fnd, component, transport, priority, host, port, _typ, kind = fields[:8]
    if not (component.isdigit() and priority.isdigit() and port.isdigit()):
        raise ParseError(f"bad a=candidate {value[:60]!r}")
    if not (0 < len(fnd) <= 32 and set(fnd) <= _ICE_CHARS):
        raise ParseError(f"bad a=candidate foundation {fnd[:40]!r}")
    if not 1 <= int(component) <= 256 or not 0 < int(priority) < 2**32 or int(port) > 65535:
        raise ParseError(f"a=candidate value out of range {value[:60]!r}")
    try:
        ip = ipaddress.ip_address(host)
        cand_type = CandidateType(kind)
    except ValueError:
        return None  # FQDN/mDNS host or an unknown type: skipped (RFC 8839 §5.1)
    if transport.lower() != "udp":
        return None
    related = None
    extensions = dict(zip(fields[8::2], fields[9::2], strict=False))
    if "raddr" in extensions and extensions.get("rport", "").isdigit():
        try:
            raddr = ipaddress.ip_address(extensions["raddr"]).compressed
            related = (raddr, int(extensions["rport"]))
        except ValueError:
            related = None
    flow = media_flow(m_line, int(component))
    address = (ip.compressed, int(port))
    return Candidate(flow, "udp", address, cand_type, int(priority), fnd, related)


def media_attributes(
    credentials: Credentials, candidates: list[Candidate], m_line: int
) -> list[Attribute]:
    """The ICE attributes of one m-line of our offer or answer, mirroring our ALEX items."""
    prefix = f"m{m_line}."
    attributes = [Attribute("ice-ufrag", credentials.ufrag), Attribute("ice-pwd", credentials.pwd)]
    attributes += [
        Attribute("candidate", candidate_value(c)) for c in candidates if c.flow.startswith(prefix)
    ]
    return attributes


@dataclass(frozen=True, slots=True)
class IcePeer:
    """What an ICE-only peer's SDP says about one m-line."""

    credentials: Credentials
    candidates: tuple[Candidate, ...]
    skipped: int = 0


def read_ice(session: SessionDescription, m_line: int) -> IcePeer | None:
    """The peer's ICE credentials and candidates for ``m_line``; None if it does not do ICE."""
    if not 0 <= m_line < len(session.media):
        return None
    media: Media = session.media[m_line]
    ufrag, pwd = session.ice_ufrag_of(media), session.ice_pwd_of(media)
    if not ufrag or not pwd or not media.candidates:
        return None
    found: list[Candidate] = []
    skipped = 0
    for value in media.candidates:
        try:
            candidate = parse_candidate(value, m_line)
        except ParseError:
            candidate = None
        if candidate is None:
            skipped += 1
        else:
            found.append(candidate)
    return IcePeer(Credentials(ufrag, pwd), tuple(found), skipped)
