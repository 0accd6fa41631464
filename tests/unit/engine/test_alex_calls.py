"""ALEX in real calls between two phones on loopback: checks, selection, cache, plain peers."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from phone_pair import WAIT, PhonePair, RunningPhone, run, settings_for

from alexphone.alex.negotiation import supports
from alexphone.cli import main
from alexphone.engine.commands import HangUp, PlaceCall
from alexphone.engine.events import (
    AlexPairChanged,
    AlexSelected,
    CallChanged,
    CallState,
    CheckState,
    Direction,
    Flow,
    PathKind,
    SipMessageLogged,
)
from alexphone.media.audio_spec import parse_audio_in, parse_audio_out
from alexphone.sip.parser import parse
from alexphone.store.alex_cache import AlexCacheStore
from alexphone.store.database import DATABASE_NAME, open_database

POLL = 0.02
QUIET: dict[str, Any] = {
    "audio_in": parse_audio_in("tone:440"),
    "audio_out": parse_audio_out("null"),
}


def _pair(tmp_path: Path, a_alex: bool = True, b_alex: bool = True) -> PhonePair:
    a = replace(settings_for(tmp_path / "a", user="alice"), alex=a_alex, log_sip=True, **QUIET)
    b = replace(
        settings_for(tmp_path / "b", user="bob"),
        alex=b_alex,
        auto_answer=0.0,
        log_sip=True,
        **QUIET,
    )
    return PhonePair(a, b)


def _selected(phone: RunningPhone, call_id: str) -> dict[Flow, AlexSelected]:
    found = [e for e in phone.log.events if isinstance(e, AlexSelected) and e.call_id == call_id]
    return {e.flow: e for e in found}


async def _both_selected(phone: RunningPhone, call_id: str) -> dict[Flow, AlexSelected]:
    await phone.log.wait_until(
        lambda: set(_selected(phone, call_id)) == {Flow.SIP, Flow.AUDIO}, what="sip+audio selected"
    )
    return _selected(phone, call_id)


def _received(phone: RunningPhone, call_id: str) -> int:
    stats = phone.stats(call_id)
    return stats.received if stats is not None else 0


async def _audio_both_ways(pair: PhonePair, call_id: str) -> None:
    """Wait until each side got some RTP (asked for: no event announces each packet)."""
    for _ in range(int(WAIT / POLL)):
        if min(_received(pair.a, call_id), _received(pair.b, call_id)) > 5:
            return
        await asyncio.sleep(POLL)
    raise AssertionError(f"RTP both ways within {WAIT}s")


async def _call(pair: PhonePair) -> str:
    """A calls B (who answers at once); return the new call's Call-ID."""
    earlier = {e.call_id for e in pair.a.log.calls()}
    pair.a.execute(PlaceCall(pair.b.uri()))

    def confirmed(e: CallChanged) -> bool:
        return e.state is CallState.CONFIRMED and e.call_id not in earlier

    up = await pair.a.log.wait_for(CallChanged, confirmed)
    await pair.b.log.wait_for(CallChanged, confirmed)
    return up.call_id


async def _hang_up(pair: PhonePair, call_id: str) -> None:
    pair.a.execute(HangUp(call_id))

    def ended(phone: RunningPhone) -> bool:
        calls = phone.log.calls()
        return any(e.call_id == call_id and e.state is CallState.ENDED for e in calls)

    await pair.a.log.wait_until(lambda: ended(pair.a), what="A ended")
    await pair.b.log.wait_until(lambda: ended(pair.b), what="B ended")


def _sent_invite(phone: RunningPhone) -> str:
    return next(
        e.text
        for e in phone.log.events
        if isinstance(e, SipMessageLogged)
        and e.direction is Direction.OUT
        and e.text.startswith("INVITE")
    )


