"""Two real phones on loopback in one event loop: calls, cancel, decline, hold, transports."""

from __future__ import annotations

import asyncio
import re
import socket
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import cast

import pytest
from phone_pair import PhonePair, RunningPhone, run, settings_for

from alexphone.engine.commands import Decline, HangUp, Hold, PlaceCall
from alexphone.engine.events import (
    CallChanged,
    CallState,
    Direction,
    RegistrationChanged,
    RegistrationState,
    SipMessageLogged,
)
from alexphone.engine.phone import SHUTDOWN_GRACE
from alexphone.engine.settings import AccountSettings
from alexphone.sdp.negotiation import SdpSession
from alexphone.sdp.offer_answer import LocalMedia
from alexphone.sdp.session import SessionDescription
from alexphone.sip.digest_verify import verify
from alexphone.sip.message import Request, Response, make_response
from alexphone.sip.parser import parse
from alexphone.sip.uri import parse_sip_uri


async def _basic_call(pair: PhonePair) -> tuple[CallChanged, CallChanged]:
    """A calls B (who auto-answers); return each side's confirmed event."""
    pair.a.execute(PlaceCall(pair.b.uri()))
    a_up = await pair.a.call_state(CallState.CONFIRMED, Direction.OUT)
    b_up = await pair.b.call_state(CallState.CONFIRMED, Direction.IN)
    return a_up, b_up


async def _call_and_a_hangs_up(pair: PhonePair) -> tuple[CallChanged, CallChanged]:
    """Run a basic call, let A hang up, return each side's ended event."""
    a_up, _ = await _basic_call(pair)
    pair.a.execute(HangUp(a_up.call_id))
    return (
        await pair.a.call_state(CallState.ENDED),
        await pair.b.call_state(CallState.ENDED),
    )


