"""Session descriptions: typed lines, ``parse`` and CRLF serialisation in RFC 8866 §5 order.

Every line is kept (attributes in order, unknown ones verbatim), so ``parse(str(sd)) == sd``
and a description read from the wire is written back line for line when it already was in
RFC order. Typed readers (rtpmap, direction, connection, ICE) parse values on demand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from alexphone.core.address import Address
from alexphone.core.errors import ParseError
from alexphone.sdp.attribute import (
    Attribute,
    Direction,
    RtcpAddress,
    RtpMap,
    find_attribute,
    find_attributes,
)

__all__ = [
    "Bandwidth",
    "Connection",
    "Media",
    "Origin",
    "SessionDescription",
    "Timing",
    "parse",
]

_LINE = re.compile(r"([a-z])=(.*)", re.DOTALL)
_DIGITS = re.compile(r"[0-9]{1,20}")
_PORT = re.compile(r"([0-9]{1,5})(?:/([0-9]{1,5}))?")
_SESSION_ONLY = "vosueptrz"  # RFC 8866 §5: types that may not appear in a media section
_KNOWN = "vosiuepcbtrzkam"


@dataclass(frozen=True, slots=True)
class Origin:
    """``o=<username> <sess-id> <sess-version> <nettype> <addrtype> <address>`` (RFC 8866 §5.2)."""

    username: str
    session_id: str
    session_version: int
    address: str
    addr_type: str = "IP4"
    net_type: str = "IN"

    def __str__(self) -> str:
        return (
            f"{self.username} {self.session_id} {self.session_version} "
            f"{self.net_type} {self.addr_type} {self.address}"
        )


@dataclass(frozen=True, slots=True)
class Connection:
    """``c=<nettype> <addrtype> <address>``; address may carry ``/ttl/count`` (RFC 8866 §5.7)."""

    address: str
    addr_type: str = "IP4"
    net_type: str = "IN"

    @property
    def host(self) -> str:
        """The address without multicast TTL or count suffixes."""
        return self.address.split("/", 1)[0]

    @property
    def is_hold(self) -> bool:
        """Tell whether this is the RFC 2543 hold address 0.0.0.0 (RFC 3264 §8.4)."""
        return self.host in ("0.0.0.0", "::")

    def __str__(self) -> str:
        return f"{self.net_type} {self.addr_type} {self.address}"


@dataclass(frozen=True, slots=True)
class Bandwidth:
    """``b=<bwtype>:<bandwidth>`` (RFC 8866 §5.8)."""

    bwtype: str
    value: int

    def __str__(self) -> str:
        return f"{self.bwtype}:{self.value}"


@dataclass(frozen=True, slots=True)
class Timing:
    """``t=<start> <stop>`` with its ``r=`` repeat lines kept raw (RFC 8866 §5.9, §5.10)."""

    start: int = 0
    stop: int = 0
    repeats: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Media:
    """One media description: the ``m=`` line and the lines under it (RFC 8866 §5.14)."""

    media: str
    port: int
    proto: str
    formats: tuple[str, ...]
    port_count: int | None = None
    title: str | None = None
    connections: tuple[Connection, ...] = ()
    bandwidths: tuple[Bandwidth, ...] = ()
    key: str | None = None
    attributes: tuple[Attribute, ...] = ()

    @property
    def rejected(self) -> bool:
        """Tell whether the stream is rejected or disabled: port 0 (RFC 3264 §6)."""
        return self.port == 0

    @property
    def connection(self) -> Connection | None:
        """The first media-level ``c=`` line, if any."""
        return self.connections[0] if self.connections else None

    @property
    def payload_types(self) -> tuple[int, ...]:
        """The numeric formats (RTP payload types), in offer order."""
        return tuple(int(f) for f in self.formats if _DIGITS.fullmatch(f) and int(f) <= 127)

    def attribute(self, name: str) -> str | None:
        """Return the first value of attribute ``name`` ("" for a flag), None if absent."""
        return find_attribute(self.attributes, name)

    def attributes_named(self, name: str) -> tuple[str, ...]:
        """Return the values of every attribute called ``name``, in order."""
        return find_attributes(self.attributes, name)

    @property
    def direction(self) -> Direction | None:
        """The media-level direction attribute, None if there is none."""
        return Direction.from_attributes(self.attributes)

    def rtpmap(self, payload_type: int) -> RtpMap | None:
        """Return the rtpmap of ``payload_type``, None if it has none (raises ParseError)."""
        for value in self.attributes_named("rtpmap"):
            rtpmap = RtpMap.parse(value)
            if rtpmap.payload_type == payload_type:
                return rtpmap
        return None

    def fmtp(self, payload_type: int) -> str | None:
        """Return the format parameters of ``payload_type`` (RFC 8866 §6.15), None if absent."""
        for value in self.attributes_named("fmtp"):
            number, _, params = value.partition(" ")
            if number == str(payload_type):
                return params.strip()
        return None

    @property
    def ptime(self) -> int | None:
        """The ``a=ptime`` packet time in milliseconds (RFC 8866 §6.4), None if absent."""
        value = self.attribute("ptime")
        if value is None:
            return None
        try:
            return round(float(value))
        except (ValueError, OverflowError):  # OverflowError: "inf", "1e999"
            raise ParseError(f"bad ptime {value[:20]!r}") from None

    @property
    def rtcp(self) -> RtcpAddress | None:
        """The ``a=rtcp`` attribute (RFC 3605), None if absent."""
        value = self.attribute("rtcp")
        return None if value is None else RtcpAddress.parse(value)

    @property
    def candidates(self) -> tuple[str, ...]:
        """The raw ``a=candidate`` values (RFC 8839 §5.1), in order."""
        return self.attributes_named("candidate")


@dataclass(frozen=True, slots=True)
class SessionDescription:
    """A whole SDP body (RFC 8866 §5); ``str()`` and ``to_bytes()`` write CRLF lines."""

    origin: Origin
    session_name: str = "-"
    info: str | None = None
    uri: str | None = None
    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    connection: Connection | None = None
    bandwidths: tuple[Bandwidth, ...] = ()
    timings: tuple[Timing, ...] = (Timing(),)
    zone: str | None = None
    key: str | None = None
    attributes: tuple[Attribute, ...] = ()
    media: tuple[Media, ...] = ()

    @classmethod
    def parse(cls, data: str | bytes) -> SessionDescription:
        """Parse an SDP body; raises ParseError with the offending line number."""
        return parse(data)

    def attribute(self, name: str) -> str | None:
        """Return the first session-level value of attribute ``name``, None if absent."""
        return find_attribute(self.attributes, name)

    @property
    def direction(self) -> Direction | None:
        """The session-level direction attribute, None if there is none."""
        return Direction.from_attributes(self.attributes)

    def direction_of(self, media: Media) -> Direction:
        """Return a stream's direction: media level, else session level, else sendrecv."""
        return media.direction or self.direction or Direction.SENDRECV

    def connection_of(self, media: Media) -> Connection | None:
        """Return a stream's connection: media-level ``c=``, else the session's (RFC 8866 §5.7)."""
        return media.connection or self.connection

    def endpoint_of(self, media: Media) -> Address | None:
        """Return the (address, port) a stream's RTP goes to, None if there is no ``c=``."""
        connection = self.connection_of(media)
        return None if connection is None else (connection.host, media.port)

    def ice_ufrag_of(self, media: Media) -> str | None:
        """Return ``a=ice-ufrag`` of a stream, media level first (RFC 8839 §5.4)."""
        return media.attribute("ice-ufrag") or self.attribute("ice-ufrag")

    def ice_pwd_of(self, media: Media) -> str | None:
        """Return ``a=ice-pwd`` of a stream, media level first (RFC 8839 §5.4)."""
        return media.attribute("ice-pwd") or self.attribute("ice-pwd")

    def lines(self) -> list[str]:
        """Return the lines (without CRLF) in the order RFC 8866 §5 prescribes."""
        out = ["v=0", f"o={self.origin}", f"s={self.session_name}"]
        out += [f"i={self.info}"] if self.info is not None else []
        out += [f"u={self.uri}"] if self.uri is not None else []
        out += [f"e={e}" for e in self.emails] + [f"p={p}" for p in self.phones]
        out += [f"c={self.connection}"] if self.connection is not None else []
        out += [f"b={b}" for b in self.bandwidths]
        for timing in self.timings:
            out.append(f"t={timing.start} {timing.stop}")
            out += [f"r={r}" for r in timing.repeats]
        out += [f"z={self.zone}"] if self.zone is not None else []
        out += [f"k={self.key}"] if self.key is not None else []
        out += [f"a={a}" for a in self.attributes]
        for m in self.media:
            port = m.port if m.port_count is None else f"{m.port}/{m.port_count}"
            out.append(f"m={' '.join((m.media, str(port), m.proto, *m.formats))}")
            out += [f"i={m.title}"] if m.title is not None else []
            out += [f"c={c}" for c in m.connections] + [f"b={b}" for b in m.bandwidths]
            out += [f"k={m.key}"] if m.key is not None else []
            out += [f"a={a}" for a in m.attributes]
        return out

    def __str__(self) -> str:
        return "".join(line + "\r\n" for line in self.lines())

    def to_bytes(self) -> bytes:
        """Return the UTF-8 body to put in a SIP message."""
        return str(self).encode("utf-8")

    def __bytes__(self) -> bytes:
        return self.to_bytes()