def test_two_alex_phones_select_host_pairs_for_sip_and_audio(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with _pair(tmp_path) as pair:
            call_id = await _call(pair)
            a_sel = await _both_selected(pair.a, call_id)
            b_sel = await _both_selected(pair.b, call_id)
            for selected in (*a_sel.values(), *b_sel.values()):
                assert selected.kind is PathKind.HOST
                assert selected.local.startswith("127.0.0.1:")
                assert selected.remote.startswith("127.0.0.1:")
                assert selected.from_cache is False
            assert a_sel[Flow.SIP].remote == b_sel[Flow.SIP].local  # the same 5-tuple on both sides
            assert a_sel[Flow.AUDIO].remote == b_sel[Flow.AUDIO].local
            assert b_sel[Flow.SIP].remote == pair.a.uri().rpartition("@")[2]
            states = {e.state for e in pair.a.log.events if isinstance(e, AlexPairChanged)}
            assert {CheckState.IN_PROGRESS, CheckState.SUCCEEDED} <= states
            invite = _sent_invite(pair.a)
            assert "ALEX-session: v=1;" in invite and "ALEX-item: sip udp 127.0.0.1:" in invite
            head = invite.split("\r\n\r\n", 1)[0]  # the log redacts SDP keys: no body
            head = "\r\n".join(h for h in head.split("\r\n") if not h.startswith("Content-Length"))
            assert supports(parse(f"{head}\r\n\r\n".encode()).headers)
            await _audio_both_ways(pair, call_id)
            await _hang_up(pair, call_id)

    run(scenario())


def test_second_call_nominates_the_cached_pairs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async def scenario() -> None:
        async with _pair(tmp_path) as pair:
            first = await _call(pair)
            cold = await _both_selected(pair.a, first)
            await _both_selected(pair.b, first)
            await _hang_up(pair, first)
            second = await _call(pair)
            warm = await _both_selected(pair.a, second)
            b_warm = await _both_selected(pair.b, second)
            assert all(s.from_cache for s in warm.values())
            assert all(s.from_cache for s in b_warm.values())
            assert not any(s.from_cache for s in cold.values())
            cold_probes = max(s.probes for s in cold.values())
            warm_probes = max(s.probes for s in warm.values())
            # loopback: the best pair is checked first and nominated by its own check even
            # cold, so the cache cannot save probes here (test_alex_nat_simulation: it does
            # when better pairs must fail first)
            assert warm_probes <= cold_probes
            await _audio_both_ways(pair, second)
            await _hang_up(pair, second)
        store = AlexCacheStore(open_database(tmp_path / "a" / DATABASE_NAME))
        flows = {e.key.flow for e in store.entries() if e.outcome.value == "succeeded"}
        assert flows == {"sip", "audio"}

    run(scenario())
    capsys.readouterr()
    assert main(["cache", "--profile", str(tmp_path / "a"), "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {r["flow"] for r in rows if r["use"] == "nominate"} == {"sip", "audio"}
    assert all(r["peer"].startswith("<urn:uuid:") for r in rows)
    assert main(["cache", "--profile", str(tmp_path / "a"), "--clear"]) == 0
    assert main(["cache", "--profile", str(tmp_path / "a")]) == 0
    assert capsys.readouterr().out.splitlines() == [f"{len(rows)} entries cleared"]


def _no_alex_events(phone: RunningPhone) -> bool:
    return not any(isinstance(e, AlexSelected | AlexPairChanged) for e in phone.log.events)


def test_alex_caller_and_plain_callee_make_a_plain_call(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with _pair(tmp_path, b_alex=False) as pair:
            call_id = await _call(pair)
            await _audio_both_ways(pair, call_id)
            assert _no_alex_events(pair.a) and _no_alex_events(pair.b)
            answer = parse(
                next(
                    e.text.encode()
                    for e in pair.b.log.events
                    if isinstance(e, SipMessageLogged)
                    and e.direction is Direction.OUT
                    and e.text.startswith("SIP/2.0 200")
                )
            )
            assert not supports(answer.headers) and "ALEX-session" not in answer.headers
            await _hang_up(pair, call_id)

    run(scenario())


def test_plain_caller_reaches_an_alex_callee(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with _pair(tmp_path, a_alex=False) as pair:
            call_id = await _call(pair)
            await _audio_both_ways(pair, call_id)
            assert "ALEX-" not in _sent_invite(pair.a)
            assert _no_alex_events(pair.a) and _no_alex_events(pair.b)
            ends = [e for e in pair.b.log.events if isinstance(e, CallChanged) and e.code]
            assert not ends
            await _hang_up(pair, call_id)

    run(scenario())
