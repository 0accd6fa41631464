"""Three real phones on loopback: we transfer a call blind and attended, and fail safely."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

from phone_pair import RunningPhone, run, settings_for

from alexphone.engine.commands import Answer, PlaceCall, Transfer
from alexphone.engine.events import (
    CallChanged,
    CallState,
    CallTransferred,
    Direction,
    ErrorReported,
    ErrorSource,
    TransferRole,
    TransferState,
)

BUDGET = 40.0


@contextlib.asynccontextmanager
async def phones(tmp_path: Path, **c_options: object) -> AsyncIterator[list[RunningPhone]]:
    """Alice (the transferor), Bob (the transferee, auto-answers) and Carol (the target)."""
    a = RunningPhone(settings_for(tmp_path / "a", user="alice"))
    b = RunningPhone(settings_for(tmp_path / "b", user="bob", auto_answer=0.0))
    carol = replace(settings_for(tmp_path / "c", user="carol", auto_answer=0.0), **c_options)
    c = RunningPhone(carol)
    started = []
    try:
        for phone in (a, b, c):
            started.append(await phone.start())
        yield [a, b, c]
    finally:
        await asyncio.gather(*(p.stop() for p in started), return_exceptions=True)


async def _call(caller: RunningPhone, callee: RunningPhone, user: str) -> CallChanged:
    seen = len(caller.log.events)
    caller.execute(PlaceCall(callee.uri(user)))
    return await caller.log.wait_for(
        CallChanged,
        lambda e: e.state is CallState.CONFIRMED and caller.log.events.index(e) >= seen,
    )


def _transfers(phone: RunningPhone, role: TransferRole) -> list[TransferState]:
    return [e.state for e in phone.log.events if isinstance(e, CallTransferred) and e.role is role]


async def _ended(phone: RunningPhone, call_id: str) -> CallChanged:
    return await phone.log.wait_for(
        CallChanged, lambda e: e.call_id == call_id and e.state is CallState.ENDED
    )


def test_a_blind_transfer_moves_bobs_call_to_carol_and_ends_ours(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with phones(tmp_path) as (a, b, c):
            original = await _call(a, b, "bob")
            a.execute(Transfer(original.call_id, c.uri("carol")))
            await a.log.wait_for(CallTransferred, lambda e: e.state is TransferState.SUCCEEDED)
            new = await b.call_state(CallState.CONFIRMED, Direction.OUT)
            assert new.call_id != original.call_id and "carol" in new.remote
            await _ended(a, original.call_id)
            await _ended(b, original.call_id)
            states = _transfers(a, TransferRole.TRANSFEROR)
            assert states[0] is TransferState.REQUESTED
            assert states[-1] is TransferState.SUCCEEDED
            assert TransferState.FAILED not in states
            (event,) = [e for e in a.log.events if isinstance(e, CallTransferred)][:1]
            assert event.call_id == original.call_id and event.target == c.uri("carol")
            assert _transfers(b, TransferRole.TRANSFEREE)[-1] is TransferState.SUCCEEDED
            assert [e.state for e in c.log.calls()][-1] is CallState.CONFIRMED

    run(scenario(), BUDGET)


def test_a_transfer_to_an_unreachable_target_fails_and_our_call_is_resumed(
    tmp_path: Path,
) -> None:
    async def scenario() -> None:
        async with phones(tmp_path) as (a, b, _):
            original = await _call(a, b, "bob")
            # Bob listens on no TCP: its INVITE fails at once, NOTIFY 503
            a.execute(Transfer(original.call_id, "sip:nobody@127.0.0.1:9;transport=tcp"))
            await a.log.wait_for(CallTransferred, lambda e: e.state is TransferState.FAILED)
            ours = [e for e in a.log.calls() if e.call_id == original.call_id]
            await a.log.wait_until(
                lambda: (
                    [e.state for e in a.log.calls() if e.call_id == original.call_id][-1]
                    is CallState.CONFIRMED
                    and any(e.state is CallState.HELD for e in a.log.calls())
                ),
                what="the original call held, then resumed",
            )
            ours = [e.state for e in a.log.calls() if e.call_id == original.call_id]
            assert CallState.ENDED not in ours
            assert _transfers(b, TransferRole.TRANSFEREE)[-1] is TransferState.FAILED

    run(scenario(), BUDGET)


def test_an_attended_transfer_replaces_our_consultation_at_carol(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with phones(tmp_path, auto_answer=None) as (a, b, c):
            original = await _call(a, b, "bob")
            a.execute(PlaceCall(c.uri("carol")))  # the consultation; Bob is held
            ringing = await c.call_state(CallState.RINGING, Direction.IN)
            c.execute(Answer(ringing.call_id))
            consult = await a.log.wait_for(
                CallChanged,
                lambda e: e.call_id != original.call_id and e.state is CallState.CONFIRMED,
            )
            a.execute(Transfer(original.call_id, consult=consult.call_id))
            await a.log.wait_for(CallTransferred, lambda e: e.state is TransferState.SUCCEEDED)
            # Carol answered Bob's INVITE with Replaces herself and ended our consultation
            replaced = await c.log.wait_for(CallTransferred)
            assert (replaced.call_id, replaced.state) == (consult.call_id, TransferState.REPLACED)
            assert replaced.role is TransferRole.TARGET and "bob" in replaced.target
            await _ended(a, consult.call_id)
            await _ended(a, original.call_id)
            new = await b.call_state(CallState.CONFIRMED, Direction.OUT)
            assert new.call_id not in (original.call_id, consult.call_id)
            up = await c.log.wait_for(
                CallChanged, lambda e: e.call_id == new.call_id and e.state is CallState.CONFIRMED
            )
            assert up.direction is Direction.IN

    run(scenario(), BUDGET)


def test_a_transfer_that_cannot_start_is_one_error(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with phones(tmp_path) as (a, b, _):
            a.execute(Transfer("nope", "sip:carol@127.0.0.1"))
            original = await _call(a, b, "bob")
            a.execute(Transfer(original.call_id, consult="gone"))
            a.execute(Transfer(original.call_id, "not a uri at all:::"))
            errors = [e for e in a.log.events if isinstance(e, ErrorReported)]
            assert [e.where for e in errors] == [ErrorSource.TRANSFER] * 3
            assert "no call 'nope'" in errors[0].message
            assert "no call 'gone' to consult" in errors[1].message
            assert not [e for e in a.log.events if isinstance(e, CallTransferred)]

    run(scenario(), BUDGET)
