"""Registration state machine driven by a fake clock and a scripted registrar."""

from __future__ import annotations

import dataclasses
import random
from typing import Any

import pytest

from alexphone.core.clock import FakeClock
from alexphone.core.errors import ConfigError
from alexphone.core.ids import BRANCH_MAGIC, IdFactory
from alexphone.sip.auth import Authorization, DigestCredentials
from alexphone.sip.digest_verify import verify
from alexphone.sip.message import Request, Response, make_response
from alexphone.sip.parser import parse
from alexphone.sip.registration import (
    Account,
    Registration,
    RegistrationConfig,
    RegistrationPhase,
    RegistrationStateChanged,
)
from alexphone.sip.uri import parse_sip_uri

S = RegistrationPhase
AOR = "sip:alice@example.com"
CONTACT = "<sip:alice@192.0.2.10:5070>"
PASSWORD = "secret"


def make_registration(
    password: str = PASSWORD, credentials: bool = True, **account: Any
) -> Registration:
    creds = DigestCredentials("alice", password) if credentials else None
    base = Account(parse_sip_uri(AOR), parse_sip_uri("sip:registrar.example.com:5080"), creds)
    acc = dataclasses.replace(base, **account)
    return Registration(acc, IdFactory(random.Random(7)), sent_by=("192.0.2.10", 5070))


def take(reg: Registration) -> Request:
    request = reg.next_request()
    assert request is not None
    assert reg.next_request() is None
    return request


def events(reg: Registration) -> list[RegistrationStateChanged]:
    found = []
    while (event := reg.next_event()) is not None:
        found.append(event)
    return found


def states(reg: Registration) -> list[tuple[S, int | None]]:
    return [(event.state, event.code) for event in events(reg)]


def ok(request: Request, expires: int | None = 600, *, via: str | None = None) -> Response:
    response = make_response(request, 200, to_tag="reg1")
    contact = CONTACT if expires is None else f"{CONTACT};expires={expires}"
    response.headers.add("Contact", "<sip:alice@198.51.100.7:5060>;expires=30")  # another device
    response.headers.add("Contact", contact)
    if via is not None:
        response.headers.set("Via", via)
    return response


def challenge(request: Request, algorithm: str = "MD5", nonce: str = "abc") -> Response:
    response = make_response(request, 401, to_tag="reg1")
    response.headers.add(
        "WWW-Authenticate",
        f'Digest realm="example.com", nonce="{nonce}", qop="auth", algorithm={algorithm}',
    )
    return response


def registered(reg: Registration, clock: FakeClock) -> Request:
    reg.start(clock())
    request = take(reg)
    reg.receive_response(challenge(request), clock())
    retry = take(reg)
    reg.receive_response(ok(retry), clock())
    assert reg.state is S.REGISTERED
    events(reg)
    return retry


def test_first_register_request() -> None:
    reg = make_registration(
        display_name="Alice", instance_id="urn:uuid:00000000-0000-0000-0000-000000000001", reg_id=1
    )
    reg.start(0.0)
    assert states(reg) == [(S.REGISTERING, None)]
    request = take(reg)
    assert request.method == "REGISTER"
    assert str(request.uri) == "sip:registrar.example.com:5080"
    assert request.from_.uri == request.to.uri == parse_sip_uri(AOR)
    assert request.from_.display_name == "Alice"
    assert request.from_.tag and request.to.tag is None
    assert request.call_id == reg.call_id
    assert request.cseq.method == "REGISTER"
    via = request.top_via
    assert (via.transport, via.host, via.port) == ("UDP", "192.0.2.10", 5070)
    assert via.branch is not None and via.branch.startswith(BRANCH_MAGIC) and via.has_rport
    (contact,) = request.contacts
    assert str(contact.uri) == "sip:alice@192.0.2.10:5070"
    assert contact.expires == 3600 and request.headers.get("Expires") == "3600"
    assert contact.param("+sip.instance") == '"<urn:uuid:00000000-0000-0000-0000-000000000001>"'
    assert contact.param("reg-id") == "1"
    assert request.headers.get("Supported") == "path, outbound"
    assert request.headers.get("User-Agent") == "Alexphone"
    assert request.max_forwards == 70
    assert reg.get_timer() is None


