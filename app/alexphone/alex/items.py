"""The ALEX-session and ALEX-item header fields (docs/ALEX.md "Headers"): codec and reading rules.

Reading follows the robustness rules of the spec: unknown parameters are ignored, items of an
unknown ``typ`` and items naming loopback, multicast, broadcast or unspecified addresses are
discarded (counted, not fatal). Anything that breaks the grammar makes ``read_alex`` return
``AlexDisabled``: ALEX is off for that dialog only, the call itself goes on (plain SIP or ICE).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Self

from alexphone.alex.address import is_usable_address
from alexphone.alex.candidate import (
    Candidate,
    CandidateType,
    address_family,
    candidate_priority,
    check_flow,
    flow_component,
    format_hostport,
    parse_hostport,
)
from alexphone.core.errors import ParseError
from alexphone.core.ids import IdFactory
from alexphone.sip.grammar import (
    find_param,
    parse_params,
    quote_string,
    split_values,
    unquote_string,
)
from alexphone.sip.message import Headers

SESSION_HEADER = "ALEX-session"
ITEM_HEADER = "ALEX-item"
VERSION = 1

_UFRAG = re.compile(r"[A-Za-z0-9]{4,32}")
_PWD = re.compile(r"[A-Za-z0-9]{22,64}")
_TB = re.compile(r"[0-9A-Fa-f]{16}")
_FND = re.compile(r"[A-Za-z0-9]{1,32}")
_PRI = re.compile(r"[0-9]{1,10}")
_TOKEN = re.compile(r"[A-Za-z0-9.!%*_+`'~\-]+")


@dataclass(frozen=True, slots=True)
class AlexSession:
    """The ALEX-session values: credentials, tie-breaker, instance (docs/ALEX.md "Headers")."""

    ufrag: str
    pwd: str
    tie_breaker: int
    instance: str | None = None  # RFC 5626 instance URN, e.g. "<urn:uuid:...>"
    version: int = VERSION

    def __post_init__(self) -> None:
        if _UFRAG.fullmatch(self.ufrag) is None or _PWD.fullmatch(self.pwd) is None:
            raise ValueError("ALEX ufrag must be 4-32 and pwd 22-64 alphanumerics")
        if not 0 <= self.tie_breaker < 2**64:
            raise ValueError("ALEX tie-breaker must fit in 64 bits")

    @classmethod
    def parse(cls, text: str) -> Self:
        """Parse an ALEX-session value; ParseError if it breaks the grammar or lacks a field."""
        params = parse_params(";" + text.strip())
        version = find_param(params, "v")
        ufrag, pwd, tb = (find_param(params, n) for n in ("ufrag", "pwd", "tb"))
        instance = find_param(params, "inst")
        if version is not None and version != str(VERSION):
            raise ParseError(f"unsupported ALEX version {version!r}")
        if ufrag is None or _UFRAG.fullmatch(ufrag) is None:
            raise ParseError("ALEX-session: bad or missing ufrag")
        if pwd is None or _PWD.fullmatch(pwd) is None:
            raise ParseError("ALEX-session: bad or missing pwd")
        if tb is None or _TB.fullmatch(tb) is None:
            raise ParseError("ALEX-session: bad or missing tb")
        if instance is not None:
            if not (len(instance) >= 2 and instance[0] == instance[-1] == '"'):
                raise ParseError("ALEX-session: inst must be a quoted-string")
            instance = unquote_string(instance)
        return cls(ufrag, pwd, int(tb, 16), instance)

    def __str__(self) -> str:
        text = f"v={self.version};ufrag={self.ufrag};pwd={self.pwd};tb={self.tie_breaker:016x}"
        if self.instance is not None:
            text += f";inst={quote_string(self.instance)}"
        return text


def new_session(ids: IdFactory, instance: str | None = None) -> AlexSession:
    """Draw fresh credentials and a tie-breaker (RFC 8445 §5.3: ≥24 and ≥128 random bits)."""
    tie_breaker = int.from_bytes(hashlib.sha256(ids.token(32).encode()).digest()[:8], "big")
    return AlexSession(ids.token(8), ids.token(24), tie_breaker, instance)


def format_item(candidate: Candidate) -> str:
    """Render one candidate as an ALEX-item value."""
    text = (
        f"{candidate.flow} {candidate.transport} {format_hostport(candidate.address)}"
        f";typ={candidate.type.value};pri={candidate.priority};fnd={candidate.foundation}"
    )
    if candidate.related is not None:
        text += f";raddr={format_hostport(candidate.related)}"
    return text


def parse_item(text: str) -> Candidate | None:
    """Parse one ALEX-item value; None for an item to ignore (unknown typ); ParseError if bad."""
    head, semi, rest = text.strip().partition(";")
    parts = head.split()
    if len(parts) != 3:
        raise ParseError(f"bad ALEX-item {text[:60]!r}")
    flow, transport, hostport = parts
    check_flow(flow)
    if _TOKEN.fullmatch(transport) is None:
        raise ParseError(f"bad ALEX-item transport {transport[:20]!r}")
    address = parse_hostport(hostport)
    params = parse_params(semi + rest)
    typ = find_param(params, "typ")
    pri, fnd, raddr = (find_param(params, n) for n in ("pri", "fnd", "raddr"))
    try:
        kind = CandidateType(typ) if typ is not None else CandidateType.HOST
    except ValueError:
        if typ and _TOKEN.fullmatch(typ):
            return None  # docs/ALEX.md "Bad input": unknown typ: ignored
        raise ParseError("bad ALEX-item typ") from None
    if pri is not None:
        if _PRI.fullmatch(pri) is None or not 0 < int(pri) < 2**32:
            raise ParseError("bad ALEX-item pri")
        priority = int(pri)
    else:
        priority = max(1, candidate_priority(kind.preference, 0, flow_component(flow)))
    if fnd is not None and _FND.fullmatch(fnd) is None:
        raise ParseError("bad ALEX-item fnd")
    foundation = fnd or f"{kind.value}{address_family(address[0])}x{address[0]}"
    related = parse_hostport(raddr) if raddr is not None else None
    return Candidate(flow, transport.lower(), address, kind, priority, foundation, related)


@dataclass(frozen=True, slots=True)
class Announcement:
    """A peer's valid ALEX announcement: credentials and the items kept for pairing."""

    session: AlexSession
    candidates: tuple[Candidate, ...]
    discarded: int = 0  # items ignored: unknown typ, or unusable addresses


