"""sip.uri: parsing, escaping and rendering of SIP and absolute URIs."""

from __future__ import annotations

import pytest

from alexphone.core.errors import ParseError
from alexphone.sip.uri import AbsoluteUri, SipUri, parse_sip_uri, parse_uri


def test_full_sip_uri() -> None:
    uri = parse_sip_uri(
        "sips:alice:secret@atlanta.example.com:5061;transport=TLS;lr?subject=hi&x=1"
    )
    assert uri == SipUri(
        host="atlanta.example.com", user="alice", password="secret", port=5061,
        params=(("transport", "TLS"), ("lr", None)), headers=(("subject", "hi"), ("x", "1")),
        scheme="sips",
    )  # fmt: skip
    assert uri.transport == "tls"
    assert uri.param("LR") == "" and uri.has_param("lr") and uri.param("maddr") is None
    assert uri.host_port == "atlanta.example.com:5061"


def test_ipv6_reference() -> None:
    uri = parse_sip_uri("sip:[2001:db8::1]:5070;transport=udp")
    assert uri.host == "2001:db8::1" and uri.port == 5070
    assert uri.host_port == "[2001:db8::1]:5070"
    assert str(uri) == "sip:[2001:db8::1]:5070;transport=udp"
    assert parse_sip_uri("sip:[::1]").host_port == "[::1]"


def test_escapes_are_decoded_once_and_reencoded() -> None:
    uri = parse_sip_uri("sip:sips%3Auser%40example.com@example.net;n%61me=v%61lue%2541")
    assert uri.user == "sips:user@example.com"
    assert uri.param("name") == "value%41"
    assert str(uri) == "sip:sips%3Auser%40example.com@example.net;name=value%2541"
    assert parse_uri(str(uri)) == uri


def test_user_with_semicolons() -> None:
    uri = parse_sip_uri("sip:user;par=u%40example.net@example.com")
    assert uri.user == "user;par=u@example.net" and uri.params == ()


def test_with_and_without_params() -> None:
    uri = parse_sip_uri("sip:bob@b.example.com;transport=udp")
    assert (
        str(uri.with_params(transport="tcp", lr=None)) == "sip:bob@b.example.com;transport=tcp;lr"
    )
    assert uri.without_params("TRANSPORT").params == ()


def test_absolute_uris() -> None:
    assert parse_uri("tel:+1-201-555-0123") == AbsoluteUri("tel", "+1-201-555-0123")
    assert str(parse_uri("Mailto:a@b")) == "mailto:a@b"
    with pytest.raises(ParseError) as caught:
        parse_sip_uri("tel:123")
    assert caught.value.status == 416


@pytest.mark.parametrize(
    "text",
    [
        "<sip:user@example.com>", "sip:user@exa mple.com", "sip:", "sip:user@", "sip:@host",
        "sip:host:99999", "sip:host:port", "sip:[::1", "sip:u%zz@host", "sip:us er@host",
        "sip:host;a=b c", "nocolon", "1tel:123", "tel:", "sip:-bad-.example.com",
    ],
)  # fmt: skip
def test_malformed(text: str) -> None:
    with pytest.raises(ParseError):
        parse_uri(text)