@pytest.mark.parametrize("algorithm", ["MD5", "SHA-256"])
def test_challenge_then_200(algorithm: str) -> None:
    clock = FakeClock(100.0)
    reg = make_registration()
    reg.start(clock())
    first = take(reg)
    assert states(reg) == [(S.REGISTERING, None)]
    reg.receive_response(challenge(first, algorithm), clock())
    assert reg.state is S.REGISTERING and events(reg) == []
    retry = take(reg)
    assert retry.call_id == first.call_id and retry.from_.tag == first.from_.tag
    assert retry.cseq.seq == first.cseq.seq + 1
    assert retry.top_via.branch != first.top_via.branch
    (value,) = retry.headers.get_fields("Authorization")
    assert Authorization.parse(value).algorithm.value == algorithm
    assert verify(value, "REGISTER", PASSWORD, username="alice")
    # a late 401 to the first request is ignored: only the latest CSeq counts
    reg.receive_response(challenge(first, algorithm, nonce="late"), clock())
    assert reg.next_request() is None
    reg.receive_response(make_response(retry, 100), clock())  # provisional: ignored
    reg.receive_response(ok(retry, 600), clock())
    assert [(e.state, e.code, e.expires) for e in events(reg)] == [(S.REGISTERED, 200, 600)]
    assert reg.granted_expires == 600
    assert reg.get_timer() == pytest.approx(100.0 + 540.0)


def test_wrong_password_fails_after_one_retry() -> None:
    reg = make_registration(password="wrong")
    reg.start(0.0)
    reg.receive_response(challenge(take(reg)), 0.0)
    retry = take(reg)
    assert not verify(retry.headers.get("Authorization") or "", "REGISTER", PASSWORD)
    reg.receive_response(challenge(retry, nonce="fresh"), 0.5)
    assert reg.state is S.FAILED
    assert states(reg) == [(S.REGISTERING, None), (S.FAILED, 401)]
    assert reg.next_request() is None
    assert reg.get_timer() is None  # no retry with a password known to be wrong


def test_wrong_password_may_retry_when_configured() -> None:
    acc = Account(parse_sip_uri(AOR), credentials=DigestCredentials("alice", "x"))
    config = RegistrationConfig(retry_after_auth_failure=True)
    reg = Registration(acc, IdFactory(random.Random(1)), sent_by=("h", 5060), config=config)
    reg.start(0.0)
    reg.receive_response(challenge(take(reg)), 0.0)
    reg.receive_response(challenge(take(reg)), 0.0)
    assert reg.state is S.FAILED and reg.get_timer() == 30.0
    assert str(take_after_timer(reg, 30.0).uri) == "sip:example.com"


def take_after_timer(reg: Registration, now: float) -> Request:
    reg.handle_timer(now)
    return take(reg)


def test_stale_nonce_is_answered_again() -> None:
    reg = make_registration()
    reg.start(0.0)
    reg.receive_response(challenge(take(reg)), 0.0)
    retry = take(reg)
    stale = make_response(retry, 401)
    stale.headers.add("WWW-Authenticate", 'Digest realm="example.com", nonce="new", stale=true')
    reg.receive_response(stale, 0.0)
    again = take(reg)
    assert Authorization.parse(again.headers.get("Authorization") or "").nonce == "new"
    assert reg.state is S.REGISTERING


def test_401_without_credentials_fails() -> None:
    reg = make_registration(credentials=False)
    reg.start(0.0)
    reg.receive_response(challenge(take(reg)), 0.0)
    assert states(reg)[-1] == (S.FAILED, 401)


