"""SDP attributes (a=) and the typed values of the ones a softphone reads (RFC 8866 §6).

Attributes are kept as written, in order, unknown ones included, so a description
round-trips; the typed readers (rtpmap, rtcp, direction) parse on demand.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from typing import Self

from alexphone.core.errors import ParseError

__all__ = ["Attribute", "Direction", "RtcpAddress", "RtpMap", "find_attribute", "find_attributes"]

_RTPMAP = re.compile(r"([0-9]{1,3})[ \t]+([^/ \t]+)/([0-9]{1,10})(?:/([0-9]{1,3}))?[ \t]*")
_RTCP = re.compile(r"([0-9]{1,5})(?:[ \t]+(\S+)[ \t]+(\S+)[ \t]+(\S+))?[ \t]*")


@dataclass(frozen=True, slots=True)
class Attribute:
    """One a= line: ``a=name:value``, or a flag ``a=name`` when value is None (RFC 8866 §5.13)."""

    name: str
    value: str | None = None

    @classmethod
    def parse(cls, text: str) -> Self:
        """Parse the text after ``a=``; the value is kept verbatim."""
        name, colon, value = text.partition(":")
        if not colon:
            name = name.strip()
        if not name or any(c in name for c in " \t"):
            raise ParseError(f"bad attribute {text[:60]!r}")
        return cls(name, value if colon else None)

    def __str__(self) -> str:
        return self.name if self.value is None else f"{self.name}:{self.value}"


def find_attributes(attributes: Iterable[Attribute], name: str) -> tuple[str, ...]:
    """Return the values of every attribute called ``name`` ("" for a flag), in order."""
    wanted = name.lower()
    return tuple(a.value or "" for a in attributes if a.name.lower() == wanted)


def find_attribute(attributes: Iterable[Attribute], name: str) -> str | None:
    """Return the first value of attribute ``name`` ("" for a flag), None if absent."""
    values = find_attributes(attributes, name)
    return values[0] if values else None


class Direction(Enum):
    """Media direction attribute (RFC 8866 §6.7); sendrecv is the default."""

    SENDRECV = "sendrecv"
    SENDONLY = "sendonly"
    RECVONLY = "recvonly"
    INACTIVE = "inactive"

    @property
    def sends(self) -> bool:
        """Tell whether the side that wrote this direction sends media."""
        return self in (Direction.SENDRECV, Direction.SENDONLY)

    @property
    def receives(self) -> bool:
        """Tell whether the side that wrote this direction receives media."""
        return self in (Direction.SENDRECV, Direction.RECVONLY)

    @classmethod
    def of(cls, sends: bool, receives: bool) -> Direction:
        """Return the direction with the given send/receive capabilities."""
        if sends:
            return cls.SENDRECV if receives else cls.SENDONLY
        return cls.RECVONLY if receives else cls.INACTIVE

    @classmethod
    def from_attributes(cls, attributes: Iterable[Attribute]) -> Direction | None:
        """Return the last direction flag among ``attributes``, None if there is none."""
        found: Direction | None = None
        for attribute in attributes:
            try:
                found = cls(attribute.name.lower())
            except ValueError:
                continue
        return found

    def reversed(self) -> Direction:
        """Return the direction as seen from the other side (sendonly ↔ recvonly)."""
        return Direction.of(self.receives, self.sends)

    def attribute(self) -> Attribute:
        """Return this direction as a flag attribute."""
        return Attribute(self.value)


@dataclass(frozen=True, slots=True)
class RtpMap:
    """``a=rtpmap:<pt> <encoding>/<clock rate>[/<channels>]`` (RFC 8866 §6.6)."""

    payload_type: int
    encoding: str
    clock_rate: int
    channels: int | None = None

    @classmethod
    def parse(cls, value: str) -> Self:
        """Parse an rtpmap attribute value."""
        match = _RTPMAP.fullmatch(value)
        if match is None or int(match[1]) > 127:
            raise ParseError(f"bad rtpmap {value[:60]!r}")
        channels = int(match[4]) if match[4] is not None else None
        return cls(int(match[1]), match[2], int(match[3]), channels)

    def __str__(self) -> str:
        text = f"{self.payload_type} {self.encoding}/{self.clock_rate}"
        return text if self.channels is None else f"{text}/{self.channels}"


@dataclass(frozen=True, slots=True)
class RtcpAddress:
    """``a=rtcp:<port> [IN IP4|IP6 <address>]``: where the peer receives RTCP (RFC 3605 §2.1)."""

    port: int
    address: str | None = None
    addr_type: str = "IP4"
    net_type: str = "IN"

    @classmethod
    def parse(cls, value: str) -> Self:
        """Parse an rtcp attribute value."""
        match = _RTCP.fullmatch(value)
        if match is None or int(match[1]) > 65535:
            raise ParseError(f"bad rtcp attribute {value[:60]!r}")
        if match[2] is None:
            return cls(int(match[1]))
        return cls(int(match[1]), match[4], match[3], match[2])

    def __str__(self) -> str:
        if self.address is None:
            return str(self.port)
        return f"{self.port} {self.net_type} {self.addr_type} {self.address}"
