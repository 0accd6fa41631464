"""ALEX restart in a running call: new credentials, a re-INVITE, new checks, media moves."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path
from typing import Any

from alex_fakes import start_stun_server
from phone_pair import WAIT, PhonePair, RunningPhone, run, settings_for

from alexphone.engine.commands import HangUp, PlaceCall
from alexphone.engine.events import (
    AlexSelected,
    CallChanged,
    CallMoved,
    CallState,
    Direction,
    Flow,
    MoveOutcome,
    SipMessageLogged,
)
from alexphone.engine.user_agent import UserAgent
from alexphone.media.audio_spec import parse_audio_in, parse_audio_out

QUIET: dict[str, Any] = {
    "audio_in": parse_audio_in("tone:440"),
    "audio_out": parse_audio_out("null"),
}
POLL = 0.02
OLD_MAPPED = ("203.0.113.7", 50000)  # STUN's answer before the move
NEW_MAPPED = ("203.0.113.8", 50001)  # and after it
OLD_REGISTERED = ("198.51.100.11", 5060)  # the registrar's view before the move


def _pair(tmp_path: Path) -> PhonePair:
    a = replace(settings_for(tmp_path / "a", user="alice"), log_sip=True, **QUIET)
    b = replace(settings_for(tmp_path / "b", user="bob"), auto_answer=0.0, log_sip=True, **QUIET)
    return PhonePair(a, b)


def _ua(phone: RunningPhone) -> UserAgent:
    assert phone.phone.ua is not None
    return phone.phone.ua


def _selections(phone: RunningPhone, call_id: str) -> list[AlexSelected]:
    return [e for e in phone.log.events if isinstance(e, AlexSelected) and e.call_id == call_id]


async def _wait_selections(phone: RunningPhone, call_id: str, count: int) -> None:
    await phone.log.wait_until(
        lambda: len(_selections(phone, call_id)) >= count, what=f"{count} alex.selected"
    )


def _received(phone: RunningPhone, call_id: str) -> int:
    stats = phone.stats(call_id)
    return stats.received if stats is not None else 0


async def _more_audio(pair: PhonePair, call_id: str, extra: int = 10) -> None:
    start = {p: _received(p, call_id) for p in (pair.a, pair.b)}
    for _ in range(int(WAIT / POLL)):
        if all(_received(p, call_id) >= start[p] + extra for p in (pair.a, pair.b)):
            return
        await asyncio.sleep(POLL)
    raise AssertionError("audio both ways after the restart")


async def _call(pair: PhonePair) -> str:
    pair.a.execute(PlaceCall(pair.b.uri()))
    up = await pair.a.log.wait_for(CallChanged, lambda e: e.state is CallState.CONFIRMED)
    for phone in (pair.a, pair.b):
        await _wait_selections(phone, up.call_id, 2)  # sip and audio
    return up.call_id


def _ufrags(phone: RunningPhone, call_id: str) -> tuple[str, str | None]:
    call = _ua(phone).calls[call_id]
    assert call.alex is not None
    remote = call.alex.peer_credentials
    return call.alex.credentials.ufrag, remote.ufrag if remote is not None else None


def _reinvites(phone: RunningPhone, direction: Direction) -> list[str]:
    return [
        e.text
        for e in phone.log.events
        if isinstance(e, SipMessageLogged)
        and e.direction is direction
        and e.text.startswith("INVITE ")
        and "tag=" in e.text.partition("\r\nTo:")[2].partition("\r\n")[0]
    ]


def test_address_change_restarts_checks_with_new_credentials(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with _pair(tmp_path) as pair:
            call_id = await _call(pair)
            a_before, b_before = _ufrags(pair.a, call_id), _ufrags(pair.b, call_id)
            assert a_before[1] == b_before[0] and b_before[1] == a_before[0]

            pair.a.phone._network_changed([], "moved")  # the NetworkMonitor's callback

            for phone in (pair.a, pair.b):
                await _wait_selections(phone, call_id, 4)  # sip and audio once more
            a_after, b_after = _ufrags(pair.a, call_id), _ufrags(pair.b, call_id)
            assert a_after[0] != a_before[0] and b_after[0] != b_before[0]  # new credentials
            assert a_after[1] == b_after[0] and b_after[1] == a_after[0]
            (reinvite,) = _reinvites(pair.a, Direction.OUT)
            assert f"ufrag={a_after[0]};" in reinvite and "ALEX-item: sip udp" in reinvite
            assert _reinvites(pair.b, Direction.IN)
            latest = _selections(pair.a, call_id)[2:]
            assert {e.flow for e in latest} == {Flow.SIP, Flow.AUDIO}
            assert _ua(pair.a).restart.restarts == 1 and _ua(pair.b).restart.restarts == 1
            moved = [e.outcome for e in pair.a.log.events if isinstance(e, CallMoved)]
            assert moved == [MoveOutcome.OFFERED, MoveOutcome.FOLLOWED]  # told, then followed
            await _more_audio(pair, call_id)
            pair.a.execute(HangUp(call_id))
            await pair.b.log.wait_for(
                CallChanged, lambda e: e.call_id == call_id and e.state is CallState.ENDED
            )

    run(scenario())


def test_lost_consent_restarts_from_the_controlling_side_only(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with _pair(tmp_path) as pair:
            call_id = await _call(pair)
            a_call, b_call = _ua(pair.a).calls[call_id], _ua(pair.b).calls[call_id]
            b_before = _ufrags(pair.b, call_id)

            # what each call's agent reports on ConsentExpired (test_alex_report.py)
            _ua(pair.b).restart.consent_lost(b_call, "m0.1")  # the controlled side waits
            assert _ufrags(pair.b, call_id) == b_before and not _reinvites(pair.b, Direction.OUT)

            _ua(pair.a).restart.consent_lost(a_call, "m0.1")
            _ua(pair.a).restart.consent_lost(a_call, "sip")  # the second flow: one restart only
            for phone in (pair.a, pair.b):
                await _wait_selections(phone, call_id, 4)
            assert _ufrags(pair.b, call_id)[0] != b_before[0]
            assert len(_reinvites(pair.a, Direction.OUT)) == 1
            await _more_audio(pair, call_id)
            pair.a.execute(HangUp(call_id))
            await pair.b.log.wait_for(
                CallChanged, lambda e: e.call_id == call_id and e.state is CallState.ENDED
            )

    run(scenario())


def test_address_change_gathers_again_before_the_reinvite(tmp_path: Path) -> None:
    async def scenario() -> None:
        server, stun = await start_stun_server("127.0.0.1", OLD_MAPPED)
        a = replace(settings_for(tmp_path / "a", user="alice"), log_sip=True, stun=stun, **QUIET)
        b = replace(settings_for(tmp_path / "b", user="bob"), auto_answer=0.0, **QUIET)
        async with PhonePair(a, b) as pair:
            call_id = await _call(pair)
            hub = _ua(pair.a).alex
            assert hub is not None
            hub.learn_sip_mapping(hub.sip_bound()[0], OLD_REGISTERED)  # a REGISTER's answer
            server.mapped = NEW_MAPPED  # what the STUN server sees from the new network

            pair.a.phone._network_changed([], "moved")

            for phone in (pair.a, pair.b):
                await _wait_selections(phone, call_id, 4)
            (reinvite,) = _reinvites(pair.a, Direction.OUT)
            assert "ALEX-item: m0.1 udp 203.0.113.8:50001;typ=srflx" in reinvite, reinvite
            assert "203.0.113.7" not in reinvite and "198.51.100.11" not in reinvite
            await _more_audio(pair, call_id)
            pair.a.execute(HangUp(call_id))
            await pair.b.log.wait_for(
                CallChanged, lambda e: e.call_id == call_id and e.state is CallState.ENDED
            )

    run(scenario())
