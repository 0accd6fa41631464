"""call.state carries the remote party's display name: From for incoming, To for outgoing."""

from __future__ import annotations

from pathlib import Path

from phone_pair import PhonePair, run, settings_for

from alexphone.engine.commands import PlaceCall
from alexphone.engine.events import CallState, Direction


def test_the_callee_sees_the_callers_from_display_name(tmp_path: Path) -> None:
    a = settings_for(tmp_path / "a", user="alice", display_name="Alice Lab")
    b = settings_for(tmp_path / "b", user="bob")

    async def scenario() -> None:
        async with PhonePair(a, b) as pair:
            pair.a.execute(PlaceCall(pair.b.uri()))
            ringing = await pair.b.call_state(CallState.RINGING, Direction.IN)
            calling = await pair.a.call_state(CallState.CALLING, Direction.OUT)
            assert ringing.display_name == "Alice Lab"
            assert ringing.to_json()["display_name"] == "Alice Lab"
            assert calling.display_name == ""  # our To names nobody: we dialled a bare URI

    run(scenario())
