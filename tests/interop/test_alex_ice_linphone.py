"""ICE for ICE peers (issue 5, Build 5): linphonec with ICE on a flat LAN, both directions.

linphonec (Debian linphone-cli) runs headless with the files sound card
(docs/TESTING.md "Real peers") and ``firewall_policy=3`` (ICE) with the lab's coturn as
STUN server. It does not speak ALEX. When we call it, its answer's candidates and
ice-ufrag/ice-pwd drive our check agent for the audio flow (Mode.ICE): ``alex.selected``
names the audio path and nothing else, and audio flows both ways. When it calls us, its
offer wants ICE on RTCP too (component 2, no rtcp-mux), which we do not run: we answer
without ICE and the call is plain, audio both ways.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
from lab import Host, Lab, Process
from lab_alexphone import Alexphone
from lab_coturn import Coturn
from lab_peers import tone_wav
from media_tools import active_seconds, read_wav

pytestmark = [pytest.mark.interop, pytest.mark.slow, pytest.mark.needs("linphonec", "turnserver")]

RC = """[sip]
sip_port=5060
sip_tcp_port=0
sip_tls_port=0
use_ipv6=0
prefer_ipv6=0
ipv6_migration_done=1
[net]
firewall_policy=3
stun_server={stun}
[rtp]
audio_rtp_port=7078
[video]
display=0
capture=0
automatically_initiate=0
automatically_accept=0
"""


def _peak_hz(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(samples.size)))
    return float(np.argmax(spectrum) * rate / samples.size)


def _linphonec(lab: Lab, host: Host, stun: str, commands: str, seconds: float) -> Process:
    """linphonec -a with ICE, fed ``commands`` (one per line) then ``quit`` after ``seconds``."""
    home = lab.workdir / "linphone-home"
    (home / ".local/share/linphone").mkdir(parents=True, exist_ok=True)
    rc = lab.workdir / "linphonerc"
    rc.write_text(RC.format(stun=stun))
    lines = "; ".join(
        f'echo "{c}"' if not c.startswith("sleep") else c for c in commands.split("\n")
    )
    script = lab.workdir / "linphone.sh"
    script.write_text(
        f"({lines}; sleep {seconds:g}; echo quit) | HOME={home} linphonec -a -c {rc}\n"
    )
    return lab.spawn(host.ns, ["sh", str(script)], lab.workdir / "linphonec.log",
                     timeout=seconds + 25)  # fmt: skip


def _selected(events: list[dict[str, object]]) -> dict[str, dict[str, object]]:
    return {str(e["flow"]): e for e in events if e.get("event") == "alex.selected"}


def _heard_tone(path: Path, hz: float) -> bool:
    rate, samples = read_wav(path)
    return active_seconds(samples, rate) > 1.5 and abs(_peak_hz(samples, rate) - hz) < 15


def test_we_call_linphonec_with_ice(lab: Lab, flat_lan: list[Host]) -> None:
    ours, theirs, server = flat_lan
    coturn = Coturn(lab, server.ns, server.ipv4).start()
    tone = tone_wav(lab.workdir / "tone700.wav", seconds=20, hz=700, rate=48000)
    recorded = lab.workdir / "linphone-heard.wav"
    got = lab.workdir / "we-heard.wav"
    commands = f"soundcard use files\nplay {tone}\nrecord {recorded}"
    linphone = _linphonec(lab, theirs, coturn.server, commands, seconds=10)
    lab.wait_listening(theirs.ns, "udp", "0.0.0.0", 5060, timeout=15)
    time.sleep(1.0)  # the sound card commands are read after the SIP port opens
    phone = Alexphone(lab, ours.ns, "caller", listen=[f"udp:{ours.ipv4}:5060"],
                      audio_in="tone:440", audio_out=f"file:{got}")  # fmt: skip

    code, events = phone.run_call(f"sip:carol@{theirs.ipv4}:5060", duration=4, timeout=40)

    log = linphone.log_text()
    assert code == 0, phone.stderr_tail()
    selected = _selected(events)
    assert set(selected) == {"audio"}, (events, log[-3000:])  # ICE: no sip flow
    assert selected["audio"]["kind"] == "host"
    assert str(selected["audio"]["remote"]).startswith(f"{theirs.ipv4}:")
    stats = [e for e in events if e["event"] == "call.stats"][-1]
    assert stats["sent"] >= 150 and stats["received"] >= 150, stats
    assert _heard_tone(got, 700)
    linphone.wait(40)
    subprocess.run(["sync"], check=False)
    assert _heard_tone(recorded, 440), linphone.log_text()[-2000:]
    print("ICE with linphonec (we call):", selected["audio"])


def test_linphonec_calling_us_with_ice_and_rtcp_gets_a_plain_answer(
    lab: Lab, flat_lan: list[Host]
) -> None:
    ours, theirs, server = flat_lan
    coturn = Coturn(lab, server.ns, server.ipv4).start()
    tone = tone_wav(lab.workdir / "tone700.wav", seconds=20, hz=700, rate=48000)
    recorded = lab.workdir / "linphone-heard.wav"
    got = lab.workdir / "we-heard.wav"
    phone = Alexphone(lab, ours.ns, "callee", listen=[f"udp:{ours.ipv4}:5060"],
                      audio_in="tone:440", audio_out=f"file:{got}")  # fmt: skip
    phone.daemon("--auto-answer")
    phone.wait_event("ua.ready", timeout=15)
    commands = (
        f"sleep 2\nsoundcard use files\nplay {tone}\nrecord {recorded}\n"
        f"call sip:alice@{ours.ipv4}:5060\nsleep 6\nterminate"
    )
    linphone = _linphonec(lab, theirs, coturn.server, commands, seconds=2)

    phone.wait_event("call.state", lambda e: e["state"] == "ended", timeout=30)
    linphone.wait(40)
    events = phone.events.snapshot()
    # linphonec offers ICE on RTP and RTCP (components 1 and 2) without a=rtcp-mux; we run
    # ICE on component 1 only, so we answer without ICE (alexcall.ice.adopt_ice): a plain call
    # with symmetric RTP, and linphonec drops ICE for it (RFC 8839 §3.2).
    assert not _selected(events), events
    states = [e for e in events if e["event"] == "call.state"]
    assert any(e["state"] == "confirmed" for e in states), states
    stats = [e for e in events if e["event"] == "call.stats"][-1]
    assert stats["sent"] >= 150 and stats["received"] >= 150, stats
    subprocess.run(["sync"], check=False)
    assert _heard_tone(recorded, 440), linphone.log_text()[-2000:]
    assert _heard_tone(got, 700)
    phone.stop()