def test_423_retries_with_min_expires() -> None:
    reg = make_registration(expires=60)
    reg.start(0.0)
    first = take(reg)
    too_brief = make_response(first, 423)
    too_brief.headers.add("Min-Expires", "1800")
    reg.receive_response(too_brief, 0.0)
    second = take(reg)
    assert second.headers.get("Expires") == "1800" and second.contacts[0].expires == 1800
    assert second.cseq.seq == first.cseq.seq + 1 and reg.requested_expires == 1800
    reg.receive_response(challenge(second), 0.0)
    third = take(reg)
    reg.receive_response(ok(third, 1800), 0.0)
    assert reg.state is S.REGISTERED and reg.granted_expires == 1800
    # a 423 whose Min-Expires is not above what we asked is a failure, not a loop
    reg.handle_timer(reg.get_timer() or 0.0)
    refresh = take(reg)
    again = make_response(refresh, 423)
    again.headers.add("Min-Expires", "1800")
    reg.receive_response(again, 2000.0)
    assert states(reg)[-1] == (S.FAILED, 423)


def test_refresh_at_ninety_percent() -> None:
    clock = FakeClock(1000.0)
    reg = make_registration()
    first = registered(reg, clock)
    assert reg.get_timer() == pytest.approx(1540.0)
    clock.advance(539.0)
    reg.handle_timer(clock())
    assert reg.next_request() is None and reg.state is S.REGISTERED
    clock.advance(1.0)
    reg.handle_timer(clock())
    assert states(reg) == [(S.REFRESHING, None)]
    refresh = take(reg)
    assert refresh.call_id == first.call_id and refresh.from_.tag == first.from_.tag
    assert refresh.cseq.seq == first.cseq.seq + 1
    assert refresh.headers.get("Expires") == "3600"
    reg.receive_response(ok(refresh, 3600), clock())
    assert states(reg) == [(S.REGISTERED, 200)]
    assert reg.get_timer() == pytest.approx(1540.0 + 3240.0)


def test_expiry_from_expires_header_when_contact_has_none() -> None:
    reg = make_registration()
    reg.start(0.0)
    request = take(reg)
    response = ok(request, expires=None)
    response.headers.add("Expires", "120")
    reg.receive_response(response, 0.0)
    assert reg.granted_expires == 120 and reg.get_timer() == pytest.approx(108.0)


def test_unregister_sends_expires_zero() -> None:
    clock = FakeClock()
    reg = make_registration()
    last = registered(reg, clock)
    reg.stop(clock())
    assert states(reg) == [(S.UNREGISTERING, None)]
    bye = take(reg)
    assert bye.headers.get("Expires") == "0" and bye.contacts[0].expires == 0
    assert bye.call_id == last.call_id and bye.cseq.seq == last.cseq.seq + 1
    assert reg.get_timer() is None
    reg.receive_response(challenge(bye, nonce="n2"), clock())
    authed = take(reg)
    assert authed.headers.get("Expires") == "0" and "Authorization" in authed.headers
    reg.receive_response(make_response(authed, 200), clock())
    assert states(reg) == [(S.UNREGISTERED, 200)]
    assert reg.get_timer() is None and reg.granted_expires is None
    reg.stop(clock())
    assert reg.next_request() is None and events(reg) == []


def test_unregister_failure_still_ends_unregistered() -> None:
    reg = make_registration()
    registered(reg, FakeClock())
    reg.stop(1.0)
    take(reg)
    reg.timed_out(33.0)
    assert states(reg) == [(S.UNREGISTERING, None), (S.UNREGISTERED, 408)]


def test_403_fails_and_retries_with_backoff() -> None:
    reg = make_registration()
    reg.start(0.0)
    reg.receive_response(make_response(take(reg), 403), 1.0)
    assert [(e.state, e.code, e.reason) for e in events(reg)][-1] == (S.FAILED, 403, "Forbidden")
    assert reg.get_timer() == 31.0
    reg.handle_timer(30.0)
    assert reg.next_request() is None
    reg.handle_timer(31.0)
    assert states(reg) == [(S.REGISTERING, None)]
    retry = take(reg)
    reg.receive_response(make_response(retry, 404), 32.0)
    assert reg.get_timer() == 92.0  # second failure: 60 s
    reg.handle_timer(92.0)
    unavailable = make_response(take(reg), 503)
    unavailable.headers.add("Retry-After", "300 (maintenance)")
    reg.receive_response(unavailable, 100.0)
    assert reg.get_timer() == 400.0  # Retry-After beats the 120 s backoff
    reg.handle_timer(400.0)
    reg.receive_response(ok(take(reg)), 401.0)
    assert reg.state is S.REGISTERED
    reg.handle_timer(reg.get_timer() or 0.0)
    reg.receive_response(make_response(take(reg), 500), 1000.0)
    assert reg.get_timer() == 1030.0  # success reset the backoff