@dataclass(frozen=True, slots=True)
class AlexDisabled:
    """The peer's ALEX headers were malformed: no ALEX for this dialog (the call goes on)."""

    reason: str


def read_alex(headers: Headers) -> Announcement | AlexDisabled | None:
    """Read a message's ALEX headers: None if it has none, else the announcement or why not."""
    sessions = headers.get_fields(SESSION_HEADER)
    item_fields = headers.get_fields(ITEM_HEADER)
    if not sessions:
        return AlexDisabled("ALEX-item without ALEX-session") if item_fields else None
    if len(sessions) > 1 or len(split_values(sessions[0])) > 1:
        return AlexDisabled("more than one ALEX-session")
    try:
        session = AlexSession.parse(sessions[0])
        parsed = [parse_item(v) for field in item_fields for v in split_values(field) if v]
    except (ParseError, ValueError) as exc:
        return AlexDisabled(str(exc))
    kept = tuple(c for c in parsed if c is not None and is_usable_address(c.address))
    return Announcement(session, kept, len(parsed) - len(kept))


def write_alex(headers: Headers, session: AlexSession, candidates: list[Candidate]) -> None:
    """Put our ALEX-session and one ALEX-item field per candidate into ``headers``."""
    headers.remove(SESSION_HEADER)
    headers.remove(ITEM_HEADER)
    headers.add(SESSION_HEADER, str(session))
    for candidate in candidates:
        headers.add(ITEM_HEADER, format_item(candidate))
