"""RFC 7983 first-byte demultiplexing."""

from __future__ import annotations

import pytest

from alexphone.rtp.demux import PacketKind, classify


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"", PacketKind.UNKNOWN),
        (b"\x00\x01\x00\x00", PacketKind.STUN),  # binding request
        (b"\x01\x01", PacketKind.STUN),
        (b"\x03", PacketKind.STUN),
        (b"\x04", PacketKind.UNKNOWN),
        (b"\x14\xfe\xfd", PacketKind.DTLS),  # change_cipher_spec, first DTLS value
        (b"\x16\xfe\xfd", PacketKind.DTLS),  # handshake
        (b"\x3f", PacketKind.DTLS),
        (b"\x40", PacketKind.UNKNOWN),  # 64-79 TURN channels: not on our socket
        (b"\x80\x00", PacketKind.RTP),
        (b"\x80\xe0", PacketKind.RTP),  # marker + PT 96
        (b"\x80\xc8", PacketKind.RTCP),  # SR
        (b"\x81\xc9", PacketKind.RTCP),  # RR
        (b"\x81\xcb", PacketKind.RTCP),  # BYE
        (b"\x80\xdf", PacketKind.RTCP),  # 223, last of the RFC 5761 range
        (b"\x80\xe0\x00", PacketKind.RTP),
        (b"\x80", PacketKind.UNKNOWN),  # truncated
        (b"\xbf\x00", PacketKind.RTP),
        (b"\xc0\x00", PacketKind.UNKNOWN),  # 192+: not RFC 7983
    ],
)
def test_classify(data: bytes, kind: PacketKind) -> None:
    assert classify(data) is kind