class _MediaBuilder:
    """Collects the lines of one media section while parsing."""

    def __init__(self, media: str, port: int, port_count: int | None, proto: str, fmts: list[str]):
        self.head = (media, port, proto, tuple(fmts), port_count)
        self.title: str | None = None
        self.connections: list[Connection] = []
        self.bandwidths: list[Bandwidth] = []
        self.key: str | None = None
        self.attributes: list[Attribute] = []

    def build(self) -> Media:
        media, port, proto, formats, port_count = self.head
        return Media(
            media, port, proto, formats, port_count, self.title, tuple(self.connections),
            tuple(self.bandwidths), self.key, tuple(self.attributes),
        )  # fmt: skip


def _connection(value: str) -> Connection:
    parts = value.split()
    if len(parts) != 3:
        raise ParseError(f"bad c= line {value[:60]!r}")
    return Connection(parts[2], parts[1], parts[0])


def _bandwidth(value: str) -> Bandwidth:
    bwtype, colon, number = value.partition(":")
    number = number.strip(" \t")  # str.strip() would also take \x1c-\x1f, which int() refuses
    if not colon or not bwtype or _DIGITS.fullmatch(number) is None:
        raise ParseError(f"bad b= line {value[:60]!r}")
    return Bandwidth(bwtype, int(number))


