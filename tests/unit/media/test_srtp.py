"""SRTP/SRTCP through libsrtp: two ends with mirrored SDES keys, tampering, replays, wrong keys."""

from __future__ import annotations

import pytest

from alexphone.media.srtp import SrtpProtection
from alexphone.net.rtp_socket import RtpSocket
from alexphone.rtp.packet import RtpPacket
from alexphone.sdp.crypto import CryptoSuite, SrtpKeys

KEY_A, KEY_B = bytes(range(30)), bytes(range(100, 130))
# RTCP receiver report with no blocks (RFC 3550 §6.4.2): V=2, RC=0, PT=201, length 1, SSRC
RTCP_RR = bytes([0x80, 201, 0, 1, 0, 0, 0, 7])


def pair(suite: CryptoSuite) -> tuple[SrtpProtection, SrtpProtection]:
    """Two ends that agreed ``suite``: each sends with its own key and receives with the other."""
    size = suite.master_length
    a, b = KEY_A[:size], KEY_B[:size]
    return SrtpProtection(SrtpKeys(suite, a, b)), SrtpProtection(SrtpKeys(suite, b, a))


def rtp(sequence: int, payload: bytes = b"\xd5" * 160) -> bytes:
    return bytes(RtpPacket(0, sequence, 160 * sequence, 0x1234ABCD, payload))


@pytest.mark.parametrize("suite", list(CryptoSuite))
def test_packets_cross_encrypted_and_come_out_whole(suite: CryptoSuite) -> None:
    a, b = pair(suite)
    for sequence in range(1, 51):
        packet = rtp(sequence)
        wire = a.protect_rtp(packet)
        assert wire is not None and wire != packet
        assert packet[12:] not in wire  # the payload is not on the wire in clear
        assert wire[:12] == packet[:12]  # the header is (RFC 3711 §3.1)
        assert b.unprotect_rtp(wire) == packet
    rtcp = b.protect_rtcp(RTCP_RR)
    assert rtcp is not None and a.unprotect_rtcp(rtcp) == RTCP_RR
    assert (a.counters.protected, b.counters.unprotected, a.counters.unprotected) == (50, 50, 1)
    assert b.counters.auth_failed == 0


def test_the_32_bit_tag_is_shorter_than_the_80_bit_one() -> None:
    long_tag, _ = pair(CryptoSuite.AES_CM_128_HMAC_SHA1_80)
    short_tag, _ = pair(CryptoSuite.AES_CM_128_HMAC_SHA1_32)
    packet = rtp(1)
    assert len(long_tag.protect_rtp(packet) or b"") - len(packet) == 10
    assert len(short_tag.protect_rtp(packet) or b"") - len(packet) == 4


def test_a_tampered_packet_is_dropped_and_counted() -> None:
    a, b = pair(CryptoSuite.AES_CM_128_HMAC_SHA1_80)
    wire = bytearray(a.protect_rtp(rtp(1)) or b"")
    wire[20] ^= 1
    assert b.unprotect_rtp(bytes(wire)) is None
    assert b.counters.auth_failed == 1 and b.counters.unprotected == 0


def test_a_replayed_packet_is_dropped_and_counted() -> None:
    a, b = pair(CryptoSuite.AEAD_AES_128_GCM)
    wire = a.protect_rtp(rtp(7))
    assert wire is not None and b.unprotect_rtp(wire) is not None
    assert b.unprotect_rtp(wire) is None  # RFC 3711 §3.3.2
    assert b.counters.auth_failed == 1


def test_a_wrong_key_or_garbage_never_raises() -> None:
    a, _ = pair(CryptoSuite.AES_CM_128_HMAC_SHA1_80)
    stranger = SrtpProtection(SrtpKeys(CryptoSuite.AES_CM_128_HMAC_SHA1_80, KEY_B, KEY_B))
    assert stranger.unprotect_rtp(a.protect_rtp(rtp(1)) or b"") is None
    for junk in (b"", b"\x80", b"\x80\xc9", rtp(2)[:11], b"\x80" * 2000):
        assert stranger.unprotect_rtp(junk) is None
        assert stranger.unprotect_rtcp(junk) is None
    assert stranger.counters.auth_failed == 11
    assert a.protect_rtp(b"\x80" * 2000) is None  # too long for libsrtp's buffer: not sent
    assert a.counters.protect_failed == 1


def test_the_media_socket_unprotects_before_the_stream_sees_anything() -> None:
    a, b = pair(CryptoSuite.AES_CM_128_HMAC_SHA1_80)
    got: list[bytes] = []
    socket = RtpSocket(lambda d, _: got.append(d), lambda d, _: got.append(d))
    socket.protection = b
    packet = rtp(1)
    wire = a.protect_rtp(packet)
    rtcp = a.protect_rtcp(RTCP_RR)
    assert wire is not None and rtcp is not None
    socket.dispatch(wire, ("10.0.0.1", 4000))
    socket.dispatch(wire, ("10.0.0.1", 4000))  # replay: dropped
    socket.dispatch(packet, ("10.0.0.1", 4000))  # cleartext from anyone: dropped
    socket.dispatch(rtcp, ("10.0.0.1", 4001))
    assert got == [packet, RTCP_RR]
    assert b.counters.auth_failed == 2


def test_new_keys_from_a_re_invite_replace_only_the_direction_that_changed() -> None:
    a, b = pair(CryptoSuite.AES_CM_128_HMAC_SHA1_80)
    first = a.protect_rtp(rtp(1))
    assert first is not None and b.unprotect_rtp(first) is not None
    new_a = bytes(range(200, 230))  # A's answer to a re-offer brings a new key of A's
    a.rekey(SrtpKeys(CryptoSuite.AES_CM_128_HMAC_SHA1_32, new_a, KEY_B))
    b.rekey(SrtpKeys(CryptoSuite.AES_CM_128_HMAC_SHA1_32, KEY_B, new_a))
    wire = a.protect_rtp(rtp(2))
    assert wire is not None and len(wire) == len(rtp(2)) + 4 and b.unprotect_rtp(wire) == rtp(2)
    back = b.protect_rtp(rtp(3))  # B's key is the same, but the suite changed
    assert back is not None and a.unprotect_rtp(back) == rtp(3)
    assert a.counters.auth_failed == b.counters.auth_failed == 0
    kept, _ = pair(CryptoSuite.AES_CM_128_HMAC_SHA1_80)
    _, peer = pair(CryptoSuite.AES_CM_128_HMAC_SHA1_80)
    replayed = kept.protect_rtp(rtp(9))
    assert replayed is not None and peer.unprotect_rtp(replayed) is not None
    peer.rekey(SrtpKeys(CryptoSuite.AES_CM_128_HMAC_SHA1_80, bytes(30), KEY_A))  # only ours
    assert peer.unprotect_rtp(replayed) is None  # the inbound replay list survived
