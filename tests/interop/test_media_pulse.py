"""The sound-card path (PyAudio → PortAudio → ALSA → PulseAudio) on a null sink.

No sound card here, so the test starts its own PulseAudio with a null sink whose
monitor is the default source (lab README gotcha 10), in a private HOME and
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
import time
from pathlib import Path

import pytest
from lab import Lab

pytestmark = [pytest.mark.interop, pytest.mark.needs("pulseaudio", "pactl")]

PULSE_SCRIPT = """load-module module-native-protocol-unix auth-anonymous=1
load-module module-null-sink sink_name=nullsink sink_properties=device.description=NullSink
set-default-sink nullsink
set-default-source nullsink.monitor
"""

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
heard = heard[np.abs(heard) > 0]  # the device delivers in bursts; gaps are padded silence
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


def test_pyaudio_devices_move_paced_audio_through_a_pulseaudio_null_sink(lab: Lab) -> None:
    home = lab.workdir / "pulse-home"
    runtime = home / "run"
    runtime.mkdir(parents=True)
    runtime.chmod(0o700)
    script = lab.workdir / "null.pa"
    script.write_text(PULSE_SCRIPT)
    env = {"HOME": str(home), "XDG_RUNTIME_DIR": str(runtime)}
    argv = ["pulseaudio", "-n", "-F", str(script), "--daemonize=no", "--exit-idle-time=-1",
            "--disallow-exit", "--log-target=stderr"]  # fmt: skip
    lab.spawn(None, argv, lab.workdir / "pulseaudio.log", timeout=60, env=env)
    _wait_for_pulse(env)

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


def _wait_for_pulse(env: dict[str, str], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ok = subprocess.run(["pactl", "info"], env={**os.environ, **env}, capture_output=True,
                            timeout=5, check=False)  # fmt: skip
        if ok.returncode == 0:
            return
        time.sleep(0.2)
    raise AssertionError("pulseaudio did not come up")
