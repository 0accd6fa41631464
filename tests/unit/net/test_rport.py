"""received/rport stamping and response addressing (RFC 3261 §18.2, RFC 3581 §4)."""

from __future__ import annotations

import pytest

from alexphone.net.rport import reliable_destination, stamp_received, udp_destination
from alexphone.sip.headers import Via
from alexphone.sip.message import Request
from alexphone.sip.parser import parse


def request_with(*vias: str) -> Request:
    via_lines = "".join(f"Via: {v}\r\n" for v in vias)
    raw = (
        "OPTIONS sip:bob@127.0.0.1 SIP/2.0\r\n" + via_lines + "From: <sip:a@b>;tag=1\r\n"
        "To: <sip:bob@127.0.0.1>\r\nCall-ID: c1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
    )
    message = parse(raw.encode())
    assert isinstance(message, Request)
    return message


def test_received_added_when_host_differs() -> None:
    request = request_with("SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1")
    stamp_received(request, ("192.0.2.7", 5060))
    assert request.top_via.received == "192.0.2.7"
    assert not request.top_via.has_rport


def test_nothing_added_when_host_matches() -> None:
    request = request_with("SIP/2.0/UDP [0:0::1]:5060;branch=z9hG4bK1")
    stamp_received(request, ("::1", 5060))
    assert request.top_via.params == (("branch", "z9hG4bK1"),)


def test_hostname_always_gets_received() -> None:
    request = request_with("SIP/2.0/TCP pc.example.com;branch=z9hG4bK1")
    stamp_received(request, ("127.0.0.1", 40000))
    assert request.top_via.received == "127.0.0.1"


def test_bare_rport_is_filled_and_received_added_even_if_equal() -> None:
    request = request_with(
        "SIP/2.0/UDP 127.0.0.1:5070;rport;branch=z9hG4bK1, SIP/2.0/UDP proxy;branch=z9hG4bKp",
        "SIP/2.0/UDP third;branch=z9hG4bK3",
    )
    stamp_received(request, ("127.0.0.1", 40001))
    top = request.top_via
    assert (top.rport, top.received) == (40001, "127.0.0.1")
    assert str(top) == "SIP/2.0/UDP 127.0.0.1:5070;rport=40001;branch=z9hG4bK1;received=127.0.0.1"
    assert [v.host for v in request.vias] == ["127.0.0.1", "proxy", "third"]


def test_scope_id_is_not_stamped() -> None:
    request = request_with("SIP/2.0/UDP [fe80::2]:5060;branch=z9hG4bK1")
    stamp_received(request, ("fe80::1%eth0", 5060))
    assert request.top_via.received == "fe80::1"


@pytest.mark.parametrize(
    ("via", "expected"),
    [
        ("SIP/2.0/UDP 10.0.0.1:5070;branch=z9hG4bK1", ("10.0.0.1", 5070)),
        ("SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1", ("10.0.0.1", 5060)),
        ("SIP/2.0/UDP h;received=192.0.2.1;branch=z9hG4bK1", ("192.0.2.1", 5060)),
        ("SIP/2.0/UDP h:5070;received=192.0.2.1;rport=4000", ("192.0.2.1", 4000)),
        ("SIP/2.0/UDP h:5070;received=192.0.2.1;rport", ("192.0.2.1", 5070)),
        ("SIP/2.0/UDP h:5070;maddr=239.1.1.1;received=192.0.2.1", ("239.1.1.1", 5070)),
        ("SIP/2.0/TLS h;received=192.0.2.1", ("192.0.2.1", 5061)),
    ],
)
def test_udp_destination(via: str, expected: tuple[str, int]) -> None:
    assert udp_destination(Via.parse(via)) == expected


def test_reliable_destination_uses_sent_by_port_not_rport() -> None:
    via = Via.parse("SIP/2.0/TCP h:5080;received=192.0.2.1;rport=40000")
    assert reliable_destination(via) == ("192.0.2.1", 5080)
    assert reliable_destination(Via.parse("SIP/2.0/TCP 10.1.1.1")) == ("10.1.1.1", 5060)
