"""RTP packet codec (RFC 3550 §5.1) and wrap-around arithmetic."""

from __future__ import annotations

import pytest

from alexphone.core.errors import LocalProtocolError, ParseError
from alexphone.rtp.packet import RtpPacket, SequenceUnwrapper, seq_delta, seq_newer, ts_delta

# V=2, PT=0, seq=1, ts=160, ssrc=0x12345678, 4 payload octets
SIMPLE = bytes.fromhex("80000001000000a012345678") + b"\xff\xfe\xfd\xfc"

# V=2 X=1 CC=1, M=1 PT=96, seq=0xffff, ts=0xffffffff, ssrc=0xdeadbeef, csrc=0x01020304,
# extension profile 0xbede with one word, payload "hi"
FULL = bytes.fromhex("91e0ffffffffffffdeadbeef01020304bede000110aa0000") + b"hi"


def test_parse_simple_golden() -> None:
    packet = RtpPacket.parse(SIMPLE)
    assert packet == RtpPacket(0, 1, 160, 0x12345678, b"\xff\xfe\xfd\xfc")
    assert bytes(packet) == SIMPLE


def test_parse_full_golden_round_trips() -> None:
    packet = RtpPacket.parse(FULL)
    assert packet.marker
    assert packet.payload_type == 96
    assert packet.sequence == 0xFFFF
    assert packet.timestamp == 0xFFFFFFFF
    assert packet.ssrc == 0xDEADBEEF
    assert packet.csrc == (0x01020304,)
    assert packet.extension == (0xBEDE, bytes.fromhex("10aa0000"))
    assert packet.payload == b"hi"
    assert bytes(packet) == FULL


def test_padding_is_removed() -> None:
    padded = bytes([FULL[0] | 0x20]) + FULL[1:] + b"\x00\x00\x03"
    packet = RtpPacket.parse(padded)
    assert packet.payload == b"hi"
    assert bytes(packet) == FULL  # never written back


@pytest.mark.parametrize(
    "data",
    [
        b"",
        SIMPLE[:11],
        b"\x40" + SIMPLE[1:],  # version 1
        bytes([0x8F]) + SIMPLE[1:],  # 15 CSRCs announced, none present
        bytes([0x90]) + SIMPLE[1:12] + b"\xbe\xde\x00\x05",  # extension longer than the packet
        bytes([0xA0]) + SIMPLE[1:] + b"\x00",  # padding count 0
        bytes([0xA0]) + SIMPLE[1:12] + b"\x20",  # padding longer than the packet
    ],
)
def test_garbage_raises_parse_error(data: bytes) -> None:
    with pytest.raises(ParseError):
        RtpPacket.parse(data)


def test_invalid_fields_refused_on_construction() -> None:
    with pytest.raises(LocalProtocolError):
        RtpPacket(128, 0, 0, 0, b"")
    with pytest.raises(LocalProtocolError):
        RtpPacket(0, 65536, 0, 0, b"")
    with pytest.raises(LocalProtocolError):
        RtpPacket(0, 0, 0, 0, b"", extension=(1, b"abc"))


def test_seq_delta_wraps() -> None:
    assert seq_delta(1, 65535) == 2
    assert seq_delta(65535, 1) == -2
    assert seq_delta(100, 100) == 0
    assert seq_delta(32767, 0) == 32767
    assert seq_delta(32768, 0) == -32768
    assert seq_newer(0, 65535)
    assert not seq_newer(65535, 0)


def test_ts_delta_wraps() -> None:
    assert ts_delta(80, 0xFFFFFFFF - 79) == 160
    assert ts_delta(0xFFFFFFFF - 79, 80) == -160
    assert ts_delta(2**31 - 1, 0) == 2**31 - 1


def test_unwrapper_extends_across_wrap_and_handles_reorder() -> None:
    unwrap = SequenceUnwrapper()
    seen = [unwrap.unwrap(s) for s in (65534, 65535, 1, 0, 2)]
    assert seen == [65534, 65535, 65537, 65536, 65538]
