"""Property: serialising then parsing any session description gives it back (RFC 8866)."""

from __future__ import annotations

import contextlib
import string

from hypothesis import given, settings
from hypothesis import strategies as st

from alexphone.core.errors import ParseError
from alexphone.sdp.attribute import Attribute
from alexphone.sdp.session import (
    Bandwidth,
    Connection,
    Media,
    Origin,
    SessionDescription,
    Timing,
    parse,
)

tokens = st.text(string.ascii_letters + string.digits + "-_.!*+/", min_size=1, max_size=12)
names = st.text(string.ascii_letters + string.digits + "-_.", min_size=1, max_size=12)
# free text: anything but line breaks and control characters, non-ASCII included
texts = st.text(st.characters(exclude_categories=("Cs", "Cc")), max_size=30)
numbers = st.integers(min_value=0, max_value=2**63)
optional_texts = st.none() | texts

attributes = st.builds(Attribute, names, st.none() | texts)
connections = st.builds(Connection, tokens, st.sampled_from(["IP4", "IP6"]), st.just("IN"))
bandwidths = st.builds(Bandwidth, names, st.integers(0, 10**9))
timings = st.builds(Timing, numbers, numbers, st.lists(texts, max_size=2).map(tuple))
media = st.builds(
    Media,
    media=names,
    port=st.integers(0, 65535),
    proto=tokens,
    formats=st.lists(tokens, min_size=1, max_size=5).map(tuple),
    port_count=st.none() | st.integers(1, 100),
    title=optional_texts,
    connections=st.lists(connections, max_size=2).map(tuple),
    bandwidths=st.lists(bandwidths, max_size=2).map(tuple),
    key=optional_texts,
    attributes=st.lists(attributes, max_size=6).map(tuple),
)
descriptions = st.builds(
    SessionDescription,
    origin=st.builds(Origin, tokens, st.integers(0, 2**64).map(str), numbers, tokens),
    session_name=texts,
    info=optional_texts,
    uri=optional_texts,
    emails=st.lists(texts, max_size=2).map(tuple),
    phones=st.lists(texts, max_size=2).map(tuple),
    connection=st.none() | connections,
    bandwidths=st.lists(bandwidths, max_size=2).map(tuple),
    timings=st.lists(timings, max_size=2).map(tuple),
    zone=optional_texts,
    key=optional_texts,
    attributes=st.lists(attributes, max_size=4).map(tuple),
    media=st.lists(media, max_size=3).map(tuple),
)


@settings(max_examples=200, deadline=None)
@given(descriptions)
def test_serialise_then_parse_is_identity(sd: SessionDescription) -> None:
    assert parse(sd.to_bytes()) == sd
    assert parse(str(sd)) == sd


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_parse_of_arbitrary_bytes_only_raises_parse_error(data: bytes) -> None:
    with contextlib.suppress(ParseError):
        parse(b"v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\n" + data)
