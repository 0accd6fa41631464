"""Dialog state from real-looking INVITE exchanges (RFC 3261 §12)."""

from __future__ import annotations

import pytest

from alexphone.core.errors import RemoteProtocolError
from alexphone.sip.dialog import Dialog, DialogState, needs_sips_contact, next_hop
from alexphone.sip.headers import Via
from alexphone.sip.message import Request, Response
from alexphone.sip.parser import parse
from alexphone.sip.uri import SipUri, parse_sip_uri

INVITE = (
    b"INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP client.atlanta.example.com:5060;branch=z9hG4bK74bf9\r\n"
    b"Max-Forwards: 70\r\n"
    b"From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl\r\n"
    b"To: Bob <sip:bob@biloxi.example.com>\r\n"
    b"Call-ID: 3848276298220188511@atlanta.example.com\r\n"
    b"CSeq: 2 INVITE\r\n"
    b"Contact: <sip:alice@client.atlanta.example.com;transport=udp>\r\n"
    b"Record-Route: <sip:p2.example.com;lr>, <sip:p1.example.com;lr>\r\n"
    b"Content-Length: 0\r\n\r\n"
)
OK = (
    b"SIP/2.0 200 OK\r\n"
    b"Via: SIP/2.0/UDP client.atlanta.example.com:5060;branch=z9hG4bK74bf9\r\n"
    b"From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl\r\n"
    b"To: Bob <sip:bob@biloxi.example.com>;tag=8321234356\r\n"
    b"Call-ID: 3848276298220188511@atlanta.example.com\r\n"
    b"CSeq: 2 INVITE\r\n"
    b"Contact: <sip:bob@192.0.2.4>\r\n"
    b"Record-Route: <sip:p2.example.com;lr>, <sip:p1.example.com;lr>\r\n"
    b"Content-Length: 0\r\n\r\n"
)
VIA = Via("UDP", "client.atlanta.example.com", 5060, (("branch", "z9hG4bKnew"),))


def request(data: bytes) -> Request:
    message = parse(data)
    assert isinstance(message, Request)
    return message


def response(data: bytes) -> Response:
    message = parse(data)
    assert isinstance(message, Response)
    return message


def test_uac_dialog_reverses_record_route_and_targets_the_contact() -> None:
    dialog = Dialog.for_uac(request(INVITE), response(OK))

    assert dialog.state is DialogState.CONFIRMED
    assert dialog.id.local_tag == "9fxced76sl" and dialog.id.remote_tag == "8321234356"
    assert [str(r.uri) for r in dialog.route_set] == [
        "sip:p1.example.com;lr",
        "sip:p2.example.com;lr",
    ]
    bye = dialog.create_request("BYE", VIA)
    assert str(bye.uri) == "sip:bob@192.0.2.4"
    assert bye.headers.get_all("Route") == ["<sip:p1.example.com;lr>", "<sip:p2.example.com;lr>"]
    assert bye.cseq.seq == 3 and bye.cseq.method == "BYE"
    assert bye.to.tag == "8321234356" and bye.from_.tag == "9fxced76sl"
    assert str(next_hop(bye)) == "sip:p1.example.com;lr"


def test_ack_reuses_the_invite_cseq_number() -> None:
    dialog = Dialog.for_uac(request(INVITE), response(OK))

    ack = dialog.create_request("ACK", VIA, cseq=2)

    assert (ack.cseq.seq, ack.cseq.method) == (2, "ACK")
    assert dialog.local_seq == 2


def test_strict_router_becomes_the_request_uri() -> None:
    ok = OK.replace(b"<sip:p2.example.com;lr>, <sip:p1.example.com;lr>", b"<sip:p1.example.com>")
    dialog = Dialog.for_uac(request(INVITE), response(ok))

    bye = dialog.create_request("BYE", VIA)

    assert str(bye.uri) == "sip:p1.example.com"
    assert bye.headers.get_all("Route") == ["<sip:bob@192.0.2.4>"]


