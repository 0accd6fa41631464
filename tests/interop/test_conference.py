"""Two calls on one daemon: hold-and-answer, swap twice, merge into a three-way conference.

Three daemons on one LAN each play their own tone (``--audio-in tone:HZ``) and record what
they hear (``--audio-out file:``). Our daemon in the middle, driven by ``alexphone ctl``,
answers Alice, answers Bob with hold-and-answer, swaps twice and merges. Then every
recording must hold the other two parties' tones and not its own (FFT).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import wave
from pathlib import Path

import numpy as np
import pytest
from lab import Host, Lab
from lab_alexphone import Alexphone
from media_tools import read_wav

TONES = {"host": 1100.0, "alice": 500.0, "bob": 700.0}  # no one's 2f1-f2 lands on another
CONFERENCE_SECONDS = 4.0
SETTLE_SECONDS = 1.0  # re-INVITEs and jitter buffers settle after a hold or the merge
HELD_SECONDS = 1.5  # measured while one call is held
PRESENT_DB = -20.0  # a tone heard: within 20 dB of the loudest tone in the recording
ABSENT_DB = -35.0  # a tone not heard (one's own, a held call's): at least 35 dB below


def ctl(phone: Alexphone, *args: str) -> str:
    """Run ``alexphone ctl`` against ``phone``; fail the test on a refusal."""
    argv = [sys.executable, "-m", "alexphone", "ctl", "--profile", str(phone.profile), *args]
    done = subprocess.run(
        argv, env={**os.environ, **phone.env()}, capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, f"ctl {' '.join(args)}: {done.stderr}"
    return done.stdout


def recorded_samples(path: Path) -> int:
    """How many samples the WAV (header patched after every write) holds now."""
    with wave.open(str(path), "rb") as wav:
        return wav.getnframes()


def wait_recorded(path: Path, seconds: float, since: int | None = None) -> int:
    """Wait until ``path`` holds ``seconds`` more audio than at ``since`` (now if None)."""
    with wave.open(str(path), "rb") as wav:
        rate = wav.getframerate()
    start = recorded_samples(path) if since is None else since
    for _ in range(int(seconds * 20) + 200):  # 50 ms steps; 10 s of slack
        if (now := recorded_samples(path)) >= start + seconds * rate:
            return now
        time.sleep(0.05)
    raise AssertionError(f"{path.name}: {seconds} s of audio not recorded in time")


def tone_levels(path: Path, since: int, until: int | None = None) -> dict[str, float]:
    """The level (dB) of each party's tone in ``path`` between samples ``since`` and ``until``."""
    rate, samples = read_wav(path)
    segment = samples[since:until]
    assert segment.size > rate, f"{path.name}: only {segment.size} samples to measure"
    spectrum = np.abs(np.fft.rfft(segment * np.hanning(segment.size)))
    freqs = np.fft.rfftfreq(segment.size, 1 / rate)
    levels = {}
    for name, hz in TONES.items():
        band = spectrum[(freqs > hz - 15) & (freqs < hz + 15)]
        levels[name] = 20 * np.log10(band.max() + 1e-9)
    return levels


def wait_mode(host: Alexphone, call_id: str, mode: str, since: int) -> None:
    host.wait_event("call.mode", lambda e: (e["call_id"], e["mode"]) == (call_id, mode), 15, since)


def answer_incoming(host: Alexphone, caller: Alexphone, since: int) -> str:
    """Dial ``host`` from ``caller``; answer on ``host`` by ctl; return the host's call id."""
    ringing = host.wait_event(
        "call.state", lambda e: e["direction"] == "in" and e["state"] == "ringing", 20, since
    )
    call_id = str(ringing["call_id"])
    ctl(host, "answer", call_id)
    host.wait_event(
        "call.state", lambda e: (e["call_id"], e["state"]) == (call_id, "confirmed"), 15, since
    )
    caller.wait_event("call.media", timeout=15)
    return call_id


