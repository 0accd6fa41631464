"""The sound-card path (PyAudio → PortAudio → ALSA → PulseAudio) on a null sink.

No sound card here, so the test starts its own PulseAudio with a null sink whose
monitor is the default source (docs/TESTING.md "Real peers"), in a private HOME and
XDG_RUNTIME_DIR, and kills it afterwards. A child process opens our DeviceSink and
DeviceSource on the default devices, plays a 1 kHz tone frame by frame for 1.5 s
and captures the monitor. Pass: both devices opened (no fallback event), the
device consumed and produced audio at its real-time rate, and the tone came back.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest
from lab import Lab
from lab_pulse import start_pulse

pytestmark = [pytest.mark.interop, pytest.mark.needs("pulseaudio", "pactl")]


CHILD = r"""
import json, time
import numpy as np
from alexphone.media.audio_device import DeviceSink, DeviceSource, PortAudio
from alexphone.media.audio_endpoint import ToneSource
from alexphone.media.resampler import to_samples

changes = []
system = PortAudio()
sink = DeviceSink(system, "", 48000, lambda d, w: changes.append([d, w]))
source = DeviceSource(system, "", 48000, lambda d, w: changes.append([d, w]))
tone = ToneSource(48000, 1000)
captured = []
start = time.monotonic()
for n in range(150):  # 3 s of 20 ms frames, paced by the wall clock like the stream
    sink.write(tone.read(960))
    captured.append(source.read(960))
    time.sleep(max(0.0, start + (n + 1) * 0.02 - time.monotonic()))
elapsed = time.monotonic() - start
heard = to_samples(b"".join(captured))
# the device delivers in bursts and gaps are padded silence: drop runs of zeros, not the
# tone's own zero samples (at 48 kHz, unresampled, a 1 kHz sine is exactly 0 twice a period)
heard = heard[np.convolve(heard != 0, np.ones(9), "same") > 0]
spectrum = np.abs(np.fft.rfft(heard * np.hanning(heard.size)))
print(json.dumps({
    "changes": changes, "out": sink.device_name, "in": source.device_name,
    "out_rate": sink.native_rate, "in_rate": source.native_rate, "elapsed": elapsed,
    "requested": sink.requested, "captured": source.captured, "played": sink.played,
    "rms": float(np.sqrt(np.mean(heard ** 2))),
    "peak_hz": float(np.argmax(spectrum) * 48000 / heard.size),
}))
sink.close(); source.close(); system.close()
"""


RINGER_CHILD = r"""
import asyncio, json, sys
from alexphone.engine.sound import SoundController
from alexphone.media.audio_device import PortAudio

events = []

async def main():
    system = PortAudio()
    names = [d.name for d in system.devices() if d.outputs > 0]
    sounds = SoundController(system, events.append)
    sounds.play(sys.argv[1], sys.argv[2], True)  # as the GUI's ringer asks for the ringtone
    asyncio.get_running_loop().call_later(float(sys.argv[3]), sounds.stop)
    await sounds.finished.wait()
    system.close()
    print(json.dumps({"outputs": names, "events": [e.to_json() for e in events]}))

asyncio.run(main())
"""


def test_pyaudio_devices_move_paced_audio_through_a_pulseaudio_null_sink(lab: Lab) -> None:
    env = start_pulse(lab)
    child_env = {**os.environ, **env, "PYTHONPATH": str(Path(__file__).parents[2] / "app")}
    done = subprocess.run([sys.executable, "-c", CHILD], env=child_env, capture_output=True,
                          text=True, timeout=30, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    print("pulse smoke:", json.dumps(result))

    assert result["changes"] == [], json.dumps(result)  # both default devices, no fallback
    # Paced, not instant: an unpaced device (ALSA null) would pull everything at once. This
    # VM's PulseAudio null sink runs at about half its nominal rate (`pacat` of 2 s of audio
    # takes 3.9 s here too), so the lower bound is loose.
    out_rate = result["requested"] / result["elapsed"] / result["out_rate"]
    assert 0.2 < out_rate < 1.3, json.dumps(result)
    assert result["captured"] > 0 and result["played"] > 0.2 * 48000, json.dumps(result)
    assert result["rms"] > 1000, json.dumps(result)  # the tone came back through the monitor
    assert result["peak_hz"] == pytest.approx(1000, abs=20), json.dumps(result)


@pytest.mark.needs("parec")
def test_ringtone_reaches_the_chosen_device_through_the_engine(lab: Lab) -> None:
    env = start_pulse(lab)
    child_env = {**os.environ, **env, "PYTHONPATH": str(Path(__file__).parents[2] / "app")}
    recording = lab.workdir / "monitor.raw"
    argv = ["parec", "-d", "nullsink.monitor", "--rate=16000", "--channels=1",
            "--format=s16le", "--raw", str(recording)]  # fmt: skip
    recorder = lab.spawn(None, argv, lab.workdir / "parec.log", timeout=60, env=env)
    ringtone = Path(__file__).parents[2] / "resources" / "sounds" / "ringtone.wav"
    # "pulse" is a named PortAudio device (ALSA's PulseAudio plugin), not the default ""
    done = subprocess.run([sys.executable, "-c", RINGER_CHILD, str(ringtone), "pulse", "3.0"],
                          env=child_env, capture_output=True, text=True, timeout=30,
                          check=False)  # fmt: skip
    recorder.stop()
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    print("ringer:", json.dumps(result))
    assert result["events"] == [], json.dumps(result)  # the named device opened, no fallback
    heard = np.frombuffer(recording.read_bytes(), dtype="<i2").astype(np.float64)
    with wave.open(str(ringtone), "rb") as wav:  # 16 kHz mono, like the recording
        clip = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").astype(np.float64)
    assert np.sqrt(np.mean(heard**2)) > 300, "nothing reached the null sink"
    # the ringtone's opening 200 ms, found in what the sink's monitor recorded
    head = clip[:3200]
    correlation = np.correlate(heard, head, mode="valid")
    energy = np.sqrt(np.convolve(heard**2, np.ones(head.size), mode="valid") * np.sum(head**2))
    match = float(np.max(correlation / np.maximum(energy, 1.0)))
    print(f"ringer: heard {heard.size / 16000:.2f} s, best match with the clip {match:.2f}")
    assert match > 0.8