def test_backoff_is_capped() -> None:
    config = RegistrationConfig(retry_base=30.0, retry_max=1800.0)
    assert [config.retry_delay(n) for n in (1, 2, 3, 6, 7, 100)] == [30, 60, 120, 960, 1800, 1800]
    with pytest.raises(ConfigError):
        RegistrationConfig(refresh_fraction=1.5)
    with pytest.raises(ConfigError):
        Account(parse_sip_uri(AOR), expires=0)


def test_timeout_fails_with_408_and_transport_error_with_503() -> None:
    reg = make_registration()
    reg.start(0.0)
    take(reg)
    reg.timed_out(32.0)
    assert states(reg)[-1] == (S.FAILED, 408)
    reg.timed_out(33.0)  # nothing in flight: ignored
    assert events(reg) == []
    reg.handle_timer(reg.get_timer() or 0.0)
    take(reg)
    reg.transport_failed(70.0)
    assert states(reg)[-1] == (S.FAILED, 503)


def test_refresh_failure_then_stop_removes_live_binding() -> None:
    clock = FakeClock()
    reg = make_registration()
    registered(reg, clock)
    reg.handle_timer(540.0)
    take(reg)
    reg.timed_out(572.0)
    assert reg.state is S.FAILED
    reg.stop(573.0)  # the old binding lives until 600: remove it
    assert take(reg).headers.get("Expires") == "0"


def test_stop_without_binding_needs_no_request() -> None:
    reg = make_registration()
    reg.start(0.0)
    reg.receive_response(make_response(take(reg), 403), 0.0)
    reg.stop(1.0)
    assert states(reg)[-1] == (S.UNREGISTERED, None)
    assert reg.next_request() is None and reg.get_timer() is None


def test_start_is_idempotent_and_restarts_after_stop() -> None:
    reg = make_registration()
    reg.start(0.0)
    request = take(reg)
    reg.start(0.0)
    assert reg.next_request() is None
    reg.stop(0.0)
    bye = take(reg)
    reg.receive_response(ok(request), 0.0)  # answer to the superseded REGISTER: ignored
    assert reg.state is S.UNREGISTERING
    reg.start(0.1)
    again = take(reg)
    assert again.cseq.seq == bye.cseq.seq + 1 and again.headers.get("Expires") == "3600"
    assert states(reg)[-1] == (S.REGISTERING, None)


def test_public_address_learned_from_via() -> None:
    reg = make_registration()
    reg.start(0.0)
    request = take(reg)
    assert reg.public_address is None
    via = f"{request.headers.get('Via')};received=203.0.113.5".replace(";rport", ";rport=40000")
    reg.receive_response(ok(request, via=via), 0.0)
    assert reg.public_address == ("203.0.113.5", 40000)
    assert reg.next_request() is None  # only exposed: no automatic re-register


def test_contact_matched_by_instance_id() -> None:
    instance = "urn:uuid:00000000-0000-0000-0000-00000000000a"
    reg = make_registration(instance_id=instance)
    reg.start(0.0)
    request = take(reg)
    response = make_response(request, 200)
    response.headers.add("Contact", "<sip:other@203.0.113.9>;expires=50")
    response.headers.add(
        "Contact", f'<sip:alice@203.0.113.5:40000>;+sip.instance="<{instance}>";expires=90'
    )
    reg.receive_response(response, 0.0)
    assert reg.granted_expires == 90


def test_tcp_contact_and_update_local() -> None:
    acc = Account(parse_sip_uri(AOR))
    reg = Registration(acc, IdFactory(random.Random(3)), sent_by=("::1", 5062), transport="tcp")
    reg.start(0.0)
    request = take(reg)
    assert request.top_via.transport == "TCP" and request.top_via.host == "::1"
    assert str(request.contacts[0].uri) == "sip:alice@[::1]:5062;transport=tcp"
    reg.update_local(("192.0.2.4", 5060), "udp")
    reg.receive_response(make_response(request, 500), 0.0)
    reg.handle_timer(30.0)
    retry = take(reg)
    assert retry.top_via.sent_by == "192.0.2.4:5060"
    assert str(retry.contacts[0].uri) == "sip:alice@192.0.2.4:5060"


