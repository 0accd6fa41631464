"""The transferee's REFER core: Refer-To checks, sipfrag bodies, the subscription table."""

from __future__ import annotations

import pytest

from alexphone.core.errors import LocalProtocolError
from alexphone.sip.message import Request
from alexphone.sip.parser import parse
from alexphone.sip.refer import (
    TABLE,
    Notify,
    Referral,
    ReferRefused,
    ReferSubscription,
    TransferInput,
    TransferState,
    parse_refer,
    sipfrag,
)
from alexphone.sip.replaces import Replaces
from alexphone.sip.uri import parse_sip_uri


def refer(*extra: str) -> Request:
    lines = [
        "REFER sip:bob@192.0.2.2:5060 SIP/2.0",
        "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKrefer1",
        "From: <sip:alice@192.0.2.1>;tag=a1",
        "To: <sip:bob@192.0.2.2>;tag=b1",
        "Call-ID: call-1",
        "CSeq: 7 REFER",
        "Max-Forwards: 70",
        *extra,
        "Content-Length: 0",
        "",
        "",
    ]
    message = parse("\r\n".join(lines).encode())
    assert isinstance(message, Request)
    return message


def test_refer_to_in_angle_brackets_names_the_target_and_cseq() -> None:
    referral = parse_refer(refer("Refer-To: <sip:carol@192.0.2.3:5070>"))
    assert referral == Referral(parse_sip_uri("sip:carol@192.0.2.3:5070"), None, 7)


def test_bare_refer_to_and_referred_by_are_kept() -> None:
    request = refer("Refer-To: sip:carol@192.0.2.3", "Referred-By: <sip:alice@192.0.2.1>")
    referral = parse_refer(request)
    assert str(referral.target) == "sip:carol@192.0.2.3"
    assert referral.referred_by == "<sip:alice@192.0.2.1>"


@pytest.mark.parametrize(
    "extra",
    [
        (),  # no Refer-To
        ("Refer-To: <sip:carol@192.0.2.3>", "Refer-To: <sip:dave@192.0.2.4>"),  # two
        ("Refer-To: <sip:carol@192.0.2.3",),  # unclosed
        ("Refer-To: <mailto:carol@example.com>",),  # not SIP
        ("Refer-To: <sip:carol@192.0.2.3?Subject=hi>",),  # a header other than Replaces
        ("Refer-To: <sip:carol@192.0.2.3?Replaces=abc%3Bto-tag%3D1>",),  # no from-tag
        ("Refer-To: <sip:c@192.0.2.3?Replaces=a%3Bto-tag%3D1%3Bfrom-tag%3D2&Replaces=b>",),
    ],
)
def test_a_bad_refer_to_is_refused_with_400(extra: tuple[str, ...]) -> None:
    with pytest.raises(ReferRefused) as refused:
        parse_refer(refer(*extra))
    assert refused.value.status == 400


def test_a_replaces_in_refer_to_is_taken_out_of_the_target() -> None:
    request = refer("Refer-To: <sip:carol@192.0.2.3?Replaces=abc%40h%3Bto-tag%3D1%3Bfrom-tag%3D2>")
    referral = parse_refer(request)
    assert str(referral.target) == "sip:carol@192.0.2.3"
    assert referral.replaces == Replaces("abc@h", to_tag="1", from_tag="2")


def test_sipfrag_is_one_status_line() -> None:
    assert sipfrag(100, "Trying") == b"SIP/2.0 100 Trying\r\n"
    assert sipfrag(486, "Busy Here") == b"SIP/2.0 486 Busy Here\r\n"


def _subscription() -> ReferSubscription:
    return ReferSubscription(parse_refer(refer("Refer-To: <sip:carol@192.0.2.3>")))


def test_success_notifies_trying_then_200_terminating_the_subscription() -> None:
    sub = _subscription()
    sub.feed(TransferInput.STARTED)
    assert sub.next_notify() == Notify(b"SIP/2.0 100 Trying\r\n", "active;expires=60", "refer;id=7")
    assert sub.next_notify() is None and not sub.done
    sub.feed(TransferInput.ANSWERED, 200, "OK")
    assert sub.next_notify() == Notify(
        b"SIP/2.0 200 OK\r\n", "terminated;reason=noresource", "refer;id=7"
    )
    assert sub.state is TransferState.SUCCEEDED and sub.done


def test_failure_notifies_the_targets_final_status() -> None:
    sub = _subscription()
    sub.feed(TransferInput.STARTED)
    sub.next_notify()
    sub.feed(TransferInput.FAILED, 486, "Busy Here")
    final = sub.next_notify()
    assert final is not None and final.body == b"SIP/2.0 486 Busy Here\r\n"
    assert final.subscription_state.startswith("terminated")
    assert sub.state is TransferState.FAILED


_MISSING = [(s, w) for s in TransferState for w in TransferInput if (s, w) not in TABLE]


@pytest.mark.parametrize(("state", "what"), _MISSING)
def test_every_pair_without_a_row_is_refused_and_changes_nothing(
    state: TransferState, what: TransferInput
) -> None:
    sub = _subscription()
    sub.state = state
    with pytest.raises(LocalProtocolError):
        sub.feed(what)
    assert sub.state is state and sub.next_notify() is None
