"""RTP data packets (RFC 3550 §5.1) and wrap-around sequence/timestamp arithmetic.

``RtpPacket.parse(data)`` and ``bytes(packet)`` round-trip; padding is removed on
parse and never written. Sequence numbers wrap at 2**16 and timestamps at 2**32,
so every comparison goes through ``seq_delta`` / ``ts_delta`` (RFC 3550 §A.1).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from alexphone.core.errors import LocalProtocolError, ParseError

__all__ = [
    "RTP_HEADER_SIZE",
    "RTP_VERSION",
    "RtpPacket",
    "SequenceUnwrapper",
    "seq_delta",
    "seq_newer",
    "ts_delta",
]

RTP_VERSION = 2
RTP_HEADER_SIZE = 12
_SEQ_MOD = 1 << 16
_TS_MOD = 1 << 32
_HEADER = struct.Struct("!BBHII")


def seq_delta(a: int, b: int) -> int:
    """Return ``a - b`` for 16-bit sequence numbers, in [-32768, 32767] (wrap-aware)."""
    d = (a - b) % _SEQ_MOD
    return d - _SEQ_MOD if d >= _SEQ_MOD // 2 else d


def seq_newer(a: int, b: int) -> bool:
    """Tell whether sequence number ``a`` comes after ``b`` (wrap-aware)."""
    return seq_delta(a, b) > 0


def ts_delta(a: int, b: int) -> int:
    """Return ``a - b`` for 32-bit RTP timestamps, in [-2**31, 2**31 - 1] (wrap-aware)."""
    d = (a - b) % _TS_MOD
    return d - _TS_MOD if d >= _TS_MOD // 2 else d


class SequenceUnwrapper:
    """Extend 16-bit sequence numbers to a monotonic integer space (RFC 3550 §A.1 cycles)."""

    __slots__ = ("_last",)

    def __init__(self) -> None:
        self._last: int | None = None

    def unwrap(self, sequence: int) -> int:
        """Return the extended sequence number closest to the last one seen."""
        if self._last is None:
            self._last = sequence
            return sequence
        extended = self._last + seq_delta(sequence, self._last % _SEQ_MOD)
        self._last = max(self._last, extended)
        return extended


@dataclass(frozen=True, slots=True)
class RtpPacket:
    """One RTP data packet; ``extension`` is (profile id, data) of a §5.3.1 header extension."""

    payload_type: int
    sequence: int
    timestamp: int
    ssrc: int
    payload: bytes
    marker: bool = False
    csrc: tuple[int, ...] = ()
    extension: tuple[int, bytes] | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.payload_type < 128:
            raise LocalProtocolError(f"payload type {self.payload_type} out of range")
        if not 0 <= self.sequence < _SEQ_MOD:
            raise LocalProtocolError(f"sequence {self.sequence} out of range")
        if not 0 <= self.timestamp < _TS_MOD or not 0 <= self.ssrc < _TS_MOD:
            raise LocalProtocolError("timestamp or ssrc out of 32-bit range")
        if len(self.csrc) > 15:
            raise LocalProtocolError("more than 15 CSRCs")  # RFC 3550 §5.1 CC is 4 bits
        if self.extension is not None and len(self.extension[1]) % 4:
            raise LocalProtocolError("header extension length not a multiple of 4")

    @classmethod
    def parse(cls, data: bytes) -> RtpPacket:
        """Parse one RTP packet; ParseError on garbage or truncation."""
        if len(data) < RTP_HEADER_SIZE:
            raise ParseError(f"RTP packet too short ({len(data)} bytes)")
        b0, b1, sequence, timestamp, ssrc = _HEADER.unpack_from(data)
        if b0 >> 6 != RTP_VERSION:
            raise ParseError(f"RTP version {b0 >> 6}")
        end = len(data)
        if b0 & 0x20:  # RFC 3550 §5.1 P: the last octet counts the padding, itself included
            pad = data[-1]
            if pad == 0:
                raise ParseError("RTP padding count is zero")
            end -= pad
        offset = RTP_HEADER_SIZE + 4 * (b0 & 0x0F)
        if offset > end:
            raise ParseError("RTP CSRC list truncated")
        csrc = struct.unpack_from(f"!{b0 & 0x0F}I", data, RTP_HEADER_SIZE)
        extension = None
        if b0 & 0x10:  # RFC 3550 §5.3.1
            if offset + 4 > end:
                raise ParseError("RTP header extension truncated")
            profile, words = struct.unpack_from("!HH", data, offset)
            start = offset + 4
            offset = start + 4 * words
            if offset > end:
                raise ParseError("RTP header extension truncated")
            extension = (profile, bytes(data[start:offset]))
        return cls(
            payload_type=b1 & 0x7F,
            sequence=sequence,
            timestamp=timestamp,
            ssrc=ssrc,
            payload=bytes(data[offset:end]),
            marker=bool(b1 & 0x80),
            csrc=tuple(csrc),
            extension=extension,
        )

    def __bytes__(self) -> bytes:
        b0 = RTP_VERSION << 6 | len(self.csrc) | (0x10 if self.extension is not None else 0)
        b1 = self.payload_type | (0x80 if self.marker else 0)
        parts = [_HEADER.pack(b0, b1, self.sequence, self.timestamp, self.ssrc)]
        parts.extend(struct.pack("!I", c) for c in self.csrc)
        if self.extension is not None:
            profile, data = self.extension
            parts.append(struct.pack("!HH", profile, len(data) // 4))
            parts.append(data)
        parts.append(self.payload)
        return b"".join(parts)
