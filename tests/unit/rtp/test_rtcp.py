"""RTCP packets, compound parsing and the report interval (RFC 3550 §6)."""

from __future__ import annotations

import random

import pytest

from alexphone.core.errors import ParseError
from alexphone.rtp.rtcp import (
    Bye,
    ReceiverReport,
    ReportBlock,
    SdesChunk,
    SenderReport,
    SourceDescription,
    UnknownRtcp,
    parse_compound,
    rtcp_bandwidth,
    rtcp_interval,
    serialize_compound,
)

BLOCK = ReportBlock(0x55667788, 0x10, 5, 0x00010064, 0x20, 0xAABBCCDD, 0x00010000)
BLOCK_HEX = "55667788100000050001006400000020aabbccdd00010000"
RR_HEX = "81c9000711223344" + BLOCK_HEX
SR_HEX = "81c8000c11223344e5a1b2c3800000000000a0000000003200001f40" + BLOCK_HEX
SDES_HEX = "81ca0006112233440111" + b"alice@example.org".hex() + "00"
BYE_HEX = "81cb00021122334403" + b"bye".hex()


def test_receiver_report_golden() -> None:
    rr = ReceiverReport(0x11223344, (BLOCK,))
    assert bytes(rr).hex() == RR_HEX
    assert parse_compound(bytes.fromhex(RR_HEX)) == [rr]


def test_sender_report_golden() -> None:
    sr = SenderReport(0x11223344, 0xE5A1B2C380000000, 0xA000, 50, 8000, (BLOCK,))
    assert bytes(sr).hex() == SR_HEX
    assert parse_compound(bytes.fromhex(SR_HEX)) == [sr]


def test_sdes_golden() -> None:
    sdes = SourceDescription((SdesChunk(0x11223344, ((1, b"alice@example.org"),)),))
    assert bytes(sdes).hex() == SDES_HEX
    (parsed,) = parse_compound(bytes.fromhex(SDES_HEX))
    assert parsed == sdes
    assert isinstance(parsed, SourceDescription)
    assert parsed.chunks[0].cname == "alice@example.org"


def test_sdes_item_at_word_boundary_gets_a_full_null_word() -> None:
    sdes = SourceDescription((SdesChunk(1, ((1, b"ab"),)), SdesChunk(2, ((1, b"abcdef"),))))
    data = bytes(sdes)
    assert len(data) % 4 == 0
    assert data[8:12] == b"\x01\x02ab"
    assert data[12:16] == b"\0\0\0\0"
    assert parse_compound(data) == [sdes]


def test_bye_golden() -> None:
    bye = Bye((0x11223344,), "bye")
    assert bytes(bye).hex() == BYE_HEX
    assert parse_compound(bytes.fromhex(BYE_HEX)) == [bye]
    assert parse_compound(bytes(Bye((1, 2)))) == [Bye((1, 2))]


def test_compound_round_trip_keeps_unknown_packets() -> None:
    app = UnknownRtcp(204, 1, b"\x00\x00\x00\x01name")
    packets = [
        SenderReport(7, 1 << 32, 160, 1, 160),
        SourceDescription((SdesChunk(7, ((1, b"x@y"),)),)),
        app,
        Bye((7,), "hangup"),
    ]
    data = serialize_compound(packets)
    assert parse_compound(data) == packets


def test_negative_cumulative_loss_round_trips() -> None:
    block = ReportBlock(1, 0, -3, 10, 0, 0, 0)
    assert ReportBlock.parse(bytes(block), 0).cumulative_lost == -3
    assert bytes(block)[4:8] == bytes.fromhex("00fffffd")


def test_padding_on_last_packet() -> None:
    rr = bytes.fromhex(RR_HEX)
    padded = bytes([rr[0] | 0x20, rr[1], 0, 8]) + rr[4:] + b"\0\0\0\x04"
    assert parse_compound(padded) == [ReceiverReport(0x11223344, (BLOCK,))]


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x81\xc9\x00",
        bytes.fromhex(RR_HEX)[:-4],  # length says more than is there
        bytes.fromhex("41c90001") + b"\0" * 4,  # version 1
        bytes.fromhex("81c90001") + b"\0" * 4,  # RC=1 but no block
        bytes.fromhex("81ca0001") + b"\0\0\0\1",  # SDES chunk without terminator
        bytes.fromhex("82cb0001") + b"\0\0\0\1",  # BYE SC=2 with one SSRC
    ],
)
def test_garbage_raises_parse_error(data: bytes) -> None:
    with pytest.raises(ParseError):
        parse_compound(data)


def test_bye_reason_longer_than_packet_is_refused() -> None:
    with pytest.raises(ParseError):
        parse_compound(bytes.fromhex("81cb00020000000109616263"))


class FixedRandom:
    """A RandomSource that always returns the same value."""

    def __init__(self, value: float) -> None:
        self.value = value

    def random(self) -> float:
        return self.value


COMPENSATION = 2.71828 - 1.5


def test_interval_two_party_call_is_the_minimum() -> None:
    bw = rtcp_bandwidth(64000)
    assert bw == pytest.approx(400)
    t = rtcp_interval(2, 2, bw, True, 100, False, FixedRandom(0.5))
    assert t == pytest.approx(5.0 / COMPENSATION)
    assert rtcp_interval(2, 2, bw, True, 100, True, FixedRandom(0.5)) == pytest.approx(
        2.5 / COMPENSATION
    )


def test_interval_randomization_bounds() -> None:
    low = rtcp_interval(2, 1, 400, False, 100, False, FixedRandom(0.0))
    high = rtcp_interval(2, 1, 400, False, 100, False, FixedRandom(0.999999))
    assert low == pytest.approx(2.5 / COMPENSATION)
    assert high == pytest.approx(7.5 / COMPENSATION, rel=1e-5)
    rng = random.Random(1)
    values = [rtcp_interval(2, 1, 400, False, 100, False, rng) for _ in range(200)]
    assert min(values) >= low
    assert max(values) <= high
    assert max(values) - min(values) > 2  # really randomized


def test_interval_large_session_splits_bandwidth_between_senders_and_receivers() -> None:
    receiver = rtcp_interval(1000, 1, 400, False, 100, False, FixedRandom(0.5))
    assert receiver == pytest.approx(100 * 999 / 300 / COMPENSATION)
    sender = rtcp_interval(1000, 1, 400, True, 100, False, FixedRandom(0.5))
    assert sender == pytest.approx(5.0 / COMPENSATION)  # 100 * 1 / 100 = 1 s < minimum
