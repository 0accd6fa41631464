"""Attribute lines and the direction enum (RFC 8866 §6, RFC 3264 §6.1)."""

from __future__ import annotations

import pytest

from alexphone.sdp.attribute import Attribute, Direction, RtpMap, find_attribute, find_attributes


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sendrecv", Attribute("sendrecv")),
        ("sendrecv ", Attribute("sendrecv")),
        ("rtpmap:0 PCMU/8000", Attribute("rtpmap", "0 PCMU/8000")),
        ("fmtp:", Attribute("fmtp", "")),
        ("x-y:a:b c", Attribute("x-y", "a:b c")),
    ],
)
def test_attribute_parse(text: str, expected: Attribute) -> None:
    assert Attribute.parse(text) == expected


def test_attribute_str_distinguishes_flag_and_empty_value() -> None:
    assert str(Attribute("recvonly")) == "recvonly"
    assert str(Attribute("orient", "")) == "orient:"


def test_find_is_case_insensitive_and_ordered() -> None:
    attributes = (Attribute("Candidate", "1"), Attribute("x"), Attribute("candidate", "2"))
    assert find_attributes(attributes, "candidate") == ("1", "2")
    assert find_attribute(attributes, "X") == ""
    assert find_attribute(attributes, "absent") is None


@pytest.mark.parametrize(
    ("direction", "sends", "receives", "reverse"),
    [
        (Direction.SENDRECV, True, True, Direction.SENDRECV),
        (Direction.SENDONLY, True, False, Direction.RECVONLY),
        (Direction.RECVONLY, False, True, Direction.SENDONLY),
        (Direction.INACTIVE, False, False, Direction.INACTIVE),
    ],
)
def test_direction_properties(
    direction: Direction, sends: bool, receives: bool, reverse: Direction
) -> None:
    assert (direction.sends, direction.receives) == (sends, receives)
    assert Direction.of(sends, receives) is direction
    assert direction.reversed() is reverse
    assert direction.attribute() == Attribute(direction.value)


def test_direction_from_attributes_takes_the_last_flag() -> None:
    attributes = (Attribute("sendonly"), Attribute("ptime", "20"), Attribute("INACTIVE"))
    assert Direction.from_attributes(attributes) is Direction.INACTIVE
    assert Direction.from_attributes((Attribute("ptime", "20"),)) is None


def test_rtpmap_round_trip() -> None:
    assert RtpMap.parse("96 opus/48000/2") == RtpMap(96, "opus", 48000, 2)
    assert str(RtpMap.parse("0 PCMU/8000")) == "0 PCMU/8000"
