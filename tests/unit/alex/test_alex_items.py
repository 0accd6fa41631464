"""ALEX-session / ALEX-item codec and reading rules (docs/ALEX.md "Headers", "Bad input")."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from alexphone.alex.candidate import Candidate, CandidateType
from alexphone.alex.items import (
    AlexDisabled,
    AlexSession,
    Announcement,
    format_item,
    new_session,
    parse_item,
    read_alex,
    write_alex,
)
from alexphone.core.ids import IdFactory
from alexphone.sip.message import Headers

EXAMPLE = [
    ("Supported", "alex, outbound"),
    (
        "ALEX-session",
        'v=1;ufrag=Q7cA;pwd=v9Xb2LmQ0sTz4Yw8Kd1Rp6;tb=8a4f09c2d3e1b657;inst="<urn:uuid:00000000-0000-1000-8000-000A95A0E128>"',
    ),
    ("ALEX-item", "sip udp [2001:db8:1::20]:5060;typ=host;pri=2130706431;fnd=h6"),
    ("ALEX-item", "sip udp 192.168.1.20:5060;typ=host;pri=2130706175;fnd=h4"),
    (
        "ALEX-item",
        "sip udp 203.0.113.9:40112;typ=srflx;pri=1694498559;fnd=s4;raddr=192.168.1.20:5060",
    ),
    (
        "ALEX-item",
        "m0.1 udp 198.51.100.3:51000;typ=relay;pri=16776959;fnd=r4;raddr=203.0.113.9:40114",
    ),
]


def test_spec_example_reads_completely() -> None:
    result = read_alex(Headers(EXAMPLE))
    assert isinstance(result, Announcement)
    assert result.session == AlexSession(
        "Q7cA",
        "v9Xb2LmQ0sTz4Yw8Kd1Rp6",
        0x8A4F09C2D3E1B657,
        "<urn:uuid:00000000-0000-1000-8000-000A95A0E128>",
    )
    assert [c.address for c in result.candidates] == [
        ("2001:db8:1::20", 5060),
        ("192.168.1.20", 5060),
        ("203.0.113.9", 40112),
        ("198.51.100.3", 51000),
    ]
    srflx = result.candidates[2]
    assert srflx.type is CandidateType.SRFLX
    assert srflx.related == ("192.168.1.20", 5060)
    assert result.candidates[3].flow == "m0.1"
    assert result.discarded == 0


def test_no_alex_headers_reads_as_none() -> None:
    assert read_alex(Headers([("Supported", "alex")])) is None


def test_unknown_parameters_and_types_are_ignored_not_fatal() -> None:
    headers = Headers(
        [
            ("ALEX-session", "v=1;ufrag=abcd;pwd=abcdefghijklmnopqrstuv;tb=0000000000000001;x=y"),
            ("ALEX-item", "sip udp 192.0.2.1:5060;typ=host;pri=1;fnd=a;future=1;flag"),
            ("ALEX-item", "m0.1 udp 192.0.2.1:4000;typ=quantum;pri=5"),
            ("ALEX-item", "m0.1 sctp 192.0.2.1:4002;typ=host;pri=5"),
        ]
    )
    result = read_alex(headers)
    assert isinstance(result, Announcement)
    assert [c.address[1] for c in result.candidates] == [5060, 4002]
    assert result.candidates[1].transport == "sctp"  # kept; pairing skips it
    assert result.discarded == 1


def test_amplification_targets_are_discarded() -> None:
    items = ", ".join(
        f"m0.1 udp {hp};typ=host;pri=7"
        for hp in (
            "127.0.0.1:4000",
            "[::1]:4000",
            "224.0.0.1:4000",
            "255.255.255.255:4000",
            "0.0.0.0:4000",
            "[::]:4000",
            "192.0.2.9:0",
            "192.0.2.9:4000",
        )
    )
    headers = Headers(
        [
            ("ALEX-session", "ufrag=abcd;pwd=abcdefghijklmnopqrstuv;tb=0123456789abcdef"),
            ("ALEX-item", items),
        ]
    )
    result = read_alex(headers)
    assert isinstance(result, Announcement)
    assert [c.address for c in result.candidates] == [("192.0.2.9", 4000)]
    assert result.discarded == 7


def session_with(**changes: str) -> list[tuple[str, str]]:
    params = {"v": "1", "ufrag": "abcd", "pwd": "abcdefghijklmnopqrstuv", "tb": "0123456789abcdef"}
    params.update(changes)
    text = ";".join(f"{k}={v}" for k, v in params.items() if v != "-")
    return [("ALEX-session", text), ("ALEX-item", "sip udp 192.0.2.1:5060;typ=host;pri=9")]


def test_malformed_headers_disable_alex_for_the_dialog() -> None:
    bad = [
        session_with(ufrag="abc"),  # too short
        session_with(pwd="short"),
        session_with(pwd="-"),
        session_with(tb="xyz"),
        session_with(v="2"),
        session_with(inst="unquoted"),
        [("ALEX-item", "sip udp 192.0.2.1:5060")],  # items without a session
        [*session_with(), ("ALEX-item", "sip udp host.example:5060")],  # names are not allowed
        [*session_with(), ("ALEX-item", "m0.1 udp 192.0.2.1:5060;pri=99999999999")],
        [*session_with(), ("ALEX-item", "x9 udp 192.0.2.1:5060")],
        [*session_with(), ("ALEX-item", "sip udp [192.0.2.1]:5060")],
        [*session_with(), *session_with()],  # two sessions
    ]
    for fields in bad:
        result = read_alex(Headers(fields))
        assert isinstance(result, AlexDisabled), fields


def test_write_then_read() -> None:
    session = new_session(IdFactory(random.Random(3)), "<urn:uuid:1>")
    candidate = Candidate(
        "m0.1", "udp", ("2001:db8::5", 4000), CandidateType.HOST, 2130706431, "h1", None
    )
    headers = Headers([("ALEX-item", "stale")])
    write_alex(headers, session, [candidate])
    assert headers.get_fields("ALEX-item") == [format_item(candidate)]
    result = read_alex(headers)
    assert isinstance(result, Announcement)
    assert result.session == session
    assert result.candidates == (candidate,)


def test_new_sessions_differ() -> None:
    ids = IdFactory(random.Random(1))
    first, second = new_session(ids), new_session(ids)
    assert first.ufrag != second.ufrag and first.tie_breaker != second.tie_breaker
    assert len(first.pwd) >= 22


alnum = st.text("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1)
ipv4 = st.ip_addresses(v=4).map(str)
ipv6 = st.ip_addresses(v=6).map(lambda ip: ip.compressed)
addresses = st.tuples(ipv4 | ipv6, st.integers(1, 65535))
flows = st.just("sip") | st.builds(
    lambda m, c: f"m{m}.{c}", st.integers(0, 99), st.integers(0, 999)
)


@given(
    flow=flows,
    transport=st.sampled_from(["udp", "tcp", "tls"]),
    address=addresses,
    kind=st.sampled_from(list(CandidateType)),
    priority=st.integers(1, 2**32 - 1),
    fnd=alnum.filter(lambda s: len(s) <= 32),
    related=st.none() | addresses,
)
def test_item_round_trip(
    flow: str,
    transport: str,
    address: tuple[str, int],
    kind: CandidateType,
    priority: int,
    fnd: str,
    related: tuple[str, int] | None,
) -> None:
    candidate = Candidate(flow, transport, address, kind, priority, fnd, related)
    assert parse_item(format_item(candidate)) == candidate


@given(
    ufrag=st.text("abcXYZ0189", min_size=4, max_size=32),
    pwd=st.text("abcXYZ0189", min_size=22, max_size=64),
    tb=st.integers(0, 2**64 - 1),
    inst=st.none() | st.text(st.characters(codec="ascii", exclude_categories=("Cc",)), max_size=40),
)
def test_session_round_trip(ufrag: str, pwd: str, tb: int, inst: str | None) -> None:
    session = AlexSession(ufrag, pwd, tb, inst)
    assert AlexSession.parse(str(session)) == session


@given(st.text(max_size=120))
def test_reading_never_raises(text: str) -> None:
    text = text.replace("\r", "").replace("\n", "")
    result = read_alex(Headers([*session_with()[:1], ("ALEX-item", text)]))
    assert result is None or isinstance(result, Announcement | AlexDisabled)
