"""RTCP packets (RFC 3550 §6.4-6.6): SR, RR, SDES, BYE; compound parse and serialize.

Every packet type round-trips through ``parse_compound(data)`` / ``bytes(packet)``;
a compound packet is simply the concatenation of its parts (§6.1). Types we do
not know (APP, feedback, XR) come back as ``UnknownRtcp`` so callers can skip them.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from alexphone.core.errors import LocalProtocolError, ParseError

__all__ = [
    "PT_BYE",
    "PT_RR",
    "PT_SDES",
    "PT_SR",
    "SDES_CNAME",
    "Bye",
    "ReceiverReport",
    "ReportBlock",
    "RtcpPacket",
    "SdesChunk",
    "SenderReport",
    "SourceDescription",
    "UnknownRtcp",
    "parse_compound",
    "serialize_compound",
]

PT_SR, PT_RR, PT_SDES, PT_BYE = 200, 201, 202, 203
SDES_CNAME = 1  # RFC 3550 §6.5.1
_VERSION = 2
_BLOCK = struct.Struct("!IIIIII")


def _header(count: int, packet_type: int, body: bytes) -> bytes:
    if count > 31:
        raise LocalProtocolError("more than 31 items in one RTCP packet")
    return struct.pack("!BBH", _VERSION << 6 | count, packet_type, len(body) // 4) + body


def _pad4(data: bytes) -> bytes:
    return data + b"\0" * (-len(data) % 4)


@dataclass(frozen=True, slots=True)
class ReportBlock:
    """A reception report about one source (RFC 3550 §6.4.1); jitter in timestamp units."""

    ssrc: int
    fraction_lost: int  # 8-bit fixed point: lost / expected * 256 over the last interval
    cumulative_lost: int  # signed 24-bit (duplicates can make it negative)
    highest_sequence: int  # extended: cycles << 16 | highest sequence number
    jitter: int
    lsr: int  # middle 32 bits of the last SR's NTP timestamp, 0 if none
    dlsr: int  # delay since that SR, units of 1/65536 s

    @classmethod
    def parse(cls, data: bytes, offset: int) -> ReportBlock:
        """Parse the 24-byte block at ``offset``."""
        ssrc, lost_word, highest, jitter, lsr, dlsr = _BLOCK.unpack_from(data, offset)
        cumulative = lost_word & 0xFFFFFF
        if cumulative & 0x800000:
            cumulative -= 1 << 24
        return cls(ssrc, lost_word >> 24, cumulative, highest, jitter, lsr, dlsr)

    def __bytes__(self) -> bytes:
        lost = max(-(1 << 23), min(self.cumulative_lost, (1 << 23) - 1)) & 0xFFFFFF
        word = (self.fraction_lost & 0xFF) << 24 | lost
        return _BLOCK.pack(self.ssrc, word, self.highest_sequence, self.jitter, self.lsr, self.dlsr)


def _parse_blocks(data: bytes, offset: int, count: int) -> tuple[ReportBlock, ...]:
    if offset + 24 * count > len(data):
        raise ParseError("RTCP report blocks truncated")
    return tuple(ReportBlock.parse(data, offset + 24 * i) for i in range(count))


@dataclass(frozen=True, slots=True)
class SenderReport:
    """SR (§6.4.1): sender info plus reception reports; ntp_timestamp is the 64-bit NTP time."""

    ssrc: int
    ntp_timestamp: int
    rtp_timestamp: int
    packet_count: int
    octet_count: int
    reports: tuple[ReportBlock, ...] = ()

    def __bytes__(self) -> bytes:
        body = struct.pack(
            "!IQIII",
            self.ssrc,
            self.ntp_timestamp,
            self.rtp_timestamp,
            self.packet_count & 0xFFFFFFFF,
            self.octet_count & 0xFFFFFFFF,
        )
        return _header(len(self.reports), PT_SR, body + b"".join(map(bytes, self.reports)))


@dataclass(frozen=True, slots=True)
class ReceiverReport:
    """RR (§6.4.2): reception reports from a participant that is not sending."""

    ssrc: int
    reports: tuple[ReportBlock, ...] = ()

    def __bytes__(self) -> bytes:
        body = struct.pack("!I", self.ssrc) + b"".join(map(bytes, self.reports))
        return _header(len(self.reports), PT_RR, body)


@dataclass(frozen=True, slots=True)
class SdesChunk:
    """One SDES chunk (§6.5): an SSRC and its (item type, value) pairs."""

    ssrc: int
    items: tuple[tuple[int, bytes], ...]

    @property
    def cname(self) -> str | None:
        """Return the CNAME item as text, if present."""
        for kind, value in self.items:
            if kind == SDES_CNAME:
                return value.decode("utf-8", "replace")
        return None


@dataclass(frozen=True, slots=True)
class SourceDescription:
    """SDES (§6.5): a list of chunks."""

    chunks: tuple[SdesChunk, ...]

    def __bytes__(self) -> bytes:
        body = bytearray()
        for chunk in self.chunks:
            body += struct.pack("!I", chunk.ssrc)
            for kind, value in chunk.items:
                if len(value) > 255:
                    raise LocalProtocolError("SDES item longer than 255 octets")
                body += bytes((kind, len(value))) + value
            body += b"\0" * (4 - len(body) % 4)  # null item terminates, pads to 32 bits
        return _header(len(self.chunks), PT_SDES, bytes(body))


@dataclass(frozen=True, slots=True)
class Bye:
    """BYE (§6.6): the sources leaving, with an optional reason."""

    ssrcs: tuple[int, ...]
    reason: str | None = None

    def __bytes__(self) -> bytes:
        body = b"".join(struct.pack("!I", s) for s in self.ssrcs)
        if self.reason is not None:
            text = self.reason.encode()[:255]
            body += _pad4(bytes((len(text),)) + text)
        return _header(len(self.ssrcs), PT_BYE, body)


@dataclass(frozen=True, slots=True)
class UnknownRtcp:
    """An RTCP packet of a type we do not interpret (APP, RTPFB, XR, ...), kept verbatim."""

    packet_type: int
    count: int
    body: bytes

    def __bytes__(self) -> bytes:
        return _header(self.count, self.packet_type, _pad4(self.body))


RtcpPacket = SenderReport | ReceiverReport | SourceDescription | Bye | UnknownRtcp


def _parse_sdes(body: bytes, count: int) -> SourceDescription:
    chunks = []
    pos = 0
    for _ in range(count):
        if pos + 4 > len(body):
            raise ParseError("SDES chunk truncated")
        (ssrc,) = struct.unpack_from("!I", body, pos)
        pos += 4
        items = []
        while True:
            if pos >= len(body):
                raise ParseError("SDES items not terminated")
            kind = body[pos]
            if kind == 0:
                pos += 4 - pos % 4  # skip the null item and padding to the next word
                break
            if pos + 2 > len(body) or pos + 2 + body[pos + 1] > len(body):
                raise ParseError("SDES item truncated")
            length = body[pos + 1]
            items.append((kind, bytes(body[pos + 2 : pos + 2 + length])))
            pos += 2 + length
        chunks.append(SdesChunk(ssrc, tuple(items)))
    return SourceDescription(tuple(chunks))


def _parse_bye(body: bytes, count: int) -> Bye:
    if 4 * count > len(body):
        raise ParseError("BYE SSRC list truncated")
    ssrcs = struct.unpack_from(f"!{count}I", body)
    reason = None
    rest = body[4 * count :]
    if rest:
        if 1 + rest[0] > len(rest):
            raise ParseError("BYE reason truncated")
        reason = rest[1 : 1 + rest[0]].decode("utf-8", "replace")
    return Bye(tuple(ssrcs), reason)


def _parse_one(packet_type: int, count: int, body: bytes) -> RtcpPacket:
    if packet_type == PT_SR:
        if len(body) < 24:
            raise ParseError("SR truncated")
        ssrc, ntp, rtp_ts, packets, octets = struct.unpack_from("!IQIII", body)
        return SenderReport(ssrc, ntp, rtp_ts, packets, octets, _parse_blocks(body, 24, count))
    if packet_type == PT_RR:
        if len(body) < 4:
            raise ParseError("RR truncated")
        (ssrc,) = struct.unpack_from("!I", body)
        return ReceiverReport(ssrc, _parse_blocks(body, 4, count))
    if packet_type == PT_SDES:
        return _parse_sdes(body, count)
    if packet_type == PT_BYE:
        return _parse_bye(body, count)
    return UnknownRtcp(packet_type, count, bytes(body))


def parse_compound(data: bytes) -> list[RtcpPacket]:
    """Parse a compound RTCP packet (RFC 3550 §6.1, A.2 checks); ParseError on garbage."""
    packets: list[RtcpPacket] = []
    pos = 0
    if len(data) < 4:
        raise ParseError(f"RTCP packet too short ({len(data)} bytes)")
    while pos < len(data):
        if pos + 4 > len(data):
            raise ParseError("RTCP header truncated")
        b0, packet_type, words = struct.unpack_from("!BBH", data, pos)
        if b0 >> 6 != _VERSION:
            raise ParseError(f"RTCP version {b0 >> 6}")
        end = pos + 4 * (words + 1)
        if end > len(data):
            raise ParseError("RTCP length beyond the datagram")
        body_end = end
        if b0 & 0x20:  # padding: only legal in the last packet of a compound (A.2)
            pad = data[end - 1]
            if end != len(data) or pad == 0 or pad > words * 4:
                raise ParseError("bad RTCP padding")
            body_end -= pad
        packets.append(_parse_one(packet_type, b0 & 0x1F, bytes(data[pos + 4 : body_end])))
        pos = end
    return packets


def serialize_compound(packets: list[RtcpPacket] | tuple[RtcpPacket, ...]) -> bytes:
    """Concatenate packets into one compound RTCP packet (§6.1: SR/RR first, then SDES)."""
    return b"".join(bytes(p) for p in packets)
