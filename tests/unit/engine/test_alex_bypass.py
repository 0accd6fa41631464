"""Direct in-dialog signaling on the ALEX sip pair: the consent rule, the 2 s fallback."""

from __future__ import annotations

import socket
from dataclasses import replace
from pathlib import Path
from typing import Any

from phone_pair import PhonePair, RunningPhone, run, settings_for

from alexphone.engine.alexcall.bypass import (
    FALLBACK_AFTER,
    SignalingBypass,
    _DirectAttempt,
    bypass_allowed,
)
from alexphone.engine.call import Call
from alexphone.engine.commands import HangUp, PlaceCall
from alexphone.engine.events import AlexSelected, CallChanged, CallState, Flow
from alexphone.engine.sip_stack import Destination
from alexphone.media.audio_spec import parse_audio_in, parse_audio_out
from alexphone.sip.dialog import Dialog
from alexphone.sip.headers import NameAddress
from alexphone.sip.message import Request, Response, make_response
from alexphone.sip.parser import parse

QUIET: dict[str, Any] = {
    "audio_in": parse_audio_in("tone:440"),
    "audio_out": parse_audio_out("null"),
}


def _routes(*uris: str) -> list[NameAddress]:
    return [NameAddress.parse(u) for u in uris]


def test_bypass_needs_the_consent_of_every_record_route() -> None:
    assert bypass_allowed([])
    assert bypass_allowed(_routes("<sip:10.0.0.1;lr;alex-bypass>"))
    assert bypass_allowed(_routes("<sip:p1;lr;alex-bypass>", "<sip:p2;alex-bypass;lr>"))
    assert not bypass_allowed(_routes("<sip:10.0.0.1;lr>"))
    assert not bypass_allowed(_routes("<sip:p1;lr;alex-bypass>", "<sip:p2;lr>"))
    assert not bypass_allowed(_routes("<sip:p1;lr;alex-bypassed>"))


# -- the fallback, with a fake clock and a recording sender ------------------------------
class _Timers:
    def __init__(self) -> None:
        self.pending: list[tuple[float, Any]] = []

    def call_later(self, delay: float, callback: Any) -> _Handle:
        handle = _Handle(self, delay, callback)
        self.pending.append((delay, handle))
        return handle

    def fire_all(self) -> None:
        for _, handle in list(self.pending):
            if not handle.cancelled:
                handle.callback()


class _Handle:
    def __init__(self, timers: _Timers, delay: float, callback: Any) -> None:
        self.timers, self.delay, self.callback = timers, delay, callback
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class _Recorder:
    def __init__(self) -> None:
        self.responses: list[int] = []
        self.failures: list[int] = []

    def on_response(self, response: Response) -> None:
        self.responses.append(response.status)

    def on_failure(self, status: int, reason: str) -> None:
        self.failures.append(status)


INVITE = (
    b"INVITE sip:bob@192.0.2.20 SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK1\r\n"
    b"Record-Route: <sip:192.0.2.1;lr>\r\n"
    b"From: <sip:alice@example.com>;tag=a1\r\nTo: <sip:bob@example.com>\r\n"
    b"Call-ID: c1\r\nCSeq: 7 INVITE\r\nContact: <sip:alice@192.0.2.10>\r\n"
    b"Content-Length: 0\r\n\r\n"
)


def _bye() -> tuple[Dialog, Request]:
    invite = parse(INVITE)
    assert isinstance(invite, Request)
    dialog = Dialog.for_uas(invite, "b1")
    return dialog, dialog.create_request("BYE")


def test_silence_for_two_seconds_resends_over_the_route_set_with_a_new_cseq() -> None:
    sent: list[tuple[Request, Any, Destination | None]] = []
    timers = _Timers()
    bypass = SignalingBypass(lambda r, h, d=None: sent.append((r, h, d)), timers.call_later)
    dialog, bye = _bye()
    recorder = _Recorder()
    attempt = _DirectAttempt(bypass, "c1", dialog, bye, recorder)
    assert [delay for delay, _ in timers.pending] == [FALLBACK_AFTER]

    timers.fire_all()

    assert bypass.fallen_back == {"c1"} and bypass.fallbacks == 1
    ((routed, handler, destination),) = sent
    assert destination is None and handler is recorder
    assert routed.headers.get("Route") == "<sip:192.0.2.1;lr>"
    assert routed.cseq.seq == bye.cseq.seq + 1 and routed.method == "BYE"
    attempt.on_response(make_response(bye, 200))  # the abandoned direct transaction: dropped
    attempt.on_failure(408, "Request Timeout")
    assert recorder.responses == [] and recorder.failures == []