def test_a_calls_b_and_hangs_up(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with PhonePair.on(tmp_path, auto_answer=0.0) as pair:
            a_end, b_end = await _call_and_a_hangs_up(pair)
            assert a_end.code is None
            assert b_end.code is None and b_end.reason == "Remote hung up"
            assert pair.a.log.states() == [
                CallState.CALLING,
                CallState.RINGING,
                CallState.CONFIRMED,
                CallState.ENDED,
            ]
            assert pair.b.log.states() == [CallState.RINGING, CallState.CONFIRMED, CallState.ENDED]
            assert a_end.call_id == b_end.call_id  # one dialog, one Call-ID on both sides

    run(scenario())


def test_caller_cancels_while_ringing(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with PhonePair.on(tmp_path) as pair:
            pair.a.execute(PlaceCall(pair.b.uri()))
            b_ring = await pair.b.call_state(CallState.RINGING)
            a_ring = await pair.a.call_state(CallState.RINGING)
            assert b_ring.direction is Direction.IN and a_ring.direction is Direction.OUT
            pair.a.execute(HangUp(a_ring.call_id))
            a_end = await pair.a.call_state(CallState.ENDED)
            b_end = await pair.b.call_state(CallState.ENDED)
            assert (a_end.code, b_end.code) == (487, 487)
            assert CallState.CONFIRMED not in pair.a.log.states() + pair.b.log.states()

    run(scenario())


@pytest.mark.parametrize(("busy", "code"), [(True, 486), (False, 603)])
def test_callee_declines(tmp_path: Path, busy: bool, code: int) -> None:
    async def scenario() -> None:
        async with PhonePair.on(tmp_path) as pair:
            pair.a.execute(PlaceCall(pair.b.uri()))
            b_ring = await pair.b.call_state(CallState.RINGING)
            pair.b.execute(Decline(b_ring.call_id, busy=busy))
            a_end = await pair.a.call_state(CallState.ENDED)
            b_end = await pair.b.call_state(CallState.ENDED)
            assert a_end.code == code
            assert b_end.code == code

    run(scenario())


def test_hold_and_resume(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with PhonePair.on(tmp_path, auto_answer=0.0) as pair:
            a_up, _ = await _basic_call(pair)
            pair.a.execute(Hold(a_up.call_id, on=True))
            await pair.a.call_state(CallState.HELD)
            await pair.b.call_state(CallState.HELD)
            pair.a.execute(Hold(a_up.call_id, on=False))
            resumed = [CallState.CONFIRMED, CallState.HELD, CallState.CONFIRMED]
            for phone in (pair.a, pair.b):
                await phone.log.wait_until(partial(_ends_with, phone, resumed), what="no resume")

    run(scenario())


def _ends_with(phone: RunningPhone, states: list[CallState]) -> bool:
    """Tell whether the phone's latest call states are ``states``."""
    return phone.log.states()[-len(states) :] == states


def test_callee_sees_a_caller_address_it_can_call_back(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with PhonePair.on(tmp_path) as pair:
            pair.a.execute(PlaceCall(pair.b.uri()))
            b_ring = await pair.b.call_state(CallState.RINGING)
            pair.b.execute(Decline(b_ring.call_id))
            await pair.a.call_state(CallState.ENDED)
            assert b_ring.remote == pair.a.uri("alice")

    run(scenario())


def test_shutdown_ends_calls_on_both_sides(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with PhonePair.on(tmp_path) as pair:
            pair.a.execute(PlaceCall(pair.b.uri()))
            await pair.a.call_state(CallState.RINGING)
            await pair.b.stop()
            a_end = await pair.a.call_state(CallState.ENDED, timeout=2.0)
            b_end = await pair.b.call_state(CallState.ENDED, timeout=0.0)
            assert (a_end.code, b_end.code) == (480, 480)

    run(scenario())


def test_callee_hangs_up(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with PhonePair.on(tmp_path, auto_answer=0.0) as pair:
            _, b_up = await _basic_call(pair)
            pair.b.execute(HangUp(b_up.call_id))
            a_end = await pair.a.call_state(CallState.ENDED)
            b_end = await pair.b.call_state(CallState.ENDED)
            assert a_end.code is None and a_end.reason == "Remote hung up"
            assert b_end.code is None

    run(scenario())


def test_call_over_tcp(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with PhonePair.on(tmp_path, "tcp:127.0.0.1:0", auto_answer=0.0) as pair:
            assert pair.b.uri().endswith(";transport=tcp")
            a_end, b_end = await _call_and_a_hangs_up(pair)
            assert (a_end.code, b_end.code) == (None, None)

    run(scenario())


def _has_ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _has_ipv6_loopback(), reason="no IPv6 loopback (::1)")
def test_call_over_ipv6(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with PhonePair.on(tmp_path, "udp:[::1]:0", auto_answer=0.0) as pair:
            assert "[::1]" in pair.b.uri()
            a_end, b_end = await _call_and_a_hangs_up(pair)
            assert (a_end.code, b_end.code) == (None, None)

    run(scenario())


def _closed_tcp_port() -> int:
    """Return a loopback TCP port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_tcp_to_closed_port_ends_with_503(tmp_path: Path) -> None:
    async def scenario() -> None:
        phone = await RunningPhone(settings_for(tmp_path / "a", "tcp:127.0.0.1:0")).start()
        try:
            port = _closed_tcp_port()
            phone.execute(PlaceCall(f"sip:nobody@127.0.0.1:{port};transport=tcp"))
            ended = await phone.call_state(CallState.ENDED, timeout=3.0)
            assert ended.code == 503
        finally:
            await phone.stop()

    run(scenario())


# -- a scripted server on raw UDP -------------------------------------------------------------

PASSWORD = "s3cret"
REALM = "example.test"


@dataclass
class ScriptedUas(asyncio.DatagramProtocol):
    """A bare UDP UAS: challenges, redirects or answers INVITEs as a test tells it."""

    challenge: bool = False
    ring_only: bool = False  # answer INVITE with 180 and ignore everything else
    redirect_to: str | None = None
    forks: int = 1  # answer an INVITE with this many 200s, each from another To tag
    bye_seen: asyncio.Event = field(default_factory=asyncio.Event)
    received: list[Request] = field(default_factory=list)
    verified: list[bool] = field(default_factory=list)
    transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # a DatagramTransport in behaviour, though not by class before Python 3.12
        self.transport = cast(asyncio.DatagramTransport, transport)

    @property
    def port(self) -> int:
        """Return the UDP port we listen on."""
        assert self.transport is not None
        port: int = self.transport.get_extra_info("sockname")[1]
        return port

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        message = parse(data)
        if not isinstance(message, Request):
            return
        self.received.append(message)
        if message.method == "BYE":
            self.bye_seen.set()
        reply = self._reply(message)
        if reply is not None and self.transport is not None:
            self.transport.sendto(reply, addr)
            if message.method == "INVITE" and reply.startswith(b"SIP/2.0 200"):
                for fork in range(1, self.forks):  # RFC 3261 §13.2.2.4: a forking proxy
                    self.transport.sendto(
                        reply.replace(b"tag=uas200", f"tag=fork{fork}".encode()), addr
                    )

    def _reply(self, request: Request) -> bytes | None:
        if request.method == "ACK" or (self.ring_only and request.method != "INVITE"):
            return None
        if self.ring_only:
            return bytes(make_response(request, 180, to_tag="uas180"))
        if request.method == "BYE":
            return bytes(make_response(request, 200))
        if request.method == "REGISTER":  # RFC 3261 §10.3: echo the binding as granted
            response = make_response(request, 200, to_tag="uasreg")
            for name in ("Contact", "Expires"):
                for value in request.headers.get_fields(name):
                    response.headers.add(name, value)
            return bytes(response)
        if request.method != "INVITE":
            return bytes(make_response(request, 501))
        if self.redirect_to is not None:  # RFC 3261 §21.3.3
            response = make_response(request, 302, to_tag="uas302")
            response.headers.add("Contact", f"<{self.redirect_to}>")
            return bytes(response)
        credentials = request.headers.get("Proxy-Authorization")
        if self.challenge and credentials is None:  # RFC 3261 §22.3
            response = make_response(request, 407, to_tag="uas407")
            response.headers.add(
                "Proxy-Authenticate", f'Digest realm="{REALM}", nonce="n0nce42", qop="auth"'
            )
            return bytes(response)
        if credentials is not None:
            ok = verify(credentials, "INVITE", PASSWORD, username="alice")
            self.verified.append(ok)
            if not ok:
                return bytes(make_response(request, 403, to_tag="uas403"))
        return bytes(self._accept(request))

    def _accept(self, request: Request) -> Response:
        sdp = SdpSession(LocalMedia("127.0.0.1", 40000), session_id=7)
        answer = sdp.answer(SessionDescription.parse(request.body)).sdp
        response = make_response(request, 200, to_tag="uas200")
        assert self.transport is not None
        response.headers.add("Contact", f"<sip:uas@127.0.0.1:{self.port}>")
        response.headers.add("Content-Type", "application/sdp")
        response.body = answer.to_bytes()
        return response


async def _start_uas(uas: ScriptedUas) -> ScriptedUas:
    loop = asyncio.get_running_loop()
    await loop.create_datagram_endpoint(lambda: uas, local_addr=("127.0.0.1", 0))
    return uas


def test_invite_answers_proxy_challenge(tmp_path: Path) -> None:
    async def scenario() -> None:
        uas = await _start_uas(ScriptedUas(challenge=True))
        aor = parse_sip_uri(f"sip:alice@127.0.0.1:{uas.port}")
        account = AccountSettings(aor=aor, password=PASSWORD)
        # no registrar runs here: the account only gives the phone its credentials
        phone = RunningPhone(settings_for(tmp_path / "a", user="alice", accounts=(account,)))
        try:
            await phone.start()
            await phone.log.wait_for(
                RegistrationChanged, lambda e: e.state is RegistrationState.REGISTERED
            )
            phone.execute(PlaceCall(f"sip:bob@127.0.0.1:{uas.port}"))
            await phone.call_state(CallState.CONFIRMED)
            invites = [r for r in uas.received if r.method == "INVITE"]
            assert len(invites) == 2
            assert uas.verified == [True]
            assert invites[1].call_id == invites[0].call_id
            assert invites[1].cseq.seq == invites[0].cseq.seq + 1
        finally:
            await phone.stop()
            assert uas.transport is not None
            uas.transport.close()

    run(scenario())


def test_redirect_reaches_the_new_target(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with PhonePair.on(tmp_path, auto_answer=0.0) as pair:
            uas = await _start_uas(ScriptedUas(redirect_to=pair.b.uri()))
            try:
                pair.a.execute(PlaceCall(f"sip:bob@127.0.0.1:{uas.port}"))
                a_up = await pair.a.call_state(CallState.CONFIRMED)
                await pair.b.call_state(CallState.CONFIRMED, Direction.IN)
                assert [r.method for r in uas.received][:1] == ["INVITE"]
                pair.a.execute(HangUp(a_up.call_id))
                await pair.b.call_state(CallState.ENDED)
            finally:
                assert uas.transport is not None
                uas.transport.close()

    run(scenario())


def test_shutdown_ends_a_call_the_peer_never_finishes(tmp_path: Path) -> None:
    async def scenario() -> None:
        uas = await _start_uas(ScriptedUas(ring_only=True))
        phone = await RunningPhone(settings_for(tmp_path / "a")).start()
        try:
            phone.execute(PlaceCall(f"sip:bob@127.0.0.1:{uas.port}"))
            await phone.call_state(CallState.RINGING)
        finally:
            await phone.stop(timeout=SHUTDOWN_GRACE + 2.0)
            assert uas.transport is not None
            uas.transport.close()
        assert phone.log.states()[-1] is CallState.ENDED

    run(scenario())


def test_second_fork_2xx_is_acked_and_hung_up(tmp_path: Path) -> None:
    async def scenario() -> None:
        uas = await _start_uas(ScriptedUas(forks=2))
        phone = await RunningPhone(settings_for(tmp_path / "a")).start()
        try:
            phone.execute(PlaceCall(f"sip:bob@127.0.0.1:{uas.port}"))
            await phone.call_state(CallState.CONFIRMED)
            await asyncio.wait_for(uas.bye_seen.wait(), 5)
            byes = [r for r in uas.received if r.method == "BYE"]
            acks = [r for r in uas.received if r.method == "ACK"]
            assert [b.to.tag for b in byes] == ["fork1"]
            assert {a.to.tag for a in acks} == {"uas200", "fork1"}
            assert phone.log.states()[-1] is CallState.CONFIRMED  # the first fork stays up
        finally:
            await phone.stop()
            assert uas.transport is not None
            uas.transport.close()

    run(scenario())


def _responses(phone: RunningPhone, direction: Direction, status: int) -> int:
    """Count the responses to INVITEs with ``status`` the phone sent or received (its SIP log)."""
    return sum(
        1
        for e in phone.log.events
        if isinstance(e, SipMessageLogged)
        and e.direction is direction
        and e.text.startswith(f"SIP/2.0 {status} ")
        and re.search(r"^CSeq: *\d+ +INVITE\r$", e.text, re.MULTILINE) is not None
    )


@pytest.mark.slow
def test_crossing_reinvites_get_491_and_both_are_retried(tmp_path: Path) -> None:
    """Both sides hold at once: each answers the other 491, then retries (RFC 3261 §14.1)."""

    async def scenario() -> None:
        a = settings_for(tmp_path / "a", user="alice", log_sip=True)
        b = settings_for(tmp_path / "b", user="bob", log_sip=True, auto_answer=0.0)
        async with PhonePair(a, b) as pair:
            a_up, b_up = await _basic_call(pair)
            pair.a.execute(Hold(a_up.call_id, on=True))  # both re-INVITEs leave before
            pair.b.execute(Hold(b_up.call_id, on=True))  # either arrives: glare
            # B (not the Call-ID's owner) retries after 0-2 s, A after 2.1-4 s
            for phone, answered in ((pair.a, 2), (pair.b, 1)):  # A's count has the first 200
                await phone.log.wait_until(
                    lambda p=phone, n=answered: _responses(p, Direction.IN, 200) >= n,
                    timeout=8.0,
                    what="the retried re-INVITE answered 200",
                )
            for phone in (pair.a, pair.b):
                assert _responses(phone, Direction.OUT, 491) >= 1
                assert _responses(phone, Direction.IN, 491) >= 1
                assert phone.log.states()[-1] is CallState.HELD

    run(scenario())
