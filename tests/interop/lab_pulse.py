"""A private PulseAudio with a null sink whose monitor is the default source.

No sound card here: what is played to the null sink comes back from its monitor, so a
test can play and record through the real PyAudio → PortAudio → ALSA → PulseAudio path.
The server runs under the lab (stopped by its PID) in a private HOME and XDG_RUNTIME_DIR.
"""

from __future__ import annotations

import os
import subprocess
import time

from lab import Lab

PULSE_SCRIPT = """load-module module-native-protocol-unix auth-anonymous=1
load-module module-null-sink sink_name=nullsink sink_properties=device.description=NullSink
set-default-sink nullsink
set-default-source nullsink.monitor
"""


def start_pulse(lab: Lab) -> dict[str, str]:
    """Start PulseAudio with a null sink in a private HOME; return its environment."""
    home = lab.workdir / "pulse-home"
    runtime = home / "run"
    runtime.mkdir(parents=True)
    runtime.chmod(0o700)
    script = lab.workdir / "null.pa"
    script.write_text(PULSE_SCRIPT)
    env = {"HOME": str(home), "XDG_RUNTIME_DIR": str(runtime)}
    argv = ["pulseaudio", "-n", "-F", str(script), "--daemonize=no", "--exit-idle-time=-1",
            "--disallow-exit", "--log-target=stderr"]  # fmt: skip
    lab.spawn(None, argv, lab.workdir / "pulseaudio.log", timeout=120, env=env)
    _wait_for_pulse(env)
    return env


def _wait_for_pulse(env: dict[str, str], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:  # bounded: no event to wait on but the socket answering
        ok = subprocess.run(["pactl", "info"], env={**os.environ, **env}, capture_output=True,
                            timeout=5, check=False)  # fmt: skip
        if ok.returncode == 0:
            return
        time.sleep(0.2)
    raise AssertionError("pulseaudio did not come up")