def test_an_answer_in_time_cancels_the_fallback() -> None:
    sent: list[Request] = []
    timers = _Timers()
    bypass = SignalingBypass(lambda r, h, d=None: sent.append(r), timers.call_later)
    dialog, bye = _bye()
    recorder = _Recorder()
    attempt = _DirectAttempt(bypass, "c1", dialog, bye, recorder)
    attempt.on_response(make_response(bye, 200))
    timers.fire_all()

    assert recorder.responses == [200] and not sent and not bypass.fallen_back
    assert all(handle.cancelled for _, handle in timers.pending)


def test_a_failed_direct_transaction_falls_back_at_once() -> None:
    sent: list[Request] = []
    timers = _Timers()
    bypass = SignalingBypass(lambda r, h, d=None: sent.append(r), timers.call_later)
    dialog, bye = _bye()
    recorder = _Recorder()
    _DirectAttempt(bypass, "c1", dialog, bye, recorder).on_failure(503, "unreachable")
    assert len(sent) == 1 and bypass.fallen_back == {"c1"} and recorder.failures == []


# -- two phones on loopback ---------------------------------------------------------------
def _pair(tmp_path: Path) -> PhonePair:
    a = replace(settings_for(tmp_path / "a", user="alice"), **QUIET)
    b = replace(settings_for(tmp_path / "b", user="bob"), auto_answer=0.0, **QUIET)
    return PhonePair(a, b)


def _bypass(phone: RunningPhone) -> SignalingBypass:
    assert phone.phone.ua is not None
    return phone.phone.ua.bypass


async def _selected_call(pair: PhonePair) -> str:
    pair.a.execute(PlaceCall(pair.b.uri()))
    up = await pair.a.log.wait_for(CallChanged, lambda e: e.state is CallState.CONFIRMED)
    for phone in (pair.a, pair.b):
        await phone.log.wait_for(AlexSelected, lambda e: e.flow is Flow.SIP)
    return up.call_id


async def _ended(phone: RunningPhone, call_id: str) -> CallChanged:
    return await phone.log.wait_for(
        CallChanged, lambda e: e.call_id == call_id and e.state is CallState.ENDED
    )


def test_bye_goes_to_the_selected_sip_pair(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with _pair(tmp_path) as pair:
            call_id = await _selected_call(pair)
            pair.a.execute(HangUp(call_id))
            await _ended(pair.a, call_id)
            assert (await _ended(pair.b, call_id)).reason == "Remote hung up"
            assert _bypass(pair.a).direct_sent == 1 and _bypass(pair.a).fallbacks == 0

    run(scenario())


def test_an_unanswered_direct_bye_falls_back_to_the_route_set(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with _pair(tmp_path) as pair:
            call_id = await _selected_call(pair)
            bypass = _bypass(pair.a)
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sink:
                sink.bind(("127.0.0.1", 0))  # a black hole: bound, never answers
                black_hole = sink.getsockname()
                real = bypass.direct_target

                def into_the_hole(call: Call, request: Request) -> tuple[str, int] | None:
                    return black_hole if real(call, request) is not None else None

                bypass.direct_target = into_the_hole  # type: ignore[method-assign]
                loop_time = pair.a.phone.ua.stack.now  # type: ignore[union-attr]
                started = loop_time()
                pair.a.execute(HangUp(call_id))
                await _ended(pair.b, call_id)
                waited = loop_time() - started
                assert sink.recv(4096).startswith(b"BYE ")  # the direct try went to the hole
            assert bypass.direct_sent == 1 and bypass.fallbacks == 1
            assert FALLBACK_AFTER <= waited < FALLBACK_AFTER + 1.5
            await _ended(pair.a, call_id)

    run(scenario())
