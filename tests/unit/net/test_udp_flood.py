"""A UDP endpoint asks the flood limiter before parsing a request; responses always pass."""

from __future__ import annotations

import logging

from alexphone.net.rate_limit import RequestLimiter, RequestLimits
from alexphone.net.udp import UdpEndpoint
from alexphone.sip.message import Message

REQUEST = (
    b"OPTIONS sip:bob@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.9;branch=z9hG4bK1\r\n"
    b"From: <sip:a@h>;tag=a\r\nTo: <sip:b@h>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n"
    b"Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
)
RESPONSE = (
    b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK2\r\n"
    b"From: <sip:a@h>;tag=a\r\nTo: <sip:b@h>;tag=b\r\nCall-ID: d\r\nCSeq: 1 OPTIONS\r\n"
    b"Content-Length: 0\r\n\r\n"
)


def endpoint(limiter: RequestLimiter, now: list[float]) -> tuple[UdpEndpoint, list[Message]]:
    got: list[Message] = []
    udp = UdpEndpoint(lambda m, _flow: got.append(m), logging.getLogger("test"), 65535)
    udp.admit = lambda source: limiter.admit(source, now[0])
    return udp, got


def test_requests_beyond_the_source_limit_are_dropped_before_parsing() -> None:
    limiter = RequestLimiter(RequestLimits(per_source_rate=1, per_source_burst=3))
    now = [0.0]
    udp, got = endpoint(limiter, now)

    for _ in range(10):
        udp.datagram_received(REQUEST, ("192.0.2.9", 5060))
    now[0] = 2.0
    udp.datagram_received(REQUEST, ("192.0.2.9", 5060))

    assert len(got) == 4  # the burst of 3, then 1 after two seconds refilled 2
    assert limiter.shed == 7


def test_responses_and_other_sources_are_not_held_back() -> None:
    limiter = RequestLimiter(RequestLimits(per_source_rate=1, per_source_burst=1))
    udp, got = endpoint(limiter, [0.0])

    for _ in range(5):
        udp.datagram_received(REQUEST, ("192.0.2.9", 5060))
        udp.datagram_received(RESPONSE, ("192.0.2.9", 5060))
    udp.datagram_received(REQUEST, ("192.0.2.10", 5060))

    assert [type(m).__name__ for m in got].count("Response") == 5
    assert [type(m).__name__ for m in got].count("Request") == 2
