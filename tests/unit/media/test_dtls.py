"""The DTLS-SRTP handshake core: two endpoints joined in memory, time moved by hand."""

from __future__ import annotations

import pytest

from alexphone.media.dtls import (
    HANDSHAKE_TIMEOUT,
    RECORD_HEADER,
    DtlsEndpoint,
    DtlsState,
    HandshakeCompleted,
    HandshakeFailed,
    split_records,
)
from alexphone.media.dtls_certificate import DtlsCertificate
from alexphone.media.srtp import SrtpProtection
from alexphone.sdp.dtls import DtlsParams, DtlsRole, Fingerprint

CLIENT_CERT = DtlsCertificate.generate()
SERVER_CERT = DtlsCertificate.generate()
RTP = bytes([0x80, 0x00, 0x00, 0x01, 0, 0, 0, 160, 1, 2, 3, 4]) + b"\xff" * 160
MAX_ROUNDS = 10  # a DTLS 1.2 handshake takes 2 round trips


def pair(
    client_sees: Fingerprint = SERVER_CERT.fingerprint,
    server_sees: Fingerprint = CLIENT_CERT.fingerprint,
) -> tuple[DtlsEndpoint, DtlsEndpoint]:
    client = DtlsEndpoint(CLIENT_CERT, DtlsParams(DtlsRole.CLIENT, (client_sees,)))
    server = DtlsEndpoint(SERVER_CERT, DtlsParams(DtlsRole.SERVER, (server_sees,)))
    server.start(0.0)
    client.start(0.0)
    return client, server


def exchange(client: DtlsEndpoint, server: DtlsEndpoint, now: float = 0.0) -> int:
    """Carry datagrams both ways until neither side has any; return how many went."""
    carried = 0
    for _ in range(MAX_ROUNDS):
        to_server, to_client = client.datagrams_to_send(), server.datagrams_to_send()
        if not to_server and not to_client:
            break
        for datagram in to_server:
            server.receive_datagram(datagram, now)
        for datagram in to_client:
            client.receive_datagram(datagram, now)
        carried += len(to_server) + len(to_client)
    return carried


def test_the_handshake_gives_both_sides_mirrored_srtp_keys() -> None:
    client, server = pair()
    assert exchange(client, server) >= 4
    done_c, done_s = client.next_event(), server.next_event()
    assert isinstance(done_c, HandshakeCompleted) and isinstance(done_s, HandshakeCompleted)
    assert client.state is server.state is DtlsState.CONNECTED
    assert done_c.keys.local == done_s.keys.remote and done_c.keys.remote == done_s.keys.local
    assert done_c.keys.local != done_c.keys.remote
    assert client.get_timer() is None and server.get_timer() is None
    sender, receiver = SrtpProtection(done_c.keys), SrtpProtection(done_s.keys)
    protected = sender.protect_rtp(RTP)
    assert protected is not None and b"\xff" * 32 not in protected
    assert receiver.unprotect_rtp(protected) == RTP


def test_every_datagram_fits_the_mtu_and_holds_whole_records() -> None:
    client, server = pair()
    for datagram in client.datagrams_to_send():
        assert len(datagram) <= 1200 and datagram[0] == 22  # a handshake record first
        server.receive_datagram(datagram, 0.0)
    for datagram in server.datagrams_to_send():
        assert len(datagram) <= 1200 and 20 <= datagram[0] <= 63  # RFC 7983: DTLS


def test_split_records_packs_records_without_cutting_them() -> None:
    record = bytes([23, 0xFE, 0xFD]) + bytes(8) + (500).to_bytes(2, "big") + bytes(500)
    assert len(record) == RECORD_HEADER + 500
    assert split_records(record * 3, mtu=1200) == [record * 2, record]
    assert split_records(record, mtu=100) == [record]
    assert split_records(b"") == [] and split_records(b"\x16\xfe") == []


