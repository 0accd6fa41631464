"""tel: URIs (RFC 3966) and their SIP form (RFC 3261 §19.1.6): a table of inputs, bad input,
and round trips over generated numbers."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alexphone.core.errors import ParseError
from alexphone.sip.tel_uri import (
    TelUri,
    number_from_dial_text,
    parse_tel_uri,
    tel_from_sip_uri,
    tel_to_sip_uri,
)
from alexphone.sip.uri import parse_sip_uri


@pytest.mark.parametrize(
    ("text", "user"),
    [
        ("tel:+1-555-123-4567", "+15551234567"),
        ("tel:+15551234567", "+15551234567"),
        ("tel:+1.(555).123.4567", "+15551234567"),
        ("TEL:+44-20-7946-0000", "+442079460000"),
        # RFC 3966 §5.1.5: local numbers keep their context
        ("tel:7042;phone-context=example.com", "7042;phone-context=example.com"),
        ("tel:863-1234;phone-context=+1-914-555", "8631234;phone-context=+1914555"),
        ("tel:7042;phone-context=Example.COM", "7042;phone-context=example.com"),
        ("tel:*69;phone-context=example.com", "*69;phone-context=example.com"),
        ("tel:#31#;phone-context=example.com", "%2331%23;phone-context=example.com"),
        # ext and isub first, then the context, then the others by name (RFC 3966 §3)
        ("tel:+1-555-1234;zz=1;ext=22", "+15551234;ext=22;zz=1"),
        ("tel:1234;foo;phone-context=a.org;ext=9", "1234;ext=9;phone-context=a.org;foo"),
        ("tel:+358-555-1234567;postd=pp22", "+3585551234567;postd=pp22"),
    ],
)  # fmt: skip
def test_tel_uris_become_request_uris_at_the_account_domain(text: str, user: str) -> None:
    sip = tel_to_sip_uri(parse_tel_uri(text), "example.com")
    request_uri = f"sip:{user}@example.com;user=phone"

    assert str(sip) == request_uri
    assert parse_sip_uri(request_uri) == sip  # what goes on the wire parses back the same


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("tel:7042", "phone-context"),  # a local number alone means nothing
        ("tel:+1555;phone-context=example.com", "global"),
        ("tel:", "number"),
        ("tel:+", "number"),
        ("tel:+1-555 123", "number"),  # spaces are not visual separators
        ("tel:+1555;ext=abc", "extension"),
        ("tel:+1555;ext=1;ext=2", "twice"),
        ("tel:1;phone-context=-bad-.com", "phone-context"),
        ("tel:1;phone-context=", "phone-context"),
        ("tel:+1555;a b=1", "parameter"),
        ("sip:+1555@example.com", "tel:"),
        ("+15551234", "tel:"),
    ],
)
def test_malformed_tel_uris_are_parse_errors(text: str, complaint: str) -> None:
    with pytest.raises(ParseError, match=complaint):
        parse_tel_uri(text)


def test_dial_box_text_loses_its_separators() -> None:
    assert number_from_dial_text("+1 (555) 123-4567") == "+15551234567"
    assert number_from_dial_text(" 555.1234 ") == "5551234"
    assert number_from_dial_text("*69") == "*69"
    assert number_from_dial_text("alice") is None
    assert number_from_dial_text("1800flowers") is None
    assert number_from_dial_text("-") is None


def test_a_sip_uri_without_user_phone_carries_no_number() -> None:
    assert tel_from_sip_uri(parse_sip_uri("sip:+15551234@example.com")) is None
    assert tel_from_sip_uri(parse_sip_uri("sip:alice@example.com;user=phone")) is None
    number = tel_from_sip_uri(parse_sip_uri("sip:+15551234@example.com;user=phone"))
    assert number == TelUri("+15551234")


_SEPARATOR = st.sampled_from(["", "", "-", ".", "(", ")"])


def _with_separators(digits: str, data: st.DataObject) -> str:
    return "".join(d + data.draw(_SEPARATOR) for d in digits)


_PNAMES = st.from_regex(r"[a-z][a-z0-9\-]{0,6}", fullmatch=True).filter(
    lambda n: n not in ("ext", "isub", "phone-context")
)
_PVALUES = st.none() | st.from_regex(r"[A-Za-z0-9\-_.!~*'()\[\]/:&+$]{1,8}", fullmatch=True)
_DOMAINS = st.from_regex(r"[a-z][a-z0-9]{0,5}(\.[a-z][a-z0-9]{0,5}){0,2}", fullmatch=True)


@given(
    data=st.data(),
    digits=st.from_regex(r"[0-9]{1,15}", fullmatch=True),
    is_global=st.booleans(),
    context_is_domain=st.booleans(),
    ext=st.none() | st.from_regex(r"[0-9]{1,5}", fullmatch=True),
    others=st.dictionaries(_PNAMES, _PVALUES, max_size=3),
)
def test_round_trips_through_text_and_sip(
    data: st.DataObject,
    digits: str,
    is_global: bool,
    context_is_domain: bool,
    ext: str | None,
    others: dict[str, str | None],
) -> None:
    pieces = [("+" if is_global else "") + _with_separators(digits, data)]
    if ext is not None:
        pieces.append(f";ext={_with_separators(ext, data)}")
    if not is_global:
        context = data.draw(_DOMAINS) if context_is_domain else "+" + digits[:4]
        pieces.append(f";phone-context={context}")
    pieces += [f";{n}" if v is None else f";{n}={v}" for n, v in others.items()]
    tel = parse_tel_uri("tel:" + "".join(pieces))

    assert tel.number == ("+" if is_global else "") + digits
    assert tel.is_global is is_global and (tel.context is None) is is_global
    assert parse_tel_uri(str(tel)) == tel
    sip = tel_to_sip_uri(tel, "example.com")
    assert tel_from_sip_uri(parse_sip_uri(str(sip))) == tel
