"""sip.parser: datagram parsing, limits, validation messages and stream framing."""

from __future__ import annotations

import pytest

from alexphone.core.errors import ParseError
from alexphone.sip.message import Request, Response
from alexphone.sip.parser import MAX_HEADERS, MAX_LINE, MAX_MESSAGE_BYTES, StreamFramer, parse

HEAD = (
    "{start}\r\n"
    "Via: SIP/2.0/UDP pc33.example.com;branch=z9hG4bK776\r\n"
    "Max-Forwards: {mf}\r\n"
    "To: <sip:bob@example.com>\r\n"
    "From: <sip:alice@example.com>;tag=1928\r\n"
    "Call-ID: a84b4c76e66710\r\n"
    "CSeq: {cseq}\r\n"
    "{extra}"
)


def message(
    start: str = "OPTIONS sip:bob@example.com SIP/2.0",
    cseq: str = "1 OPTIONS",
    mf: str = "70",
    extra: str = "",
    body: bytes = b"",
    length: bool = True,
) -> bytes:
    """Build a message with one field changed."""
    head = HEAD.format(start=start, cseq=cseq, mf=mf, extra=extra)
    if length:
        head += f"Content-Length: {len(body)}\r\n"
    return (head + "\r\n").encode() + body


def test_minimal_request_and_response() -> None:
    request = parse(message())
    assert isinstance(request, Request) and request.method == "OPTIONS"
    response = parse(message(start="SIP/2.0 180 Ringing", cseq="1 INVITE"))
    assert (
        isinstance(response, Response) and response.status == 180 and response.reason == "Ringing"
    )


def test_leading_crlf_is_ignored() -> None:
    assert isinstance(parse(b"\r\n\r\n" + message()), Request)


def test_body_framing() -> None:
    assert parse(message(body=b"hello") + b"trailing junk").body == b"hello"
    assert parse(message(body=b"rest of datagram", length=False)).body == b"rest of datagram"


@pytest.mark.parametrize(
    ("data", "status", "text"),
    [
        (message(cseq="1 INVITE"), 400, "CSeq method INVITE does not match request method OPTIONS"),
        (message(cseq="2147483648 OPTIONS"), 400, "CSeq number 2147483648 is out of range"),
        (message(mf="256"), 400, "Max-Forwards 256 is out of range"),
        (message(start="OPTIONS sip:b@example.com SIP/3.0"), 505, "SIP version SIP/3.0"),
        (message(start="OPTIONS sip:b@example.com HTTP/1.1"), 400, "SIP version HTTP/1.1"),
        (message(start="SIP/2.0 700 Odd", cseq="1 INVITE"), 400, "Status code '700'"),
        (message(start="SIP/2.0 99 Odd", cseq="1 INVITE"), 400, "Status code '99'"),
        (message(extra="Call-ID: other\r\n"), 400, "Call-ID header repeated with conflicting"),
        (message(extra="Content-Length: -1\r\n", length=False), 400, "Invalid Content-Length"),
        (message(extra="Bad Name: x\r\n"), 400, "Invalid header name"),
        (message(extra="NoColon\r\n"), 400, "Header line without a colon"),
        (message(extra="Contact: *, <sip:a@b>\r\n"), 400, "Contact \\* must be the only"),
        (message(start="OPTIONS  sip:b@example.com SIP/2.0"), 400, "Malformed Request-Line"),
        (b"OPTIONS sip:b@example.com SIP/2.0\r\nVia: x", 400, "no end of header section"),
        (message(extra="X-A: a\nb\r\n"), 400, "Bare CR or LF"),
    ],
)
def test_rejections_name_the_fault(data: bytes, status: int, text: str) -> None:
    with pytest.raises(ParseError, match=text) as caught:
        parse(data)
    assert caught.value.status == status


def test_repeated_identical_single_header_is_accepted() -> None:
    assert parse(message(extra="Call-ID: a84b4c76e66710\r\n")).call_id == "a84b4c76e66710"


