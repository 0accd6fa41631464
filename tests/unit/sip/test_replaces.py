"""The Replaces header (RFC 3891): parsing, writing, and which dialog it names."""

from __future__ import annotations

import pytest

from alexphone.core.errors import ParseError
from alexphone.sip.dialog import DialogId
from alexphone.sip.replaces import Replaces, naming
from alexphone.sip.uri import SipUri, parse_sip_uri


def test_the_rfc_3891_example_round_trips() -> None:
    text = "425928@bobster.example.org;to-tag=7743;from-tag=6472"
    replaces = Replaces.parse(text)
    assert replaces == Replaces("425928@bobster.example.org", "7743", "6472")
    assert str(replaces) == text


def test_early_only_and_spaces_are_read() -> None:
    replaces = Replaces.parse(" abc ; from-tag=2 ; to-tag=1 ; early-only ")
    assert replaces == Replaces("abc", to_tag="1", from_tag="2", early_only=True)
    assert str(replaces) == "abc;to-tag=1;from-tag=2;early-only"


@pytest.mark.parametrize(
    "text",
    [
        "",
        ";to-tag=1;from-tag=2",
        "abc;to-tag=1",
        "abc;from-tag=2",
        "abc;to-tag=;from-tag=2",
        "a b;to-tag=1;from-tag=2",
        "abc;;to-tag=1;from-tag=2",
    ],
)
def test_a_malformed_replaces_is_a_parse_error(text: str) -> None:
    with pytest.raises(ParseError):
        Replaces.parse(text)


def test_the_transferors_naming_matches_the_targets_dialog() -> None:
    ours = DialogId("consult-1", local_tag="T", remote_tag="C")  # transferor ↔ target
    theirs = DialogId("consult-1", local_tag="C", remote_tag="T")  # the same, at the target
    replaces = naming(ours)
    assert replaces.matches(theirs)
    assert not replaces.matches(ours)
    assert not replaces.matches(DialogId("other", local_tag="C", remote_tag="T"))


def test_a_replaces_survives_the_trip_through_a_refer_to_uri() -> None:
    replaces = Replaces("a1@192.0.2.1", to_tag="x-1", from_tag="z")
    uri = SipUri("192.0.2.3", "carol", headers=(("Replaces", str(replaces)),))
    assert "?Replaces=a1%40192.0.2.1%3Bto-tag%3D" in str(uri)
    assert parse_sip_uri(str(uri)).headers == (("Replaces", str(replaces)),)
