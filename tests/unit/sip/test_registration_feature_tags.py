"""Feature tags in the registered Contact (RFC 3840 §9): ``+sip.alex`` beside ``+sip.instance``."""

from __future__ import annotations

import random

from alexphone.core.clock import FakeClock
from alexphone.core.ids import IdFactory
from alexphone.sip.registration import Account, Registration
from alexphone.sip.uri import parse_sip_uri

INSTANCE = "urn:uuid:00000000-0000-0000-0000-000000000001"


def first_contact(account: Account) -> str:
    reg = Registration(account, IdFactory(random.Random(3)), sent_by=("192.0.2.10", 5070))
    reg.start(FakeClock()())
    request = reg.next_request()
    assert request is not None
    contact = request.headers.get("Contact")
    assert contact is not None
    return contact


def test_contact_params_follow_the_instance_and_survive_parsing() -> None:
    account = Account(
        parse_sip_uri("sip:alice@example.com"),
        instance_id=INSTANCE,
        contact_params=(("+sip.alex", None),),
    )
    contact = first_contact(account)
    assert contact.index("+sip.instance") < contact.index(";+sip.alex")
    assert contact.endswith(";+sip.alex")


def test_no_contact_params_no_feature_tag() -> None:
    contact = first_contact(Account(parse_sip_uri("sip:alice@example.com")))
    assert "+sip.alex" not in contact and contact.endswith(";expires=3600")
