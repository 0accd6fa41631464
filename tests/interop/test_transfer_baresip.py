"""Transfers with baresip (RFC 5589): baresip transfers our daemon; our daemon transfers baresip.

Three hosts on one bridge. Each new leg is checked by ear: the party that is moved sends a
tone of its own frequency (baresip's ausine, our ``--audio-in tone:HZ``) and the target
records what it hears (``--audio-out file:``); the recording's strongest frequency must be
that tone, so the audio flows on the new leg, not only the signaling.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from lab import Host, Lab
from lab_alexphone import Alexphone
from lab_peers import Baresip, Event, baresip_account
from media_tools import read_wav

pytestmark = [pytest.mark.interop, pytest.mark.needs("baresip")]

LISTENED = 2.0  # seconds of the new leg's audio recorded before the check


def ctl(phone: Alexphone, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``alexphone ctl --profile P ARGS`` (the socket is a file: no namespace needed)."""
    argv = [sys.executable, "-m", "alexphone", "ctl", "--profile", str(phone.profile), *args]
    return subprocess.run(
        argv, env={**os.environ, **phone.env()}, capture_output=True, text=True, timeout=30
    )


def peak_hz(path: Path) -> float:
    """The strongest frequency of the sound in a WAV file (silence left out)."""
    rate, samples = read_wav(path)
    heard = samples[samples != 0].astype(np.float64)
    assert heard.size > rate, f"less than a second of sound in {path}"
    spectrum = np.abs(np.fft.rfft(heard * np.hanning(heard.size)))
    return float(np.argmax(spectrum) * rate / heard.size)


def daemon(lab: Lab, host: Host, name: str, **audio: str) -> Alexphone:
    """Our daemon on host:5060, answering by itself."""
    listen = [f"udp:{host.ipv4}:5060"]
    phone = Alexphone(lab, host.ns, name, listen=listen, args=["-v"], **audio)
    phone.daemon("--auto-answer")
    phone.wait_event("ua.ready", timeout=15)
    return phone


def baresip(lab: Lab, host: Host, user: str, hz: int) -> Baresip:
    """baresip on host:5060 sending a ``hz`` sine, answering by itself."""
    codecs = "opus/48000/2"  # baresip's ausine makes 48 kHz only
    account = baresip_account(user, domain=f"{host.ipv4}:5060", codecs=codecs)
    return Baresip(
        lab, host.ns, account, listen=f"{host.ipv4}:5060", audio_source=f"ausine,{hz}"
    ).start()


def confirmed(phone: Alexphone, direction: str, timeout: float = 15) -> Event:
    return phone.wait_event(
        "call.state", lambda e: e["state"] == "confirmed" and e["direction"] == direction, timeout
    )


def ended(phone: Alexphone, call_id: object, timeout: float = 15) -> Event:
    return phone.wait_event(
        "call.state", lambda e: e["call_id"] == call_id and e["state"] == "ended", timeout
    )


def transfers(phone: Alexphone) -> list[Event]:
    return [e for e in phone.events.snapshot() if e["event"] == "call.transfer"]


def test_baresip_transfers_our_daemon_to_a_second_daemon(lab: Lab, flat_lan: list[Host]) -> None:
    bob_host, alice_host, carol_host = flat_lan
    heard = lab.workdir / "carol.wav"
    bob = daemon(lab, bob_host, "bob", audio_in="tone:660", audio_out="null")
    carol = daemon(lab, carol_host, "carol", audio_in="silence", audio_out=f"file:{heard}")
    alice = baresip(lab, alice_host, "alice", 440)

    alice.dial(f"sip:bob@{bob_host.ipv4}:5060")
    original = confirmed(bob, "in")
    alice.wait_event("CALL_ESTABLISHED", timeout=10)
    alice._control().command("transfer", f"sip:carol@{carol_host.ipv4}:5060")

    new = confirmed(bob, "out")
    confirmed(carol, "in")
    done = bob.wait_event("call.transfer", lambda e: e["state"] in ("succeeded", "failed"))
    assert done["state"] == "succeeded", transfers(bob)
    assert [e["state"] for e in transfers(bob)] == ["requested", "trying", "succeeded"]
    assert {e["role"] for e in transfers(bob)} == {"transferee"}
    ended(bob, original["call_id"])  # baresip's BYE after NOTIFY 200, or ours after 5 s
    time.sleep(LISTENED)  # the new leg's audio plays in real time
    assert new["call_id"] != original["call_id"]
    carol.stop()
    assert peak_hz(heard) == pytest.approx(660, abs=15)
    bob.stop()
    alice.quit()