def test_a_wrong_fingerprint_fails_the_handshake_on_both_sides_without_keys() -> None:
    wrong = Fingerprint("sha-256", bytes(32))
    client, server = pair(client_sees=wrong)
    exchange(client, server)
    failed = client.next_event()
    assert isinstance(failed, HandshakeFailed) and "a=fingerprint" in failed.reason
    assert client.state is DtlsState.FAILED and client.get_timer() is None
    assert not isinstance(server.next_event(), HandshakeFailed) or server.state is DtlsState.FAILED


def test_a_peer_certificate_named_by_another_hash_is_checked_by_that_hash() -> None:
    from alexphone.media.dtls_certificate import certificate_fingerprint

    sha1 = certificate_fingerprint(SERVER_CERT.certificate, "sha-1")
    assert sha1 is not None and certificate_fingerprint(SERVER_CERT.certificate, "md2") is None
    client, server = pair(client_sees=sha1)
    exchange(client, server)
    assert isinstance(client.next_event(), HandshakeCompleted)


@pytest.mark.parametrize("flip", [0, 13, 25, -1])
def test_a_tampered_handshake_record_fails_cleanly(flip: int) -> None:
    client, server = pair()
    hello = bytearray(b"".join(client.datagrams_to_send()))
    hello[flip] ^= 0x5A
    server.receive_datagram(bytes(hello), 0.0)
    for datagram in server.datagrams_to_send():
        client.receive_datagram(datagram, 0.0)
    # OpenSSL drops the record (the flight is sent again later), or it fails the handshake
    # and its alert fails the client's: never an exception, never keys
    for side in (server, client):
        event = side.next_event()
        assert event is None or isinstance(event, HandshakeFailed)
        assert side.state in (DtlsState.HANDSHAKING, DtlsState.FAILED)


def test_garbage_after_the_handshake_is_dropped_and_keys_stay() -> None:
    client, server = pair()
    exchange(client, server)
    assert isinstance(server.next_event(), HandshakeCompleted)
    record = bytes([23, 0xFE, 0xFD, 0, 1]) + bytes(6) + (40).to_bytes(2, "big") + bytes(40)
    server.receive_datagram(record, 1.0)
    server.receive_datagram(b"\x17garbage", 1.0)
    server.receive_datagram(b"", 1.0)  # OpenSSL's memory BIO raises on an empty write
    assert server.state is DtlsState.CONNECTED and server.next_event() is None


def test_no_answer_fails_at_the_deadline_on_the_injected_clock() -> None:
    client = DtlsEndpoint(CLIENT_CERT, DtlsParams(DtlsRole.CLIENT, (SERVER_CERT.fingerprint,)))
    client.start(100.0)
    assert client.datagrams_to_send()  # the ClientHello, into the void
    timer = client.get_timer()
    assert timer is not None and 100.0 < timer <= 100.0 + HANDSHAKE_TIMEOUT
    client.handle_timer(100.0 + HANDSHAKE_TIMEOUT - 0.001)
    assert client.next_event() is None
    client.handle_timer(100.0 + HANDSHAKE_TIMEOUT)
    failed = client.next_event()
    assert isinstance(failed, HandshakeFailed) and "within 10 s" in failed.reason
    assert client.get_timer() is None and client.state is DtlsState.FAILED


def test_a_server_waits_and_close_sends_close_notify_when_connected() -> None:
    client, server = pair()
    assert server.datagrams_to_send() == []  # the server never speaks first
    exchange(client, server)
    client.next_event()
    server.next_event()
    client.close()
    alert = client.datagrams_to_send()
    assert alert and alert[0][0] == 21  # an alert record (close_notify)
    server.receive_datagram(alert[0], 2.0)
    assert client.state is server.state is DtlsState.CLOSED
    client.receive_datagram(RTP, 3.0)  # ignored once closed
    assert client.next_event() is None


def test_the_certificate_never_shows_its_key() -> None:
    assert "PRIVATE" not in repr(CLIENT_CERT) and "sha-256" in repr(CLIENT_CERT)
