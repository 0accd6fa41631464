"""A call's DTLS link: two links joined in memory on a fake loop, the SRTP stage it installs."""

from __future__ import annotations

from alexphone.engine.call_dtls import DtlsLink, PendingSrtp
from alexphone.media.dtls import HANDSHAKE_TIMEOUT, DtlsEndpoint
from alexphone.media.dtls_certificate import DtlsCertificate
from alexphone.media.srtp import SrtpProtection
from alexphone.net.rtp_socket import EARLY_DTLS, RtpSocket
from alexphone.sdp.dtls import DtlsParams, DtlsRole, Fingerprint
from fake_loop import FakeLoop

A_CERT, B_CERT = DtlsCertificate.generate(), DtlsCertificate.generate()
A, B = ("192.0.2.1", 4000), ("192.0.2.2", 5000)
B_RTCP = ("192.0.2.2", 5001)
RTP = bytes([0x80, 0x00, 0x00, 0x01, 0, 0, 0, 160, 1, 2, 3, 4]) + b"\xff" * 160
MAX_DATAGRAMS = 40


class Side:
    def __init__(self, cert: DtlsCertificate, role: DtlsRole, peer: Fingerprint, loop: FakeLoop,
                 remote: tuple[str, int], rtcp: tuple[str, int] | None = None) -> None:  # fmt: skip
        self.sent: list[tuple[bytes, tuple[str, int]]] = []
        self.keys: list[SrtpProtection] = []
        self.failures: list[str] = []
        endpoint = DtlsEndpoint(cert, DtlsParams(role, (peer,)))
        self.link = DtlsLink(
            endpoint, lambda d, a: self.sent.append((d, a)), remote=remote, peer_rtcp=rtcp,
            on_keys=self.keys.append, on_failed=self.failures.append, loop=loop,
        )  # fmt: skip


def carry(a: Side, b: Side) -> int:
    """Deliver what each side sent to the other (a at A, b at B), until quiet."""
    carried = 0
    while (a.sent or b.sent) and carried < MAX_DATAGRAMS:
        for data, _ in a.sent[:]:
            a.sent.remove((data, _))
            b.link.receive(data, A)
            carried += 1
        for data, _ in b.sent[:]:
            b.sent.remove((data, _))
            a.link.receive(data, B)
            carried += 1
    return carried


def test_two_links_agree_keys_and_their_protection_turns_from_drop_to_srtp() -> None:
    loop = FakeLoop()
    a = Side(A_CERT, DtlsRole.CLIENT, B_CERT.fingerprint, loop, B)
    b = Side(B_CERT, DtlsRole.SERVER, A_CERT.fingerprint, loop, A)
    assert a.link.protection.protect_rtp(RTP) is None  # nothing in clear before the keys
    assert b.link.protection.unprotect_rtp(RTP) is None and b.link.protection.early == 1
    b.link.start()
    a.link.start()
    assert [addr for _, addr in a.sent] == [B]  # the client speaks first, to the SDP address
    assert carry(a, b) >= 4
    assert len(a.keys) == len(b.keys) == 1 and not a.failures and not b.failures
    assert a.link.suite == b.link.suite == "AES_CM_128_HMAC_SHA1_80"
    protected = a.link.protection.protect_rtp(RTP)
    assert protected is not None and b.link.protection.unprotect_rtp(protected) == RTP
    assert loop.pending() == []  # no timer once connected


def test_dtls_from_the_peers_rtcp_port_or_a_stranger_is_ignored() -> None:
    loop = FakeLoop()
    a = Side(A_CERT, DtlsRole.CLIENT, B_CERT.fingerprint, loop, B)
    b = Side(B_CERT, DtlsRole.SERVER, A_CERT.fingerprint, loop, A, rtcp=("192.0.2.1", 4001))
    b.link.start()
    a.link.start()
    hello = a.sent[0][0]
    b.link.receive(hello, ("192.0.2.1", 4001))  # a second handshake on the RTCP component
    assert b.sent == [] and b.link.ignored == 1 and b.link.peer is None
    b.link.receive(hello, A)
    assert b.sent and b.link.peer == A
    b.link.receive(hello, ("198.51.100.9", 9))
    assert b.link.ignored == 2


def test_a_move_during_the_handshake_sends_the_last_flight_again_at_once() -> None:
    loop = FakeLoop()
    a = Side(A_CERT, DtlsRole.CLIENT, B_CERT.fingerprint, loop, B)
    a.link.start()
    hello = [d for d, _ in a.sent]
    a.sent.clear()
    a.link.move_to(B)  # the same address, now proven: the gate may have dropped the first
    assert a.sent == [(d, B) for d in hello]
    a.sent.clear()
    moved = ("198.51.100.2", 6000)  # the ALEX-proven address of the peer
    a.link.move_to(moved)
    assert a.sent == [(d, moved) for d in hello]


def test_a_silent_peer_fails_the_link_at_the_deadline() -> None:
    loop = FakeLoop()
    a = Side(A_CERT, DtlsRole.CLIENT, B_CERT.fingerprint, loop, B)
    a.link.start()
    loop.advance(HANDSHAKE_TIMEOUT + 0.5)
    assert len(a.failures) == 1 and "within" in a.failures[0] and not a.keys
    assert loop.pending() == []


def test_the_media_socket_holds_early_dtls_for_its_handler_and_drops_the_rest() -> None:
    got: list[bytes] = []
    socket = RtpSocket(lambda d, a: None, lambda d, a: None)
    early = [bytes([22, 0xFE, 0xFD, n]) + bytes(20) for n in range(EARLY_DTLS + 2)]
    for datagram in early:
        socket.dispatch(datagram, B)  # before the call has set its handler
    assert socket.dropped == 2
    socket.set_dtls_handler(lambda d, a: got.append(d))
    assert got == early[:EARLY_DTLS]
    socket.dispatch(b"\x17\xfe\xfd" + bytes(20), B)
    socket.dispatch(b"\x40garbage", B)  # 64: no kind of RFC 7983
    assert got[-1] == b"\x17\xfe\xfd" + bytes(20) and socket.dropped == 3


def test_pending_srtp_is_srtp_once_keys_are_set() -> None:
    pending = PendingSrtp()
    assert pending.protect_rtcp(RTP) is None and pending.unprotect_rtcp(RTP) is None
    assert pending.early == 1
