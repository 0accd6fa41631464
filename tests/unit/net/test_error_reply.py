"""Error responses built from the raw lines of requests that did not parse."""

from __future__ import annotations

from alexphone.core.errors import ParseError
from alexphone.net.error_reply import error_reply, sanitize_reason
from alexphone.sip.message import Response
from alexphone.sip.parser import parse

RAW = (
    b"INVITE sip:bob@127.0.0.1 SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 10.0.0.1:5070;branch=z9hG4bKa;rport\r\n"
    b"v: SIP/2.0/UDP proxy.example\r\n"
    b"  ;branch=z9hG4bKb\r\n"
    b"f: <sip:alice@example.com>;tag=1\r\n"
    b"t: <sip:bob@example.com>\r\n"
    b"i: abc@host\r\n"
    b"CSeq: 1 INVITE\r\n"
    b"Max-Forwards: banana\r\n"
    b"Content-Length: 0\r\n\r\n"
)


def reply_for(raw: bytes, error: ParseError) -> Response:
    data = error_reply(raw, error)
    assert data is not None
    message = parse(data)
    assert isinstance(message, Response)
    return message


def test_copies_routing_fields_and_uses_error_text() -> None:
    response = reply_for(RAW, ParseError("Max-Forwards banana is out of range"))
    assert response.status == 400
    assert response.reason == "Max-Forwards banana is out of range"
    assert [str(v) for v in response.vias] == [
        "SIP/2.0/UDP 10.0.0.1:5070;branch=z9hG4bKa;rport",
        "SIP/2.0/UDP proxy.example;branch=z9hG4bKb",
    ]
    assert response.call_id == "abc@host"
    assert str(response.cseq) == "1 INVITE"
    assert response.from_.tag == "1"
    assert response.to.tag is not None  # RFC 3261 §8.2.6.2


def test_to_tag_is_stable_and_kept_when_present() -> None:
    first = reply_for(RAW, ParseError("x"))
    again = reply_for(RAW, ParseError("x"))
    assert first.to.tag == again.to.tag
    tagged = RAW.replace(b"t: <sip:bob@example.com>", b"t: <sip:bob@example.com>;tag=9")
    assert reply_for(tagged, ParseError("x")).to.tag == "9"


def test_status_follows_the_error() -> None:
    assert reply_for(RAW, ParseError("too big", 513)).status == 513
    assert reply_for(RAW, ParseError("SIP version SIP/3.0 is not supported", 505)).status == 505
    assert reply_for(RAW, ParseError("odd", 200)).status == 400


def test_reason_is_sanitized_to_one_printable_line() -> None:
    response = reply_for(RAW, ParseError("bad\r\nInjected: yes\x00\x7f  é"))
    assert response.reason == "bad Injected: yes é"
    assert "Injected" not in response.headers
    assert sanitize_reason("\r\n\t", 400) == "Bad Request"
    assert len(sanitize_reason("x" * 1000, 400)) == 200


def test_no_via_no_reply() -> None:
    raw = b"OPTIONS sip:a@b SIP/2.0\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\n\r\n"
    assert error_reply(raw, ParseError("Missing mandatory header(s): Via")) is None


def test_responses_acks_and_garbage_are_never_answered() -> None:
    response = b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\r\n"
    assert error_reply(response, ParseError("x")) is None
    ack = RAW.replace(b"INVITE sip", b"ACK sip", 1)
    assert error_reply(ack, ParseError("x")) is None
    assert error_reply(b"\x00\x01\x00\x00!\x12\xa4B", ParseError("x")) is None
    assert error_reply(b"", ParseError("x")) is None


def test_fields_with_control_characters_are_not_copied() -> None:
    raw = RAW.replace(b"i: abc@host", b"i: abc\x00@host")
    data = error_reply(raw, ParseError("x"))
    assert data is not None
    assert b"\x00" not in data
    assert b"Call-ID" not in data
    assert b"Via: SIP/2.0/UDP 10.0.0.1:5070" in data


def test_leading_crlf_and_bare_lf_are_tolerated() -> None:
    raw = b"\r\n\r\n" + RAW.replace(b"\r\n", b"\n")
    response = reply_for(raw, ParseError("Bare CR or LF in header section"))
    assert response.call_id == "abc@host"