def test_wire_round_trip_with_a_captured_style_401() -> None:
    reg = make_registration()
    reg.start(0.0)
    sent = parse(bytes(take(reg)))
    assert isinstance(sent, Request) and sent.method == "REGISTER"
    via = sent.headers.get("Via")
    wire = (
        "SIP/2.0 401 Unauthorized\r\n"
        f"Via: {via};received=203.0.113.5\r\n"
        f"From: {sent.headers.get('From')}\r\n"
        f"To: {sent.headers.get('To')};tag=as5d\r\n"
        f"Call-ID: {sent.call_id}\r\n"
        f"CSeq: {sent.cseq}\r\n"
        "Server: Asterisk PBX 20\r\n"
        'WWW-Authenticate: Digest algorithm=MD5, realm="asterisk",nonce="1a2b3c"\r\n'
        "Content-Length: 0\r\n\r\n"
    ).encode()
    challenged = parse(wire)
    assert isinstance(challenged, Response)
    reg.receive_response(challenged, 0.0)
    retry = parse(bytes(take(reg)))
    assert isinstance(retry, Request)
    value = retry.headers.get("Authorization") or ""
    assert verify(value, "REGISTER", PASSWORD, username="alice")
    assert Authorization.parse(value).uri == "sip:registrar.example.com:5080"


def test_refresh_now_reregisters_with_the_new_contact_at_once() -> None:
    import random

    from alexphone.core.ids import IdFactory
    from alexphone.sip.message import make_response
    from alexphone.sip.registration import Account, Registration, RegistrationPhase
    from alexphone.sip.uri import parse_sip_uri

    machine = Registration(
        Account(aor=parse_sip_uri("sip:alice@lab.test")),
        IdFactory(random.Random(7)),
        sent_by=("10.0.1.2", 5060),
    )
    machine.start(0.0)
    first = machine.next_request()
    assert first is not None
    ok = make_response(first, 200, to_tag="r")
    ok.headers.set("Expires", "600")
    machine.receive_response(ok, 0.1)
    assert machine.state is RegistrationPhase.REGISTERED

    machine.update_local(("10.0.2.9", 5060), "UDP")
    machine.refresh_now(5.0)

    again = machine.next_request()
    assert machine.state is RegistrationPhase.REFRESHING
    assert again is not None and "10.0.2.9" in (again.headers.get("Contact") or "")
    assert again.cseq.seq == first.cseq.seq + 1


def test_a_moved_contact_unbinds_the_old_one_in_the_same_register() -> None:
    clock = FakeClock(0.0)
    reg = make_registration()
    registered(reg, clock)
    reg.update_local(("198.51.100.20", 5070), "udp")  # the network changed under us
    reg.refresh_now(clock())
    moved = take(reg)
    contacts = [(str(c.uri), c.expires) for c in moved.contacts]
    assert contacts == [
        ("sip:alice@198.51.100.20:5070", 3600),  # what the account asks for
        ("sip:alice@192.0.2.10:5070", 0),  # RFC 3261 §10.2.2: remove the binding we left
    ]
    answer = make_response(moved, 200, to_tag="reg1")
    answer.headers.add("Contact", "<sip:alice@198.51.100.20:5070>;expires=600")
    reg.receive_response(answer, clock())
    assert reg.state is S.REGISTERED
    clock.advance(600)
    reg.handle_timer(clock())
    refresh = take(reg)
    assert [str(c.uri) for c in refresh.contacts] == ["sip:alice@198.51.100.20:5070"]


def test_the_same_contact_after_a_change_unbinds_nothing() -> None:
    clock = FakeClock(0.0)
    reg = make_registration()
    registered(reg, clock)
    reg.update_local(("192.0.2.10", 5070), "udp")
    reg.refresh_now(clock())
    assert len(take(reg).contacts) == 1
