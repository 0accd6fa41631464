"""The SIP log: with log_sip on, every message on the wire becomes a sip.message event."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from phone_pair import PhonePair, run

from alexphone.engine.commands import HangUp, PlaceCall
from alexphone.engine.events import CallState, Direction, SipMessageLogged
from alexphone.sip.redaction import REDACTED


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


def _alex_pwd(text: str) -> str | None:
    match = re.search(r"ALEX-session:[^\r\n]*\bpwd=([^;\s]+)", text)
    return None if match is None else match[1]


@pytest.mark.parametrize("show_secrets", [False, True])
def test_the_alex_password_is_redacted_unless_secrets_are_shown(
    tmp_path: Path, show_secrets: bool
) -> None:
    async def scenario() -> None:
        async with PhonePair.on(
            tmp_path, auto_answer=0.0, log_sip=True, show_secrets=show_secrets
        ) as pair:
            pair.a.execute(PlaceCall(pair.b.uri()))
            up = await pair.a.call_state(CallState.CONFIRMED)
            pair.a.execute(HangUp(up.call_id))
            await pair.b.call_state(CallState.ENDED)
            logged = [e for e in pair.b.log.events if isinstance(e, SipMessageLogged)]
            invite = next(e.text for e in logged if e.text.startswith("INVITE "))
            answer = next(e.text for e in logged if "SIP/2.0 200" in e.text and "INVITE" in e.text)
            if show_secrets:
                assert _alex_pwd(invite) not in (None, REDACTED)
                assert _alex_pwd(answer) not in (None, REDACTED)
            else:
                assert _alex_pwd(invite) == _alex_pwd(answer) == REDACTED

    run(scenario())
