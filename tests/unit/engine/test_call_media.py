"""Media of real in-process calls: started on confirm, follows hold, stops with the call."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from phone_pair import PhonePair, run, settings_for

from alexphone.engine.commands import HangUp, Hold, ListAudioDevices, Mute, PlaceCall, SendDtmf
from alexphone.engine.events import (
    AudioDeviceChanged,
    AudioDevicesListed,
    CallChanged,
    CallMedia,
    CallState,
    CallStats,
    DtmfReceived,
    MediaDirection,
)
from alexphone.media.audio_spec import EchoControl, parse_audio_in, parse_audio_out
from alexphone.sdp.codec import PCMA, PCMU

QUIET = {"audio_in": parse_audio_in("tone:440"), "audio_out": parse_audio_out("null")}


def test_media_starts_follows_hold_carries_dtmf_and_stops(tmp_path: Path) -> None:
    async def scenario() -> None:
        a = settings_for(tmp_path / "a", user="alice", **QUIET)
        b = settings_for(tmp_path / "b", user="bob", auto_answer=0.0, codecs=(PCMA, PCMU), **QUIET)
        async with PhonePair(a, b) as pair:
            pair.a.execute(PlaceCall(pair.b.uri()))
            up = await pair.a.call_state(CallState.CONFIRMED)
            a_media = await pair.a.log.wait_for(CallMedia)
            b_media = await pair.b.log.wait_for(CallMedia)
            assert a_media.codec == b_media.codec == "PCMA/8000"  # B's preference wins
            assert a_media.remote == b_media.local and b_media.remote == a_media.local
            pair.a.execute(SendDtmf(up.call_id, "5#"))
            pair.a.execute(Mute(up.call_id))
            await pair.b.log.wait_until(
                lambda: (
                    [e.digit for e in pair.b.log.events if isinstance(e, DtmfReceived)]
                    == ["5", "#"]
                ),
                what="no DTMF",
            )
            pair.a.execute(Hold(up.call_id, on=True))
            held = await pair.a.log.wait_for(
                CallMedia, lambda e: e.direction is MediaDirection.SENDONLY
            )
            assert held.call_id == up.call_id
            pair.a.execute(HangUp(up.call_id))
            await pair.b.call_state(CallState.ENDED)
            stats = await pair.b.log.wait_for(CallStats)
            assert stats.received > 10 and stats.sent > 10 and stats.bad == 0

    run(scenario())


def test_the_device_list_is_rescanned_on_request(tmp_path: Path) -> None:
    async def scenario() -> None:
        a = settings_for(tmp_path / "a", user="alice", **QUIET)
        b = settings_for(tmp_path / "b", user="bob", **QUIET)
        async with PhonePair(a, b) as pair:
            pair.a.execute(ListAudioDevices())
            listed = await pair.a.log.wait_for(AudioDevicesListed)
            # whatever this machine has (nothing without a sound server): names, never a crash
            assert all(isinstance(n, str) and n for n in listed.inputs + listed.outputs)
            assert listed.to_json()["event"] == "audio.devices"

    run(scenario())


def test_echo_cancellation_runs_on_request_and_a_failure_is_reported_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def scenario(fail: bool) -> list[AudioDeviceChanged]:
        if fail:
            monkeypatch.setitem(sys.modules, "pywebrtc_audio", None)  # the import fails
        a = settings_for(tmp_path / f"a{fail}", user="alice", echo_cancel=EchoControl.ON, **QUIET)
        b = settings_for(tmp_path / f"b{fail}", user="bob", auto_answer=0.0, **QUIET)
        async with PhonePair(a, b) as pair:
            seen: set[str] = set()
            for _ in range(2):  # two calls, one after the other
                pair.a.execute(PlaceCall(pair.b.uri()))
                up = await pair.a.log.wait_for(
                    CallChanged,
                    lambda e, s=seen: e.state is CallState.CONFIRMED and e.call_id not in s,
                )
                seen.add(up.call_id)
                await pair.a.log.wait_for(CallMedia, lambda e, c=up.call_id: e.call_id == c)
                pair.a.execute(HangUp(up.call_id))
                await pair.a.log.wait_for(
                    CallChanged,
                    lambda e, c=up.call_id: e.call_id == c and e.state is CallState.ENDED,
                )
            return [e for e in pair.a.log.events if isinstance(e, AudioDeviceChanged)]

    assert run(scenario(fail=False)) == []
    reports = run(scenario(fail=True))
    assert len(reports) == 1 and "no echo cancellation" in reports[0].reason