def test_uas_dialog_keeps_record_route_order_and_checks_cseq() -> None:
    dialog = Dialog.for_uas(request(INVITE), "uastag")

    assert dialog.remote_target == SipUri(
        host="client.atlanta.example.com", user="alice", params=(("transport", "udp"),)
    )
    assert [str(r.uri) for r in dialog.route_set] == [
        "sip:p2.example.com;lr",
        "sip:p1.example.com;lr",
    ]
    later = request(
        INVITE.replace(b"CSeq: 2 INVITE", b"CSeq: 3 BYE").replace(b"INVITE sip:", b"BYE sip:")
    )
    stale = request(
        INVITE.replace(b"CSeq: 2 INVITE", b"CSeq: 1 BYE").replace(b"INVITE sip:", b"BYE sip:")
    )
    assert dialog.receive_request(stale) == 500
    assert dialog.receive_request(later) is None
    assert dialog.remote_seq == 3


def test_reinvite_refreshes_the_remote_target() -> None:
    dialog = Dialog.for_uas(request(INVITE), "uastag")
    reinvite = request(
        INVITE.replace(b"CSeq: 2", b"CSeq: 5").replace(
            b"client.atlanta.example.com;transport=udp", b"198.51.100.7:5062"
        )
    )

    assert dialog.receive_request(reinvite) is None

    assert str(dialog.remote_target) == "sip:alice@198.51.100.7:5062"


def test_response_without_to_tag_cannot_create_a_dialog() -> None:
    untagged = OK.replace(b";tag=8321234356", b"")

    with pytest.raises(RemoteProtocolError):
        Dialog.for_uac(request(INVITE), response(untagged))


def test_matching_uses_call_id_and_both_tags() -> None:
    dialog = Dialog.for_uac(request(INVITE), response(OK))
    peer_bye = request(
        INVITE.replace(b"INVITE sip:", b"BYE sip:")
        .replace(b"CSeq: 2 INVITE", b"CSeq: 9 BYE")
        .replace(
            b"From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl",
            b"From: Bob <sip:bob@biloxi.example.com>;tag=8321234356",
        )
        .replace(
            b"To: Bob <sip:bob@biloxi.example.com>",
            b"To: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl",
        )
    )

    assert dialog.matches(peer_bye)
    assert not dialog.matches(request(INVITE))


def test_responses_to_invite_echo_record_route_in_order() -> None:
    from alexphone.sip.message import make_response

    invite = request(INVITE)

    ringing = make_response(invite, 180, to_tag="t")
    failure = make_response(invite, 486, to_tag="t")

    assert ringing.headers.get_fields("Record-Route") == [
        "<sip:p2.example.com;lr>, <sip:p1.example.com;lr>"
    ]
    assert "Record-Route" not in failure.headers


@pytest.mark.parametrize(
    ("uri", "route", "record_route", "expected"),
    [
        ("sip:bob@biloxi.example.com", None, None, False),
        ("sips:bob@biloxi.example.com", None, None, True),  # §8.1.1.8
        ("sip:bob@biloxi.example.com", "<sips:p1.example.com;lr>", None, True),  # §8.1.1.8
        ("sip:bob@biloxi.example.com", None, "<sips:p2.example.com;lr>", True),  # §12.1.1
        ("sip:bob@biloxi.example.com", "<sip:p1.example.com;lr;transport=tls>", None, False),
    ],
)
def test_a_sips_request_uri_or_top_route_asks_for_a_sips_contact(
    uri: str, route: str | None, record_route: str | None, expected: bool
) -> None:
    request = Request("INVITE", parse_sip_uri(uri))
    if route is not None:
        request.headers.add("Route", route)
        request.headers.add("Route", "<sip:p9.example.com;lr>")
    if record_route is not None:
        request.headers.add("Record-Route", record_route)

    assert needs_sips_contact(request) is expected
