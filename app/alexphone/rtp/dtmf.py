"""DTMF as RTP events (RFC 4733): the event payload, a sender and a receiver.

A digit is sent as a run of packets sharing one RTP timestamp (the event start):
the first has the marker bit, each one repeats the growing duration, and the
final one (E bit set) is sent three times (RFC 4733 §2.5.1.4). The receiver
reports each event once, keyed by its timestamp, however many copies arrive.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from alexphone.core.errors import LocalProtocolError, ParseError
from alexphone.rtp.packet import RtpPacket, ts_delta

__all__ = [
    "DTMF_DIGITS",
    "DetectedDigit",
    "DtmfEvent",
    "DtmfReceiver",
    "DtmfSender",
    "digit_to_event",
    "event_to_digit",
]

DTMF_DIGITS = "0123456789*#ABCD"  # RFC 4733 §3.2 table 3: events 0-15
FLASH_EVENT = 16
_PAYLOAD = struct.Struct("!BBH")


def digit_to_event(digit: str) -> int:
    """Return the RFC 4733 event code of a DTMF digit (0-9 * # A-D); ValueError otherwise."""
    index = DTMF_DIGITS.find(digit.upper()) if len(digit) == 1 else -1
    if index < 0:
        raise ValueError(f"not a DTMF digit: {digit!r}")
    return index


def event_to_digit(event: int) -> str | None:
    """Return the digit of a DTMF event code, or None for other events (flash, tones)."""
    return DTMF_DIGITS[event] if 0 <= event < len(DTMF_DIGITS) else None


@dataclass(frozen=True, slots=True)
class DtmfEvent:
    """The 4-octet telephone-event payload (RFC 4733 §2.3, figure 1)."""

    event: int
    end: bool
    volume: int  # power level, 0 to -63 dBm0 written as 0..63
    duration: int  # timestamp units since the event's timestamp

    def __post_init__(self) -> None:
        if not 0 <= self.event <= 255 or not 0 <= self.volume <= 63:
            raise LocalProtocolError("DTMF event or volume out of range")
        if not 0 <= self.duration <= 0xFFFF:
            raise LocalProtocolError("DTMF duration out of range")

    @classmethod
    def parse(cls, data: bytes) -> DtmfEvent:
        """Parse the first 4 octets of a telephone-event payload."""
        if len(data) < 4:
            raise ParseError(f"telephone-event payload too short ({len(data)} bytes)")
        event, flags, duration = _PAYLOAD.unpack_from(data)
        return cls(event, bool(flags & 0x80), flags & 0x3F, duration)  # R bit ignored

    def __bytes__(self) -> bytes:
        return _PAYLOAD.pack(self.event, (0x80 if self.end else 0) | self.volume, self.duration)


class DtmfSender:
    """Plan the packets of one digit; the caller stamps sequence numbers and paces them."""

    def __init__(
        self,
        payload_type: int,
        ssrc: int,
        *,
        clock_rate: int = 8000,
        packet_interval: float = 0.020,
        duration: float = 0.100,
        volume: int = 10,
    ) -> None:
        self.payload_type = payload_type
        self.ssrc = ssrc
        self.clock_rate = clock_rate
        self.step = round(packet_interval * clock_rate)
        self.total = round(duration * clock_rate)
        self.volume = volume

    def events(self, digit: str) -> list[DtmfEvent]:
        """Return the payloads for one digit: updates, then the end event three times."""
        code = digit_to_event(digit)
        updates = [
            DtmfEvent(code, False, self.volume, d) for d in range(self.step, self.total, self.step)
        ]
        final = DtmfEvent(code, True, self.volume, self.total)
        return [*updates, final, final, final]

    def packets(self, digit: str, *, sequence: int, timestamp: int) -> list[RtpPacket]:
        """Return the RTP packets for one digit, to send one per packet interval."""
        return [
            RtpPacket(
                payload_type=self.payload_type,
                sequence=(sequence + i) % 65536,
                timestamp=timestamp % (1 << 32),
                ssrc=self.ssrc,
                payload=bytes(event),
                marker=i == 0,  # RFC 4733 §2.5.1.3: marker on the first packet of an event
            )
            for i, event in enumerate(self.events(digit))
        ]


@dataclass(frozen=True, slots=True)
class DetectedDigit:
    """A DTMF digit detected in the received stream (reported once per event)."""

    digit: str
    timestamp: int


class DtmfReceiver:
    """Turn received telephone-event packets into one ``DetectedDigit`` per event."""

    def __init__(self, payload_type: int) -> None:
        self.payload_type = payload_type
        self._seen: list[int] = []  # timestamps of recent events

    def receive(self, packet: RtpPacket) -> DetectedDigit | None:
        """Return a new digit the first time any packet of its event arrives, else None."""
        if packet.payload_type != self.payload_type:
            return None
        try:
            event = DtmfEvent.parse(packet.payload)
        except ParseError:
            return None
        if any(ts_delta(packet.timestamp, seen) == 0 for seen in self._seen):
            return None
        self._seen = [*self._seen[-7:], packet.timestamp]
        digit = event_to_digit(event.event)
        return None if digit is None else DetectedDigit(digit, packet.timestamp)
