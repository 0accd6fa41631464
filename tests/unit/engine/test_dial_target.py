"""What dialled text calls (dial box, `alexphone call`, a link handed to the running window)."""

from __future__ import annotations

from pathlib import Path

import pytest

from alexphone.cli import dial_check
from alexphone.core.errors import ConfigError
from alexphone.engine.dial_target import dial_target, is_telephone_number
from alexphone.engine.settings import AccountSettings, PhoneSettings
from alexphone.sip.uri import parse_sip_uri

ACCOUNT = AccountSettings(parse_sip_uri("sip:alice@example.com"))


@pytest.mark.parametrize(
    ("text", "request_uri"),
    [
        ("tel:+1-555-123-4567", "sip:+15551234567@example.com;user=phone"),
        ("  tel:+15551234567  ", "sip:+15551234567@example.com;user=phone"),
        ("tel:7042;phone-context=a.org", "sip:7042;phone-context=a.org@example.com;user=phone"),
        ("+1 (555) 123-4567", "sip:+15551234567@example.com;user=phone"),
        ("555-1234", "sip:5551234@example.com"),
        ("bob", "sip:bob@example.com"),
        ("bob@elsewhere.org", "sip:bob@elsewhere.org"),
        ("sip:bob@elsewhere.org:5070", "sip:bob@elsewhere.org:5070"),
    ],
)  # fmt: skip
def test_dialled_text_becomes_a_request_uri(text: str, request_uri: str) -> None:
    assert str(dial_target(text, ACCOUNT)) == request_uri


def test_the_account_scheme_and_port_carry_over_to_numbers() -> None:
    account = AccountSettings(parse_sip_uri("sips:alice@example.com:5071"))

    target = dial_target("tel:+15551234", account)

    assert str(target) == "sips:+15551234@example.com:5071;user=phone"


@pytest.mark.parametrize("text", ["tel:+15551234", "+1 555 1234"])
def test_a_number_without_an_account_is_one_clear_line(text: str) -> None:
    with pytest.raises(ConfigError, match="called through a SIP account") as raised:
        dial_target(text, None)

    assert "\n" not in str(raised.value)


def test_a_malformed_tel_uri_says_what_is_wrong() -> None:
    with pytest.raises(ConfigError, match="phone-context"):
        dial_target("tel:7042", ACCOUNT)


def test_telephone_numbers_are_never_lan_names() -> None:
    assert is_telephone_number("TEL:7042;phone-context=x.org")
    assert is_telephone_number("+44 20 7946 0000")
    assert not is_telephone_number("5551234")  # a local number may be a LAN name
    assert not is_telephone_number("Bob's phone")


def test_dial_box_accepts_tel_links_and_refuses_numbers_it_cannot_route(tmp_path: Path) -> None:
    with_account = dial_check(PhoneSettings(profile=tmp_path, accounts=(ACCOUNT,)))
    lan_only = dial_check(PhoneSettings(profile=tmp_path, mdns=True))

    assert with_account("tel:+1-555-123-4567") is None
    assert with_account("+1 (555) 123-4567") is None
    assert lan_only("Bob Lab") is None  # a LAN peer's name
    assert "account" in (lan_only("tel:+15551234") or "")
    assert "account" in (lan_only("+1 555 1234") or "")
    assert "phone-context" in (with_account("tel:7042") or "")
