"""Which account an incoming request came to, and which one our own requests go out for."""

from __future__ import annotations

import pytest

from alexphone.engine.account_match import account_called, account_calling
from alexphone.engine.settings import AccountSettings
from alexphone.sip.uri import SipUri, parse_sip_uri

ALICE = AccountSettings(parse_sip_uri("sip:alice@lab.test"))
CAROL = AccountSettings(parse_sip_uri("sip:carol@lab.test"))
OTHER_ALICE = AccountSettings(parse_sip_uri("sip:alice@other.test"))
ACCOUNTS = (ALICE, CAROL, OTHER_ALICE)
CONTACTS: dict[str, SipUri] = {
    ALICE.key: parse_sip_uri("sip:alice@10.0.1.2:5060"),
    CAROL.key: parse_sip_uri("sip:carol@10.0.1.2:5060;transport=tcp"),
    OTHER_ALICE.key: parse_sip_uri("sip:alice@10.0.1.2:5062"),
}


@pytest.mark.parametrize(
    ("request_uri", "to", "expected"),
    [
        ("sip:carol@LAB.test", "sip:someone@x", CAROL),  # the Request-URI is the AoR
        ("sip:alice@other.test;user=phone", "sip:x@y", OTHER_ALICE),
        ("sip:carol@10.0.1.2:5060;transport=tcp", "sip:x@y", CAROL),  # our registered Contact
        ("sip:alice@10.0.1.2:5062", "sip:alice@lab.test", OTHER_ALICE),  # Contact before To
        ("sip:alice@10.0.1.2", "sip:x@y", ALICE),  # no port means 5060
        ("sip:alice@192.0.2.9", "sip:alice@other.test", OTHER_ALICE),  # To names the AoR
        ("sip:carol@192.0.2.9", "sip:x@y", CAROL),  # only one account has that user
        ("sip:alice@192.0.2.9", "sip:x@y", None),  # two have: none is guessed
        ("sip:dave@lab.test", "sip:dave@lab.test", None),
        ("sip:10.0.1.2:5060", "sip:x@y", None),  # no user part at all
    ],
)
def test_incoming_request_is_matched_to_its_account(
    request_uri: str, to: str, expected: AccountSettings | None
) -> None:
    found = account_called(parse_sip_uri(request_uri), parse_sip_uri(to), ACCOUNTS, CONTACTS)
    assert found == expected


def test_no_accounts_match_nothing() -> None:
    assert account_called(parse_sip_uri("sip:a@b"), parse_sip_uri("sip:a@b"), (), {}) is None


def test_our_requests_go_out_for_the_account_in_from_else_the_first() -> None:
    assert account_calling(parse_sip_uri("sip:carol@lab.test"), ACCOUNTS) == CAROL
    assert account_calling(parse_sip_uri("sip:alexphone@10.0.0.1"), ACCOUNTS) == ALICE
    assert account_calling(parse_sip_uri("sip:alexphone@10.0.0.1"), ()) is None