def test_limits() -> None:
    with pytest.raises(ParseError) as too_big:
        parse(message(body=b"x" * MAX_MESSAGE_BYTES))
    assert too_big.value.status == 513
    with pytest.raises(ParseError, match="longer than"):
        parse(message(extra=f"X-Long: {'a' * MAX_LINE}\r\n"))
    with pytest.raises(ParseError, match="More than"):
        parse(message(extra="X-A: 1\r\n" * MAX_HEADERS))


def test_folding() -> None:
    request = parse(message(extra="Subject: one\r\n two\r\n\tthree\r\n"))
    assert request.headers.get("Subject") == "one two three"
    with pytest.raises(ParseError, match="continuation"):
        start, rest = message().split(b"\r\n", 1)
        parse(start + b"\r\n folded\r\n" + rest)


def test_stream_framer_splits_and_reassembles() -> None:
    one = message(body=b"abc")
    two = message(start="SIP/2.0 200 OK", cseq="1 OPTIONS")
    stream = b"\r\n\r\n" + one + two + one
    framer = StreamFramer()
    received = []
    for index in range(0, len(stream), 7):
        received += framer.feed(stream[index : index + 7])
    assert [type(m).__name__ for m in received] == ["Request", "Response", "Request"]
    assert received[0].body == b"abc" and framer.pending == 0


def test_stream_framer_errors() -> None:
    with pytest.raises(ParseError, match="mandatory on a stream"):
        StreamFramer().feed(message(length=False))
    with pytest.raises(ParseError) as caught:
        StreamFramer().feed(b"X" * (MAX_MESSAGE_BYTES + 1))
    assert caught.value.status == 513
    with pytest.raises(ParseError, match="Conflicting"):
        StreamFramer().feed(message(extra="l: 5\r\n", body=b"abc"))
    framer = StreamFramer()
    assert framer.feed(message(body=b"abcdef")[:-3]) == []  # waits for the body
    assert framer.pending > 0


def test_stream_keeps_going_past_a_well_framed_but_malformed_message() -> None:
    good = message(body=b"abc")
    bad = good.replace(b"CSeq: ", b"CSeq: x")
    framer = StreamFramer()

    got = framer.feed(bad + good)

    assert len(got) == 1
    rejected = framer.take_rejected()
    assert len(rejected) == 1 and rejected[0][0] == bad
    assert framer.take_rejected() == []
    assert framer.failed is None


def test_framing_error_after_good_messages_keeps_them_and_reports_failure() -> None:
    good = message(body=b"abc")
    framer = StreamFramer()

    got = framer.feed(good + message(length=False))

    assert len(got) == 1
    assert framer.failed is not None
    with pytest.raises(ParseError):
        framer.feed(good)


def test_a_replaces_left_in_an_invites_request_uri_becomes_its_replaces_header() -> None:
    uri = "sip:carol@example.com?Replaces=a1%40h%3Bto-tag%3D7%3Bfrom-tag%3D9"
    request = parse(message(f"INVITE {uri} SIP/2.0", "1 INVITE"))
    assert isinstance(request, Request)
    assert str(request.uri) == "sip:carol@example.com"
    assert request.headers.get("Replaces") == "a1@h;to-tag=7;from-tag=9"


@pytest.mark.parametrize(
    ("start", "cseq"),
    [
        ("OPTIONS sip:c@example.com?Replaces=a%3Bto-tag%3D7%3Bfrom-tag%3D9 SIP/2.0", "1 OPTIONS"),
        ("INVITE sip:c@example.com?Subject=hi SIP/2.0", "1 INVITE"),
        ("INVITE sip:c@example.com?Replaces=a&Replaces=b SIP/2.0", "1 INVITE"),
    ],
)
def test_any_other_header_in_a_request_uri_is_refused(start: str, cseq: str) -> None:
    with pytest.raises(ParseError, match="must not carry headers"):
        parse(message(start, cseq))
