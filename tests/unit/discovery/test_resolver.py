"""RFC 3263 ordering: NAPTR selection, SRV order (RFC 2782) and the resolution steps.

The steps run against a stub query function (a dict of canned answers), so
every RFC 3263 branch is exercised without a network.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter

import dns.rdataclass
import dns.rdataset
import dns.rdatatype
import pytest

from alexphone.core.errors import ConfigError
from alexphone.discovery.resolver import (
    ResolutionError,
    SipResolver,
    _Missing,
    naptr_order,
    parse_nameserver,
    srv_order,
)
from alexphone.net.transport import TransportKind
from alexphone.sip.uri import parse_sip_uri

ALL = (TransportKind.UDP, TransportKind.TCP, TransportKind.TLS)


def rdataset(rdtype: str, *texts: str) -> dns.rdataset.Rdataset:
    return dns.rdataset.from_text(dns.rdataclass.IN, dns.rdatatype.from_text(rdtype), 60, *texts)


def test_naptr_by_order_then_preference_and_only_sip_services() -> None:
    records = rdataset(
        "NAPTR",
        '20 10 "s" "SIP+D2U" "" _sip._udp.x.test.',
        '10 50 "s" "SIP+D2T" "" _sip._tcp.x.test.',
        '10 20 "s" "SIPS+D2T" "" _sips._tcp.x.test.',
        '5 10 "s" "SIP+D2S" "" _sip._sctp.x.test.',  # SCTP: not supported
        '1 1 "u" "E2U+sip" "!^.*$!sip:a@b!" .',  # ENUM-style: not ours
        '1 1 "a" "SIP+D2U" "" a.x.test.',  # RFC 3263 §4.1 wants "S"
    )
    assert naptr_order(records, sips=False, transports=ALL) == [
        (TransportKind.TLS, "_sips._tcp.x.test"),
        (TransportKind.TCP, "_sip._tcp.x.test"),
        (TransportKind.UDP, "_sip._udp.x.test"),
    ]


def test_naptr_for_sips_keeps_tls_only_and_unsupported_transports_drop() -> None:
    records = rdataset(
        "NAPTR",
        '10 10 "S" "SIP+D2U" "" _sip._udp.x.test.',
        '20 10 "S" "SIPS+D2T" "" _sips._tcp.x.test.',
    )
    assert naptr_order(records, sips=True, transports=ALL) == [
        (TransportKind.TLS, "_sips._tcp.x.test")
    ]
    assert naptr_order(records, sips=False, transports=[TransportKind.TLS]) == [
        (TransportKind.TLS, "_sips._tcp.x.test")
    ]


def test_srv_lower_priority_always_first() -> None:
    records = rdataset("SRV", "20 100 5060 b.x.test.", "10 0 5070 a.x.test.")
    for _ in range(20):
        assert srv_order(records) == [("a.x.test", 5070), ("b.x.test", 5060)]


def test_srv_dot_target_means_not_available() -> None:
    assert srv_order(rdataset("SRV", "0 0 0 .")) == []


def test_srv_weights_share_one_priority_proportionally() -> None:
    random.seed(7)  # dnspython's processing_order draws from the global generator
    records = rdataset("SRV", "10 60 5060 a.x.test.", "10 40 5060 b.x.test.")
    firsts = Counter(srv_order(records)[0][0] for _ in range(2000))
    assert 1100 < firsts["a.x.test"] < 1300  # 60 % of 2000, with room for chance


def test_srv_weight_zero_is_rarely_first_but_never_lost() -> None:
    random.seed(11)
    records = rdataset("SRV", "10 0 5060 zero.x.test.", "10 100 5060 big.x.test.")
    orders = [srv_order(records) for _ in range(500)]
    assert all(len(o) == 2 for o in orders)
    assert sum(o[0][0] == "zero.x.test" for o in orders) < 25


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.1:5300", ("127.0.0.1", 5300)),
        ("[::1]:53", ("::1", 53)),
        ("10.0.0.1", ("10.0.0.1", 53)),
    ],
)
def test_parse_nameserver(text: str, expected: tuple[str, int]) -> None:
    assert parse_nameserver(text) == expected


@pytest.mark.parametrize("text", ["dns.example:53", "1.2.3.4:0", "1.2.3.4:x", "[::1]:99999"])
def test_parse_nameserver_rejects(text: str) -> None:
    with pytest.raises(ConfigError):
        parse_nameserver(text)


class StubResolver(SipResolver):
    """A resolver whose DNS is a dict: (name, type) -> rdataset, or an exception name."""

    def __init__(self, zone: dict[tuple[str, str], object]) -> None:
        super().__init__(("127.0.0.1", 9), timeout=0.5)
        self.zone = zone
        self.asked: list[tuple[str, str]] = []

    async def _query(self, name: str, rdtype: str, problems: list[str]) -> object:
        self.asked.append((name, rdtype))
        answer = self.zone.get((name, rdtype), "nxdomain")
        if answer == "nxdomain":
            raise _Missing(nxdomain=True)
        if answer == "timeout":
            problems.append(f"{rdtype} {name}: no answer")
            raise _Missing(nxdomain=False)
        return answer


ZONE: dict[tuple[str, str], object] = {
    ("x.test", "NAPTR"): rdataset(
        "NAPTR",
        '10 10 "s" "SIP+D2T" "" _sip._tcp.x.test.',
        '20 10 "s" "SIP+D2U" "" _sip._udp.x.test.',
    ),
    ("_sip._tcp.x.test", "SRV"): rdataset("SRV", "10 10 5070 a.x.test."),
    ("_sip._udp.x.test", "SRV"): rdataset("SRV", "20 10 5060 b.x.test.", "10 10 5060 a.x.test."),
    ("a.x.test", "A"): rdataset("A", "192.0.2.1"),
    ("a.x.test", "AAAA"): rdataset("AAAA", "2001:db8::1"),
    ("b.x.test", "A"): rdataset("A", "192.0.2.2"),
    ("plain.test", "A"): rdataset("A", "192.0.2.9"),
}


def targets(zone: dict[tuple[str, str], object], uri: str) -> list[tuple[str, str, int, str]]:
    resolution = asyncio.run(StubResolver(zone).resolve(parse_sip_uri(uri)))
    return [(t.transport.value, t.host, t.port, t.address) for t in resolution.targets]


def test_naptr_then_srv_then_addresses() -> None:
    assert targets(ZONE, "sip:u@x.test") == [
        ("tcp", "a.x.test", 5070, "192.0.2.1"),
        ("tcp", "a.x.test", 5070, "2001:db8::1"),
        ("udp", "a.x.test", 5060, "192.0.2.1"),
        ("udp", "a.x.test", 5060, "2001:db8::1"),
        ("udp", "b.x.test", 5060, "192.0.2.2"),
    ]


def test_transport_param_skips_naptr() -> None:
    resolver = StubResolver(ZONE)
    asyncio.run(resolver.resolve(parse_sip_uri("sip:u@x.test;transport=udp")))
    assert ("x.test", "NAPTR") not in resolver.asked
    assert targets(ZONE, "sip:u@x.test;transport=udp")[0] == ("udp", "a.x.test", 5060, "192.0.2.1")


def test_numeric_host_and_explicit_port_skip_naptr_and_srv() -> None:
    assert targets({}, "sip:u@192.0.2.5") == [("udp", "192.0.2.5", 5060, "192.0.2.5")]
    assert targets({}, "sips:u@[2001:db8::5]") == [("tls", "2001:db8::5", 5061, "2001:db8::5")]
    assert targets(ZONE, "sip:u@a.x.test:5999;transport=tcp") == [
        ("tcp", "a.x.test", 5999, "192.0.2.1"),
        ("tcp", "a.x.test", 5999, "2001:db8::1"),
    ]


def test_no_naptr_queries_srv_per_transport_in_our_order() -> None:
    zone = {k: v for k, v in ZONE.items() if k[1] != "NAPTR"}
    assert [t[0] for t in targets(zone, "sip:u@x.test")] == ["udp", "udp", "udp", "tcp", "tcp"]


def test_sips_without_naptr_asks_only_sips_srv() -> None:
    zone = dict(ZONE)
    del zone[("x.test", "NAPTR")]
    zone[("_sips._tcp.x.test", "SRV")] = rdataset("SRV", "0 0 5061 b.x.test.")
    assert targets(zone, "sips:u@x.test") == [("tls", "b.x.test", 5061, "192.0.2.2")]


def test_no_srv_falls_back_to_a_on_the_default_port() -> None:
    assert targets(ZONE, "sip:u@plain.test") == [("udp", "plain.test", 5060, "192.0.2.9")]
    assert targets(ZONE, "sips:u@plain.test") == [("tls", "plain.test", 5061, "192.0.2.9")]


def test_naptr_timeout_falls_back_to_srv_and_is_reported() -> None:
    zone = dict(ZONE)
    zone[("x.test", "NAPTR")] = "timeout"
    resolution = asyncio.run(StubResolver(zone).resolve(parse_sip_uri("sip:u@x.test")))
    assert resolution.targets[0].address == "192.0.2.1"
    assert resolution.problems and "NAPTR x.test" in resolution.problems[0]


def test_unknown_domain_raises_one_clear_error() -> None:
    with pytest.raises(ResolutionError, match=r"cannot resolve nope\.test: no such domain"):
        targets(ZONE, "sip:u@nope.test")


def test_dead_server_ends_in_an_error_not_a_hang() -> None:
    zone = {(n, t): "timeout" for n in ("x.test",) for t in ("NAPTR", "A", "AAAA")}
    with pytest.raises(ResolutionError, match="no answer"):
        targets(zone, "sip:u@x.test")