def _origin(value: str) -> Origin:
    parts = value.split()
    if len(parts) != 6:
        raise ParseError(f"bad o= line {value[:60]!r}")
    if _DIGITS.fullmatch(parts[2]) is None:
        raise ParseError(f"bad session version in o= line {parts[2][:30]!r}")
    return Origin(parts[0], parts[1], int(parts[2]), parts[5], parts[4], parts[3])


def _timing(value: str) -> Timing:
    parts = value.split()
    if len(parts) != 2 or not all(_DIGITS.fullmatch(p) for p in parts):
        raise ParseError(f"bad t= line {value[:60]!r}")
    return Timing(int(parts[0]), int(parts[1]))


def _media(value: str) -> _MediaBuilder:
    parts = value.split()
    if len(parts) < 4:
        raise ParseError(f"bad m= line {value[:60]!r}")
    match = _PORT.fullmatch(parts[1])
    if match is None or int(match[1]) > 65535:
        raise ParseError(f"bad port in m= line {parts[1][:30]!r}")
    count = int(match[2]) if match[2] is not None else None
    return _MediaBuilder(parts[0], int(match[1]), count, parts[2], parts[3:])


def _split_lines(data: str | bytes) -> list[str]:
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError:
            raise ParseError("SDP is not valid UTF-8") from None
    lines = [line.removesuffix("\r") for line in data.split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _first(values: list[str]) -> str | None:
    return values[0] if values else None


def parse(data: str | bytes) -> SessionDescription:
    """Parse an SDP body (RFC 8866 §5); raises ParseError("SDP line N: ...") when malformed."""
    lines = _split_lines(data)
    if not lines or lines[0] != "v=0":
        raise ParseError("SDP must start with v=0")
    session: dict[str, list[str]] = {t: [] for t in _KNOWN}
    session["v"].append("0")
    timings: list[Timing] = []
    attributes: list[Attribute] = []
    media: list[_MediaBuilder] = []
    for number, line in enumerate(lines[1:], start=2):
        try:
            _parse_line(line, session, timings, attributes, media)
        except ParseError as exc:
            raise ParseError(f"SDP line {number}: {exc}") from None
    for kind, name in (("o", "o="), ("s", "s=")):
        if not session[kind]:
            raise ParseError(f"SDP has no {name} line")
    return SessionDescription(
        origin=_origin(session["o"][0]),
        session_name=session["s"][0],
        info=_first(session["i"]),
        uri=_first(session["u"]),
        emails=tuple(session["e"]),
        phones=tuple(session["p"]),
        connection=_connection(session["c"][0]) if session["c"] else None,
        bandwidths=tuple(_bandwidth(b) for b in session["b"]),
        timings=tuple(timings),
        zone=_first(session["z"]),
        key=_first(session["k"]),
        attributes=tuple(attributes),
        media=tuple(m.build() for m in media),
    )


def _parse_line(
    line: str,
    session: dict[str, list[str]],
    timings: list[Timing],
    attributes: list[Attribute],
    media: list[_MediaBuilder],
) -> None:
    """Add one line to the description being built (RFC 8866 §5 grammar)."""
    match = _LINE.fullmatch(line)
    if match is None:
        raise ParseError(f"bad line {line[:60]!r}")
    kind, value = match[1], match[2]
    if kind not in _KNOWN:
        # RFC 8866 §5: a description with an unknown type letter must be ignored
        raise ParseError(f"unknown line type {kind}=")
    if kind == "m":
        media.append(_media(value))
    elif media:
        current = media[-1]
        if kind in _SESSION_ONLY:
            raise ParseError(f"{kind}= line inside a media section")
        if kind == "a":
            current.attributes.append(Attribute.parse(value))
        elif kind == "c":
            current.connections.append(_connection(value))
        elif kind == "b":
            current.bandwidths.append(_bandwidth(value))
        elif kind == "i":
            current.title = value
        else:
            current.key = value
    elif kind == "a":
        attributes.append(Attribute.parse(value))
    elif kind == "t":
        timings.append(_timing(value))
    elif kind == "r":
        if not timings:
            raise ParseError("r= line before any t= line")
        timings[-1] = Timing(timings[-1].start, timings[-1].stop, (*timings[-1].repeats, value))
    else:
        if kind in "vosicuzk" and session[kind]:
            raise ParseError(f"duplicate {kind}= line")
        if kind == "o":
            _origin(value)  # validate here so the error names the line
        elif kind == "c":
            _connection(value)
        elif kind == "b":
            _bandwidth(value)
        session[kind].append(value)
