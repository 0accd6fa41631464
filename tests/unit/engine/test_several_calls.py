"""Two calls on one real phone (in process, on loopback): call waiting, hold, swap, merge."""

from __future__ import annotations

from pathlib import Path

import pytest
from phone_pair import RunningPhone, run, settings_for

from alexphone.engine.commands import Answer, Merge, PlaceCall, Swap
from alexphone.engine.events import (
    CallChanged,
    CallMode,
    CallModeChanged,
    CallState,
    Direction,
    ErrorReported,
)
from alexphone.media.audio_spec import parse_audio_in, parse_audio_out
from alexphone.media.mixer import LegMode

QUIET = {"audio_in": parse_audio_in("tone:440"), "audio_out": parse_audio_out("null")}


async def wait_for_mode(phone: RunningPhone, call_id: str, wanted: CallMode, since: int) -> None:
    """Wait until ``phone`` reports ``call_id`` in mode ``wanted`` after event ``since``."""
    await phone.log.wait_until(
        lambda: any(
            isinstance(e, CallModeChanged) and (e.call_id, e.mode) == (call_id, wanted)
            for e in phone.log.events[since:]
        ),
        what=f"{call_id} never became {wanted.value}",
    )


async def answer_first(host: RunningPhone, caller: RunningPhone) -> str:
    """``caller`` calls ``host``, who answers; return the host's call id."""
    caller.execute(PlaceCall(host.uri()))
    ringing = await host.call_state(CallState.RINGING, Direction.IN)
    host.execute(Answer(ringing.call_id))
    await caller.call_state(CallState.CONFIRMED)
    return ringing.call_id


async def hold_swap_and_merge(host: RunningPhone, alice: RunningPhone, bob: RunningPhone) -> None:
    """Bob's call waits and is answered (Alice held), swap twice, merge both into a conference."""
    shared = host.phone.ua.media.shared if host.phone.ua is not None else None
    assert shared is not None
    with_alice = await answer_first(host, alice)
    await host.log.wait_until(lambda: shared.mixer is not None, what="no shared audio")
    since = len(host.log.events)
    bob.execute(PlaceCall(host.uri()))
    ringing = await host.log.wait_for(
        CallChanged, lambda e: e.call_id != with_alice and e.state is CallState.RINGING
    )
    assert shared.waiting  # Bob waits: the beeps play over Alice's call
    with_bob = ringing.call_id
    host.execute(Answer(with_bob))
    await wait_for_mode(host, with_alice, CallMode.HELD, since)
    await alice.call_state(CallState.HELD)  # Alice's side saw the hold re-INVITE
    assert not shared.waiting

    for talk_to, held in ((with_alice, with_bob), (with_bob, with_alice)):
        since = len(host.log.events)
        host.execute(Swap())
        await wait_for_mode(host, held, CallMode.HELD, since)
        await wait_for_mode(host, talk_to, CallMode.ACTIVE, since)

    since = len(host.log.events)
    host.execute(Merge())
    await wait_for_mode(host, with_alice, CallMode.CONFERENCE, since)
    await wait_for_mode(host, with_bob, CallMode.CONFERENCE, since)
    await host.log.wait_until(
        lambda: (
            shared.mixer is not None
            and all(shared.mixer.mode(c) is LegMode.CONFERENCE for c in (with_alice, with_bob))
        ),
        what="the mixer did not conference both legs",
    )
    await host.log.wait_until(  # Alice, held before the merge, is resumed on the wire
        lambda: [e.state for e in alice.log.calls()][-1] is CallState.CONFIRMED,
        what="Alice still held after the merge",
    )
    assert not [e for e in host.log.events if isinstance(e, ErrorReported)]


@pytest.mark.slow
def test_hold_and_answer_swap_twice_and_merge(tmp_path: Path) -> None:
    async def scenario() -> None:
        phones = [
            await RunningPhone(settings_for(tmp_path / name, user=name, **QUIET)).start()
            for name in ("host", "alice", "bob")
        ]
        host, alice, bob = phones
        try:
            await hold_swap_and_merge(host, alice, bob)
        finally:
            for phone in phones:
                await phone.stop()

    run(scenario(), budget=40.0)
