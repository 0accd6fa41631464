"""sip.headers: Via, name-addr and CSeq values, parameters, and the fast paths."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alexphone.core.errors import ParseError
from alexphone.sip.headers import (
    NAME_ADDR_FAST,
    VIA_FAST,
    CSeq,
    NameAddress,
    Via,
    format_params,
    parse_params,
)
from alexphone.sip.uri import AbsoluteUri, SipUri


def test_via_with_lws_and_params() -> None:
    via = Via.parse(
        "SIP / 2.0 / udp  host.example.com : 5062 ; branch = z9hG4bKx ;rport;received=192.0.2.1"
    )
    assert via == Via(
        "UDP",
        "host.example.com",
        5062,
        (("branch", "z9hG4bKx"), ("rport", None), ("received", "192.0.2.1")),
    )
    assert via.branch == "z9hG4bKx" and via.received == "192.0.2.1"
    assert via.has_rport and via.rport is None
    assert via.with_params(rport="5062").rport == 5062
    assert str(via) == "SIP/2.0/UDP host.example.com:5062;branch=z9hG4bKx;rport;received=192.0.2.1"


def test_via_ipv6() -> None:
    via = Via.parse("SIP/2.0/TCP [2001:db8::9]:5060;branch=z9hG4bK1")
    assert via.host == "2001:db8::9" and via.port == 5060
    assert str(via) == "SIP/2.0/TCP [2001:db8::9]:5060;branch=z9hG4bK1"


@pytest.mark.parametrize(
    "text",
    [
        "SIP/2.0/UDP",
        "SIP/3.0/UDP host",
        "SIP/2.0/UDP host;;",
        "SIP/2.0/UDP host:70000",
        "SIP/2.0/UDP ho st",
        "SIP/2.0/UDP host;branch=a b",
        "HTTP/2.0/UDP host",
        "",
    ],
)
def test_malformed_via(text: str) -> None:
    with pytest.raises(ParseError):
        Via.parse(text)


def test_name_addr_forms() -> None:
    quoted = NameAddress.parse('"Alice \\"A\\"" <sip:alice@atlanta.example.com>;tag=88sja8x')
    assert quoted.display_name == 'Alice "A"' and quoted.tag == "88sja8x"
    assert str(quoted) == '"Alice \\"A\\"" <sip:alice@atlanta.example.com>;tag=88sja8x'
    tokens = NameAddress.parse("Bob   Smith<sip:bob@b.example.com;transport=tcp>")
    assert tokens.display_name == "Bob Smith"
    assert isinstance(tokens.uri, SipUri) and tokens.uri.transport == "tcp"
    spec = NameAddress.parse("sip:carol@c.example.com ; tag = x1 ; expires=60")
    assert spec.display_name is None and spec.tag == "x1" and spec.expires == 60
    assert isinstance(NameAddress.parse("<urn:uuid:abc>").uri, AbsoluteUri)
    assert spec.with_tag("y").tag == "y"
    assert NameAddress.parse('<sip:a@b>;x="q;v"').param("x") == '"q;v"'


@pytest.mark.parametrize(
    "text",
    [
        '"open <sip:a@b>',
        "Bell, A <sip:a@b>",
        "< sip:a@b >",
        "sip:a@b?x=y",
        "<sip:a@b",
        "",
        "<sip:a@b>;;",
        "<sip:a@b> junk",
    ],
)
def test_malformed_name_addr(text: str) -> None:
    with pytest.raises(ParseError):
        NameAddress.parse(text)


def test_cseq() -> None:
    assert CSeq.parse(" 0009 \t INVITE ") == CSeq(9, "INVITE")
    assert str(CSeq(2**31 - 1, "BYE")) == "2147483647 BYE"
    for bad in ("2147483648 INVITE", "9" * 5000 + " INVITE", "1", "x INVITE", "-1 BYE"):
        with pytest.raises(ParseError):
            CSeq.parse(bad)


def test_params() -> None:
    assert parse_params(";a=b;c ; D = 1") == (("a", "b"), ("c", None), ("D", "1"))
    assert format_params((("a", "b"), ("c", None))) == ";a=b;c"
    assert parse_params("") == ()
    for bad in ("a=b", ";", ";a=", ";a=b c", ';a="open'):
        with pytest.raises(ParseError):
            parse_params(bad)


_TOKEN = st.from_regex(r"[A-Za-z0-9.!%*_+`'~\-]{1,8}", fullmatch=True)
_HOST = st.from_regex(r"[a-z0-9][a-z0-9.\-]{0,10}[a-z0-9]|\[[0-9a-f:]{2,12}\]", fullmatch=True)
_PORT = st.just("") | st.integers(0, 99999).map(lambda p: f":{p}")
_PARAMS = st.lists(st.tuples(_TOKEN, st.none() | _TOKEN), max_size=3).map(
    lambda items: "".join(f";{n}" if v is None else f";{n}={v}" for n, v in items)
)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["UDP", "TCP", "TLS", "WSS"]), _HOST, _PORT, _PARAMS)
def test_via_fast_path_agrees_with_general_parser(
    transport: str, host: str, port: str, params: str
) -> None:
    text = f"SIP/2.0/{transport} {host}{port}{params}"
    try:
        general = Via._parse_general(text)
    except ParseError:
        assert VIA_FAST.fullmatch(text) is None  # the fast path never accepts what fails
        return
    assert Via.parse(text) == general


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(['"Al ice" ', "Bob ", "", '""']),
    st.from_regex(r"[a-z0-9.]{1,6}", fullmatch=True),
    _HOST,
    _PORT,
    _PARAMS,
    _PARAMS,
)
def test_name_addr_fast_path_agrees_with_general_parser(
    display: str, user: str, host: str, port: str, uri_params: str, params: str
) -> None:
    text = f"{display}<sip:{user}@{host}{port}{uri_params}>{params}"
    try:
        general = NameAddress._parse_general(text)
    except ParseError:
        assert NAME_ADDR_FAST.fullmatch(text) is None
        return
    assert NameAddress.parse(text) == general