def test_our_daemon_transfers_a_baresip_call_blind_with_ctl(lab: Lab, flat_lan: list[Host]) -> None:
    alice_host, bob_host, carol_host = flat_lan
    heard = lab.workdir / "carol.wav"
    alice = daemon(lab, alice_host, "alice", audio_in="tone:660", audio_out="null")
    carol = daemon(lab, carol_host, "carol", audio_in="silence", audio_out=f"file:{heard}")
    bob = baresip(lab, bob_host, "bob", 440)

    dialled = ctl(alice, "dial", f"sip:bob@{bob_host.ipv4}:5060")
    assert dialled.returncode == 0, dialled.stderr
    original = confirmed(alice, "out")
    moved = ctl(alice, "transfer", str(original["call_id"]), f"sip:carol@{carol_host.ipv4}:5060")
    assert moved.returncode == 0, moved.stderr

    done = alice.wait_event("call.transfer", lambda e: e["state"] in ("succeeded", "failed"))
    assert done["state"] == "succeeded", transfers(alice)
    assert done["role"] == "transferor"
    assert done["target"] == f"sip:carol@{carol_host.ipv4}:5060"
    ended(alice, original["call_id"])
    confirmed(carol, "in")
    time.sleep(LISTENED)
    carol.stop()
    assert peak_hz(heard) == pytest.approx(440, abs=15)  # baresip's tone on the new leg
    alice.stop()
    bob.quit()


def _consult(alice: Alexphone, target: str, original: Event) -> Event:
    """Dial the consultation call with ``ctl dial`` (the original is held); its confirmed event."""
    mark = alice.mark()
    assert ctl(alice, "dial", target).returncode == 0
    consult = alice.wait_event(
        "call.state",
        lambda e: e["state"] == "confirmed" and e["call_id"] != original["call_id"],
        timeout=15,
        since=mark,
    )
    alice.wait_event(
        "call.state", lambda e: e["call_id"] == original["call_id"] and e["state"] == "held"
    )
    return consult


def test_an_attended_transfer_baresip_cannot_follow_fails_and_loses_no_call(
    lab: Lab, flat_lan: list[Host]
) -> None:
    # baresip 1.0 formats the Refer-To it follows as a printf format, so every %-escape of
    # the embedded Replaces turns into "?": Carol gets an INVITE whose Replaces names no
    # dialog (400), baresip NOTIFYs that failure, and nobody's call is lost.
    alice_host, bob_host, carol_host = flat_lan
    alice = daemon(lab, alice_host, "alice", audio_in="tone:660", audio_out="null")
    carol = daemon(lab, carol_host, "carol", audio_in="silence", audio_out="null")
    bob = baresip(lab, bob_host, "bob", 440)

    assert ctl(alice, "dial", f"sip:bob@{bob_host.ipv4}:5060").returncode == 0
    original = confirmed(alice, "out")
    consult = _consult(alice, f"sip:carol@{carol_host.ipv4}:5060", original)
    moved = ctl(alice, "transfer", str(original["call_id"]), "--consult", str(consult["call_id"]))
    assert moved.returncode == 0, moved.stderr

    done = alice.wait_event("call.transfer", lambda e: e["state"] in ("succeeded", "failed"))
    assert done["state"] == "failed", transfers(alice)
    status = ctl(alice, "status", "--json")
    assert status.returncode == 0, status.stderr
    calls = {c["call_id"]: c["state"] for c in json.loads(status.stdout)["calls"]}
    assert calls == {original["call_id"]: "held", consult["call_id"]: "confirmed"}
    carol_states = [e["state"] for e in carol.events.snapshot() if e["event"] == "call.state"]
    assert carol_states.count("confirmed") == 1  # the consultation only
    assert "Bad Request (Replaces)" in bob.log_text() or "400" in bob.log_text()
    alice.stop()
    carol.stop()
    bob.quit()
