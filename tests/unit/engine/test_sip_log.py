"""The SIP log: with log_sip on, every message on the wire becomes a sip.message event."""

from __future__ import annotations

from pathlib import Path

from phone_pair import PhonePair, run

from alexphone.engine.commands import HangUp, PlaceCall
from alexphone.engine.events import CallState, Direction, SipMessageLogged


def test_call_messages_are_logged_in_both_directions_only_when_asked(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with PhonePair.on(tmp_path, auto_answer=0.0, log_sip=True) as pair:
            pair.a.execute(PlaceCall(pair.b.uri()))
            up = await pair.a.call_state(CallState.CONFIRMED)
            pair.a.execute(HangUp(up.call_id))
            await pair.b.call_state(CallState.ENDED)
            await pair.b.log.wait_for(
                SipMessageLogged,
                lambda e: (
                    e.direction is Direction.OUT and "SIP/2.0 200" in e.text and "BYE" in e.text
                ),
            )
            logged = [e for e in pair.b.log.events if isinstance(e, SipMessageLogged)]
            firsts = [(e.direction.value, e.text.split("\r\n")[0].split(" ")[0]) for e in logged]
            assert ("in", "INVITE") in firsts and ("in", "ACK") in firsts
            assert ("in", "BYE") in firsts and ("out", "SIP/2.0") in firsts
            assert all(e.peer.startswith("127.0.0.1:") for e in logged)
            assert not [e for e in pair.a.log.events if isinstance(e, SipMessageLogged)]

    run(scenario())