def held_alone(workdir: Path, talking: str, held: str) -> None:
    """While ``held`` is on hold, ``talking`` hears us and not ``held``; ``held`` hears
    nothing of anyone (both recordings measured over the same stretch of time)."""
    paths = {name: workdir / f"{name}.wav" for name in (talking, held)}
    wait_recorded(paths[held], SETTLE_SECONDS)  # the hold re-INVITE and the mixer settle
    starts = {name: recorded_samples(path) for name, path in paths.items()}
    ends = {name: wait_recorded(path, HELD_SECONDS, starts[name]) for name, path in paths.items()}
    heard = tone_levels(paths[talking], starts[talking], ends[talking])
    silent = tone_levels(paths[held], starts[held], ends[held])
    print("held:", held, {k: round(v, 1) for k, v in silent.items()}, "talking:", talking,
          {k: round(v, 1) for k, v in heard.items()})  # fmt: skip
    assert heard[held] < heard["host"] + ABSENT_DB, (talking, "hears the held call", heard)
    assert silent["host"] < heard["host"] + ABSENT_DB, (held, "hears us while held", silent)


@pytest.mark.interop
@pytest.mark.slow
def test_hold_and_answer_swap_twice_and_merge_into_a_conference(
    lab: Lab, flat_lan: list[Host]
) -> None:
    phones: dict[str, Alexphone] = {}
    for host, name in zip(flat_lan, TONES, strict=True):
        phones[name] = Alexphone(
            lab,
            host.ns,
            name,
            listen=[f"udp:{host.ipv4}:5060"],
            args=["--no-alex"],
            mdns=False,
            audio_in=f"tone:{TONES[name]:g}",
            audio_out=f"file:{lab.workdir / (name + '.wav')}",
        )
        phones[name].daemon()
    for phone in phones.values():
        phone.wait_event("ua.ready", timeout=15)
    host, alice, bob = phones["host"], phones["alice"], phones["bob"]
    uri = f"sip:host@{flat_lan[0].ipv4}:5060"

    ctl(alice, "dial", uri)
    with_alice = answer_incoming(host, alice, 0)
    mark = host.mark()
    ctl(bob, "dial", uri)
    with_bob = answer_incoming(host, bob, mark)  # hold-and-answer: Alice is held
    wait_mode(host, with_alice, "held", mark)
    alice.wait_event("call.state", lambda e: e["state"] == "held", timeout=15)
    held_alone(lab.workdir, talking="bob", held="alice")

    mark = host.mark()
    ctl(host, "swap")  # back to Alice, Bob held
    wait_mode(host, with_bob, "held", mark)
    wait_mode(host, with_alice, "active", mark)
    mark = host.mark()
    ctl(host, "swap")  # and to Bob again
    wait_mode(host, with_alice, "held", mark)
    wait_mode(host, with_bob, "active", mark)

    mark, alice_mark = host.mark(), alice.mark()
    ctl(host, "merge")
    wait_mode(host, with_alice, "conference", mark)
    wait_mode(host, with_bob, "conference", mark)
    alice.wait_event("call.state", lambda e: e["state"] == "confirmed", 15, alice_mark)
    recordings = {name: lab.workdir / f"{name}.wav" for name in TONES}
    settled = {name: wait_recorded(path, SETTLE_SECONDS) for name, path in recordings.items()}
    for path, start in zip(recordings.values(), settled.values(), strict=True):
        wait_recorded(path, CONFERENCE_SECONDS, start)

    for name in TONES:
        levels = tone_levels(recordings[name], settled[name])
        print(name, {other: round(db, 1) for other, db in levels.items()})  # shown with -s
        others = [levels[other] for other in TONES if other != name]
        loudest = max(others)
        for other in TONES:
            if other != name:
                assert levels[other] > loudest + PRESENT_DB, (name, "misses", other, levels)
        assert levels[name] < loudest + ABSENT_DB, (name, "hears itself", levels)
    for phone in phones.values():
        assert phone.stop() == 0
