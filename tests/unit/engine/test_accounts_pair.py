"""Two phones on loopback: calls go out from the account asked for and come in to the one called."""

from __future__ import annotations

from pathlib import Path

from phone_pair import RunningPhone, run, settings_for

from alexphone.engine.commands import HangUp, PlaceCall
from alexphone.engine.events import (
    CallState,
    Direction,
    ErrorReported,
    RegistrationChanged,
    RegistrationState,
)
from alexphone.engine.settings import AccountSettings
from alexphone.sip.uri import parse_sip_uri


def test_calls_carry_the_account_out_and_in(tmp_path: Path) -> None:
    async def scenario() -> None:
        far = await RunningPhone(settings_for(tmp_path / "far", auto_answer=0.0)).start()
        assert far.listen is not None
        domain = f"127.0.0.1:{far.listen.port}"  # the far phone refuses REGISTER: no registrar
        aors = (f"sip:alice@{domain}", f"sip:carol@{domain}")
        accounts = tuple(AccountSettings(parse_sip_uri(aor)) for aor in aors)
        near = await RunningPhone(settings_for(tmp_path / "near", accounts=accounts)).start()
        try:
            for aor in aors:  # each account registers on its own and reports it
                await near.log.wait_for(
                    RegistrationChanged,
                    lambda e, aor=aor: e.account == aor and e.state is RegistrationState.FAILED,
                )
            near.execute(PlaceCall(far.uri("bob"), "carol"))
            out = await near.call_state(CallState.CONFIRMED, Direction.OUT)
            came = await far.call_state(CallState.CONFIRMED, Direction.IN)
            assert came.remote == aors[1]  # From: carol's AoR
            assert out.account == aors[1] and came.account == ""  # the far phone has none
            near.execute(HangUp(out.call_id))
            await near.call_state(CallState.ENDED, Direction.OUT)

            far.execute(PlaceCall(near.uri("alice")))
            ringing = await near.call_state(CallState.RINGING, Direction.IN)
            assert ringing.account == aors[0]
            near.execute(PlaceCall(far.uri("bob"), "dave"))
            refused = await near.log.wait_for(ErrorReported, lambda e: "dave" in e.message)
            assert "no such account" in refused.message
            failed = [e for e in near.log.calls() if e.call_id == "" and e.code == 400]
            assert len(failed) == 1  # the dial ended before any INVITE left
        finally:
            await near.stop()
            await far.stop()

    run(scenario())
