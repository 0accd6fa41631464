"""Property tests: mutated torture messages raise only ParseError; valid requests round-trip."""

from __future__ import annotations

import contextlib
import gc
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alexphone.core.errors import ParseError
from alexphone.sip.headers import NameAddress, Via
from alexphone.sip.message import Headers, Request
from alexphone.sip.parser import StreamFramer, parse
from alexphone.sip.uri import SipUri, parse_uri

DATA = Path(__file__).resolve().parents[2] / "data" / "rfc4475"
CORPUS = [path.read_bytes() for path in sorted(DATA.glob("*.dat"))]


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A torture message with a few random flips, inserts, deletions, cuts and duplications."""
    data = bytearray(draw(st.sampled_from(CORPUS)))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "insert", "delete", "truncate", "duplicate"]))
        at = draw(st.integers(0, max(0, len(data) - 1)))
        if kind == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif kind == "insert":
            data[at:at] = draw(
                st.binary(min_size=1, max_size=8)
                | st.sampled_from(
                    [b"\r\n", b"\r\n ", b":", b";", b",", b'"', b"<", b">", b"%", b"@", b"\x00"]
                )
            )
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 16))]
        elif kind == "truncate":
            del data[at:]
        else:
            end = min(len(data), at + draw(st.integers(1, 64)))
            data[at:at] = data[at:end]
    return bytes(data)


@settings(max_examples=300, deadline=None)
@given(mutated())
def test_mutations_raise_only_parse_error(data: bytes) -> None:
    try:
        message = parse(data)
    except ParseError:
        return
    again = parse(bytes(message))  # what parses must round-trip
    assert again == message
    # typed accessors may find faults in non-mandatory headers, but only as ParseError
    for accessor in ("vias", "contacts", "routes", "record_routes", "max_forwards"):
        with contextlib.suppress(ParseError):
            getattr(message, accessor)


@settings(max_examples=200, deadline=None)
@given(mutated(), st.integers(1, 200))
def test_stream_framer_raises_only_parse_error(data: bytes, chunk: int) -> None:
    framer = StreamFramer()
    try:
        for start in range(0, len(data), chunk):
            framer.feed(data[start : start + chunk])
    except ParseError:
        pass


_TOKEN = st.text(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`'~",
    min_size=1,
    max_size=12,
)
_HOST = st.from_regex(r"[a-z0-9]([a-z0-9.\-]{0,20}[a-z0-9])?", fullmatch=True) | st.sampled_from(
    ["::1", "2001:db8::5", "192.0.2.7"]
)
_USER = st.text(min_size=1, max_size=12)  # any text: escaping must make it safe
_METHOD = st.sampled_from(["INVITE", "OPTIONS", "BYE", "REGISTER", "X-CUSTOM"])


@st.composite
def sip_uris(draw: st.DrawFn) -> SipUri:
    """Random SIP URIs with arbitrary (escaped on output) user parts and parameters."""
    params = tuple(
        (draw(_TOKEN), draw(st.none() | st.text(min_size=1, max_size=8)))
        for _ in range(draw(st.integers(0, 3)))
    )
    return SipUri(
        host=draw(_HOST),
        user=draw(st.none() | _USER),
        port=draw(st.none() | st.integers(1, 65535)),
        params=params,
        scheme=draw(st.sampled_from(["sip", "sips"])),
    )


@st.composite
def requests(draw: st.DrawFn) -> Request:
    """Random valid requests built through the typed API."""
    method = draw(_METHOD)
    headers = Headers()
    for _ in range(draw(st.integers(1, 3))):
        via = Via(
            draw(st.sampled_from(["UDP", "TCP", "TLS"])),
            draw(_HOST),
            draw(st.none() | st.integers(1, 65535)),
            (("branch", "z9hG4bK" + draw(_TOKEN)),),
        )
        headers.add("Via", str(via))
    headers.add("Max-Forwards", str(draw(st.integers(0, 255))))
    display = draw(
        st.none() | st.text(st.characters(blacklist_categories=["Cs", "Cc"]), max_size=10)
    )
    headers.add("From", str(NameAddress(draw(sip_uris()), display, (("tag", draw(_TOKEN)),))))
    headers.add("To", str(NameAddress(draw(sip_uris()))))
    headers.add("Call-ID", draw(_TOKEN) + "@" + draw(_TOKEN))
    headers.add("CSeq", f"{draw(st.integers(0, 2**31 - 1))} {method}")
    if draw(st.booleans()):
        headers.add("Contact", str(NameAddress(draw(sip_uris()), None, (("expires", "60"),))))
    headers.add("X-Extra", draw(st.text('abc ;,="<>', max_size=20)).strip())
    return Request(method, draw(sip_uris()), headers, draw(st.binary(max_size=64)))


@settings(max_examples=250, deadline=None)
@given(requests())
def test_generated_requests_round_trip(request: Request) -> None:
    data = bytes(request)
    message = parse(data)
    assert message == request
    assert bytes(message) == data
    assert isinstance(message, Request)
    assert message.from_ == NameAddress.parse(request.headers.get("From") or "")


@settings(max_examples=300, deadline=None)
@given(sip_uris())
def test_uri_round_trip(uri: SipUri) -> None:
    assert parse_uri(str(uri)) == uri


HOSTILE_HEAD = (
    b"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\r\n"
    b"From: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\n"
)


def hostile(name: bytes, filler: bytes, size: int, *, folded: bool) -> bytes:
    """A message whose ``name`` header is ``size`` bytes of ``filler`` (folded: 100 a line)."""
    line = b"\r\n ".join([filler * 100] * (size // 100)) if folded else filler * size
    return HOSTILE_HEAD + name + b": " + line + b"\r\n\r\n"


def calls_to_parse(data: bytes) -> int:
    """Count the function calls (Python and C) that ``parse(data)`` makes: its work, untimed."""
    with contextlib.suppress(ParseError):
        parse(data)  # warm: first-use work (regex compiles, caches) is not the message's cost
    count = 0

    def profile(frame: object, event: str, arg: object) -> None:
        nonlocal count
        if event in ("call", "c_call"):
            count += 1

    # A garbage collection during the parse would run other tests' finalizers inside it and
    # count their calls: collect first and keep the collector off while counting.
    gc.collect()
    gc.disable()
    sys.setprofile(profile)
    try:
        with contextlib.suppress(ParseError):
            parse(data)
    finally:
        sys.setprofile(None)
        gc.enable()
    return count


@pytest.mark.parametrize("name", [b"Via", b"Contact", b"X-Unknown", b"Accept", b"Route"])
@pytest.mark.parametrize("filler", [b",", b";", b'"', b"<", b"%", b"a"])
@pytest.mark.parametrize("folded", [False, True])
def test_hostile_header_line_costs_linear_work(name: bytes, filler: bytes, folded: bool) -> None:
    # sizes n, 2n, 4n: linear work grows by equal ratios (steps n then 2n, ratio 2), quadratic
    # work by 3n² then 12n² (ratio 4); the wall-clock figure is in benchmarks/bench_parser.py
    sizes = (2000, 4000, 8000)
    work = [calls_to_parse(hostile(name, filler, size, folded=folded)) for size in sizes]
    first, second = work[1] - work[0], work[2] - work[1]
    assert second <= 2.5 * first + 8, (work, name, filler, folded)
    assert work[2] <= 3 * len(hostile(name, filler, sizes[2], folded=folded)), work
