"""Audio both ways with SIPp (RTP echo) and linphonec: packets arrive and carry sound.

SIPp's built-in uac offers PCMU and sends no RTP of its own; with `-rtp_echo` it
returns every RTP packet to where it came from, so a tone we send must come back,
decodable, into our `--audio-out` file. linphonec runs headless with its
"files" sound card (docs/TESTING.md "Real peers": a temp HOME with
.local/share/linphone, prefer_ipv6=0), plays a tone WAV and records what it hears.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
from lab import Host, Lab, Process
from lab_alexphone import Alexphone
from lab_peers import Sipp, tone_wav
from media_tools import active_seconds, read_wav, rms

pytestmark = [pytest.mark.interop]


def peak_hz(samples: np.ndarray, rate: int) -> float:
    """The strongest frequency of a signal."""
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(samples.size)))
    return float(np.argmax(spectrum) * rate / samples.size)


@pytest.mark.needs("sipp")
def test_sipp_uac_echoes_our_pcmu_tone_back(lab: Lab, flat_lan: list[Host]) -> None:
    ours, theirs = flat_lan[0], flat_lan[1]
    got = lab.workdir / "echo.wav"
    phone = Alexphone(lab, ours.ns, "daemon", listen=[f"udp:{ours.ipv4}:5060"],
                      audio_in="tone:440", audio_out=f"file:{got}")  # fmt: skip
    phone.daemon("--auto-answer")
    phone.wait_event("ua.ready", timeout=15)
    uac = Sipp(lab, theirs.ns, "uac", theirs.ipv4, 5080, target=f"{ours.ipv4}:5060",
               calls=1, call_ms=3000, extra=["-rtp_echo", "-mi", theirs.ipv4]).start()  # fmt: skip

    result = uac.wait(30)
    stats = phone.wait_event("call.stats", timeout=10)

    assert result.ok, result
    media = phone.wait_event("call.media", timeout=1)
    assert media["codec"] == "PCMU/8000"
    assert stats["sent"] >= 120 and stats["received"] >= 100, stats  # ~150 in 3 s, echoed
    rate, samples = read_wav(got)
    assert rate == 8000
    assert active_seconds(samples, rate) > 1.5
    assert peak_hz(samples[samples != 0], rate) == pytest.approx(440, abs=10)
    phone.stop()


@pytest.mark.needs("sipp")
def test_a_peer_that_sends_no_rtp_is_hung_up_after_the_media_timeout(
    lab: Lab, flat_lan: list[Host]
) -> None:
    ours, theirs = flat_lan[0], flat_lan[1]
    phone = Alexphone(
        lab,
        ours.ns,
        "daemon",
        listen=[f"udp:{ours.ipv4}:5060"],
        audio_in="silence",
        audio_out="null",
        args=["--media-timeout", "2"],
    )
    phone.daemon("--auto-answer")
    phone.wait_event("ua.ready", timeout=15)
    uac = Sipp(
        lab, theirs.ns, "uac", theirs.ipv4, 5080, target=f"{ours.ipv4}:5060", calls=1, call_ms=10000
    ).start()  # no -rtp_echo: SIPp stays mute

    confirmed = phone.wait_event("call.state", lambda e: e["state"] == "confirmed", timeout=10)
    ended = phone.wait_event("call.state", lambda e: e["state"] == "ended", timeout=10)

    assert ended["reason"] == "media timeout", ended
    assert 2.0 <= ended["ts"] - confirmed["ts"] < 4.0
    uac.wait(30)
    phone.stop()


# -- linphonec ----------------------------------------------------------------------------
LINPHONE_RC = """[sip]
sip_port=5060
sip_tcp_port=0
sip_tls_port=0
use_ipv6=0
prefer_ipv6=0
ipv6_migration_done=1
[rtp]
audio_rtp_port=7078
[video]
display=0
capture=0
automatically_initiate=0
automatically_accept=0
"""


def start_linphonec(lab: Lab, host: Host, play: Path, record: Path, seconds: float) -> Process:
    """linphonec -a (auto-answer) on host:5060 with the files sound card."""
    home = lab.workdir / "linphone-home"
    (home / ".local/share/linphone").mkdir(parents=True)
    rc = lab.workdir / "linphonerc"
    rc.write_text(LINPHONE_RC)
    script = lab.workdir / "linphone.sh"
    script.write_text(
        f'(echo "soundcard use files"; echo "play {play}"; echo "record {record}";'
        f" sleep {seconds:g}; echo quit) | HOME={home} linphonec -a -c {rc}\n"
    )
    return lab.spawn(host.ns, ["sh", str(script)], lab.workdir / "linphonec.log",
                     timeout=seconds + 20)  # fmt: skip


@pytest.mark.slow
@pytest.mark.needs("linphonec")
def test_call_to_linphonec_has_audio_both_ways(lab: Lab, flat_lan: list[Host]) -> None:
    ours, theirs = flat_lan[0], flat_lan[1]
    their_tone = tone_wav(lab.workdir / "tone700.wav", seconds=20, hz=700, rate=48000)
    recorded = lab.workdir / "linphone-heard.wav"
    got = lab.workdir / "we-heard.wav"
    linphone = start_linphonec(lab, theirs, their_tone, recorded, seconds=9)
    lab.wait_listening(theirs.ns, "udp", "0.0.0.0", 5060, timeout=15)
    time.sleep(1.0)  # the sound card commands are read after the SIP port opens
    phone = Alexphone(lab, ours.ns, "caller", listen=[f"udp:{ours.ipv4}:5060"],
                      audio_in="tone:440", audio_out=f"file:{got}")  # fmt: skip

    code, events = phone.run_call(f"sip:carol@{theirs.ipv4}:5060", duration=4, timeout=40)

    assert code == 0, phone.stderr_tail()
    stats = [e for e in events if e["event"] == "call.stats"][-1]
    assert stats["sent"] >= 150 and stats["received"] >= 150, stats
    rate, samples = read_wav(got)
    assert active_seconds(samples, rate) > 2.0 and rms(samples) > 500
    assert peak_hz(samples, rate) == pytest.approx(700, abs=15)
    linphone.wait(30)
    subprocess.run(["sync"], check=False)
    rate, heard = read_wav(recorded)
    assert active_seconds(heard, rate) > 2.0, linphone.log_text()[-2000:]
    assert peak_hz(heard, rate) == pytest.approx(440, abs=15)
