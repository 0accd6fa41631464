"""sip.message: Headers multimap, typed accessors, serialization, make_response."""

from __future__ import annotations

import pytest

from alexphone.core.errors import ParseError
from alexphone.sip.headers import CSeq
from alexphone.sip.message import (
    Headers,
    Request,
    Response,
    canonical_name,
    make_response,
    response_reason,
    split_values,
)
from alexphone.sip.parser import parse
from alexphone.sip.uri import parse_uri


def _request() -> Request:
    headers = Headers(
        [
            (
                "v",
                "SIP/2.0/UDP a.example.com;branch=z9hG4bK1, "
                "SIP/2.0/UDP b.example.com;branch=z9hG4bK2",
            ),
            ("Via", "SIP/2.0/TCP c.example.com;branch=z9hG4bK3"),
            ("f", '"A, B" <sip:a@example.com>;tag=ft'),
            ("t", "<sip:b@example.com>"),
            ("i", "cid@example.com"),
            ("CSEQ", "7 INVITE"),
            ("Max-Forwards", "70"),
            ("m", "<sip:a@192.0.2.1>;expires=30, <sip:a@192.0.2.2>"),
            ("Timestamp", "54"),
        ]
    )
    return Request("INVITE", parse_uri("sip:b@example.com"), headers, b"v=0\r\n")


def test_canonical_names_and_split() -> None:
    assert canonical_name("v") == "Via" and canonical_name("CALL-id") == "Call-ID"
    assert canonical_name("X-Custom") == "X-Custom"
    assert split_values('"a, b" <sip:x>, <sip:y,z>;p="1,2" , c') == [
        '"a, b" <sip:x>',
        '<sip:y,z>;p="1,2"',
        "c",
    ]


def test_headers_multimap() -> None:
    request = _request()
    headers = request.headers
    assert "VIA" in headers and "Route" not in headers and len(headers) == 9
    assert len(headers.get_all("via")) == 3
    assert headers.get("From") == '"A, B" <sip:a@example.com>;tag=ft'
    assert headers.get_all("From") == ['"A, B" <sip:a@example.com>;tag=ft']  # not a list header
    headers.prepend("Via", "SIP/2.0/UDP top.example.com;branch=z9hG4bK0")
    assert request.top_via.host == "top.example.com"  # cache dropped on change
    headers.set("Max-Forwards", "69")
    assert request.max_forwards == 69
    headers.remove("Timestamp")
    assert headers.get("Timestamp") is None
    copy = headers.copy()
    copy.add("X-A", "1")
    assert "X-A" not in headers and copy != headers


def test_typed_accessors() -> None:
    request = _request()
    assert [v.branch for v in request.vias] == ["z9hG4bK1", "z9hG4bK2", "z9hG4bK3"]
    assert request.cseq == CSeq(7, "INVITE")
    assert request.from_.display_name == "A, B" and request.from_.tag == "ft"
    assert request.to.tag is None and request.call_id == "cid@example.com"
    assert [c.expires for c in request.contacts] == [30, None]
    empty = Request("OPTIONS", parse_uri("sip:x@y"))
    with pytest.raises(ParseError):
        _ = empty.top_via
    with pytest.raises(ParseError):
        _ = empty.call_id
    assert empty.max_forwards is None


def test_serialization_writes_content_length() -> None:
    request = _request()
    request.headers.add("Content-Length", "999")
    data = bytes(request)
    assert data.startswith(b"INVITE sip:b@example.com SIP/2.0\r\nVia: SIP/2.0/UDP a.example.com")
    assert b"Content-Length: 5\r\n\r\nv=0\r\n" in data and b"999" not in data
    assert parse(data) == request
    response = Response(180, "Ringing", Headers([("Via", "SIP/2.0/UDP h;branch=z9hG4bK1")]))
    assert bytes(response).endswith(b"Content-Length: 0\r\n\r\n")


def test_make_response() -> None:
    request = _request()
    response = make_response(request, 486, to_tag="tt")
    assert response.status == 486 and response.reason == response_reason(486) == "Busy Here"
    assert response.headers.get_all("Via") == request.headers.get_all("Via")
    assert response.to.tag == "tt" and response.cseq == request.cseq
    assert "Contact" not in response.headers and "Timestamp" not in response.headers
    assert make_response(request, 100).headers.get("Timestamp") == "54"  # RFC 3261 §8.2.6.1
    tagged = make_response(make_request_with_to_tag(), 200, "Fine", to_tag="new")
    assert tagged.to.tag == "old" and tagged.reason == "Fine"
    assert response_reason(299) == "OK"


def make_request_with_to_tag() -> Request:
    """A request inside a dialog (its To already carries a tag)."""
    request = _request()
    request.headers.set("To", "<sip:b@example.com>;tag=old")
    return request
