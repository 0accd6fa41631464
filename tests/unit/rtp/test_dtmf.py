"""RFC 4733 telephone-event payload, sender and receiver."""

from __future__ import annotations

import pytest

from alexphone.core.errors import LocalProtocolError, ParseError
from alexphone.rtp.dtmf import (
    DetectedDigit,
    DtmfEvent,
    DtmfReceiver,
    DtmfSender,
    digit_to_event,
    event_to_digit,
)
from alexphone.rtp.packet import RtpPacket


def test_payload_layout_matches_rfc4733_figure_1() -> None:
    # event=5 | E=1 R=0 volume=10 | duration=800  (RFC 4733 §2.3)
    event = DtmfEvent(event=5, end=True, volume=10, duration=800)
    assert bytes(event) == bytes([0x05, 0b1000_1010, 0x03, 0x20])
    assert DtmfEvent.parse(bytes(event)) == event
    assert bytes(DtmfEvent(11, False, 63, 0xFFFF)) == bytes.fromhex("0b3fffff")


def test_reserved_bit_is_ignored_and_truncation_refused() -> None:
    assert DtmfEvent.parse(bytes([1, 0b1100_0001, 0, 160])) == DtmfEvent(1, True, 1, 160)
    with pytest.raises(ParseError):
        DtmfEvent.parse(b"\x01\x80\x00")
    with pytest.raises(LocalProtocolError):
        DtmfEvent(1, False, 64, 0)


def test_digit_codes_rfc4733_table_3() -> None:
    assert [digit_to_event(d) for d in "0159*#ABCD"] == [0, 1, 5, 9, 10, 11, 12, 13, 14, 15]
    assert digit_to_event("a") == 12
    assert event_to_digit(11) == "#"
    assert event_to_digit(16) is None  # flash
    with pytest.raises(ValueError, match="DTMF"):
        digit_to_event("x")


def test_sender_packet_sequence() -> None:
    sender = DtmfSender(101, 0xABCD, clock_rate=8000, duration=0.1)
    packets = sender.packets("7", sequence=65534, timestamp=12345)
    assert [p.sequence for p in packets] == [65534, 65535, 0, 1, 2, 3, 4]
    assert {p.timestamp for p in packets} == {12345}
    assert [p.marker for p in packets] == [True] + [False] * 6
    events = [DtmfEvent.parse(p.payload) for p in packets]
    assert [e.duration for e in events] == [160, 320, 480, 640, 800, 800, 800]
    assert [e.end for e in events] == [False] * 4 + [True] * 3
    assert {e.event for e in events} == {7}
    assert all(p.payload_type == 101 and p.ssrc == 0xABCD for p in packets)


def test_sender_at_48_khz() -> None:
    events = DtmfSender(101, 1, clock_rate=48000, duration=0.06).events("#")
    assert [e.duration for e in events] == [960, 1920, 2880, 2880, 2880]


def test_receiver_reports_each_event_once() -> None:
    sender = DtmfSender(101, 1)
    receiver = DtmfReceiver(101)
    got = [
        receiver.receive(p)
        for digit, ts in (("1", 1000), ("2", 3000))
        for p in sender.packets(digit, sequence=0, timestamp=ts)
    ]
    assert [g for g in got if g is not None] == [DetectedDigit("1", 1000), DetectedDigit("2", 3000)]


def test_receiver_reports_an_event_whose_first_packets_were_lost() -> None:
    packets = DtmfSender(101, 1).packets("9", sequence=0, timestamp=500)
    receiver = DtmfReceiver(101)
    assert receiver.receive(packets[-1]) == DetectedDigit("9", 500)
    assert receiver.receive(packets[-2]) is None


def test_receiver_ignores_other_payload_types_and_garbage() -> None:
    receiver = DtmfReceiver(101)
    assert receiver.receive(RtpPacket(0, 1, 0, 1, bytes(DtmfEvent(1, True, 0, 8)))) is None
    assert receiver.receive(RtpPacket(101, 1, 0, 1, b"\x01")) is None
    assert receiver.receive(RtpPacket(101, 2, 0, 1, bytes(DtmfEvent(16, True, 0, 8)))) is None
