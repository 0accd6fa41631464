"""SDES-SRTP with linphonec set to SRTP mandatory, both ways: confirmed, tones heard each way.

linphonec (Debian linphone-cli) runs headless with the files sound card, as in
test_media_peers.py, with `media_encryption=srtp` and `media_encryption_mandatory=1`: it
offers RTP/SAVP and refuses cleartext (the last test shows it refusing a cleartext offer).
Each side plays its own tone (we 440 Hz, linphonec 700 Hz) and records what it hears; each
recording must hold the other side's tone, which only decrypted audio can. As in
test_srtp_baresip.py, a raw socket in linphonec's namespace reads every datagram we send:
each RTP datagram is as long as PCMU plus the suite's authentication tag.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
from lab import Host, Lab, Process
from lab_alexphone import Alexphone
from lab_peers import tone_wav
from media_tools import active_seconds, read_wav
from test_srtp_baresip import TAG_BYTES, WireWatch

pytestmark = [pytest.mark.interop, pytest.mark.slow, pytest.mark.needs("linphonec")]

RC = """[sip]
sip_port=5060
sip_tcp_port=0
sip_tls_port=0
use_ipv6=0
prefer_ipv6=0
ipv6_migration_done=1
media_encryption=srtp
media_encryption_mandatory=1
[rtp]
audio_rtp_port=7078
[video]
display=0
capture=0
automatically_initiate=0
automatically_accept=0
"""


def peak_hz(samples: np.ndarray, rate: int) -> float:
    """The strongest frequency of ``samples``."""
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(samples.size)))
    return float(np.argmax(spectrum) * rate / samples.size)


def heard_tone(path: Path, hz: float) -> bool:
    """Tell whether ``path`` holds more than 1.5 s of a tone at ``hz``."""
    rate, samples = read_wav(path)
    return active_seconds(samples, rate) > 1.5 and abs(peak_hz(samples, rate) - hz) < 15


def linphonec(lab: Lab, host: Host, commands: list[str], seconds: float) -> Process:
    """linphonec -a with SRTP mandatory, fed ``commands`` then ``quit`` after ``seconds``."""
    home = lab.workdir / "linphone-home"
    (home / ".local/share/linphone").mkdir(parents=True, exist_ok=True)
    rc = lab.workdir / "linphonerc"
    rc.write_text(RC)
    lines = "; ".join(c if c.startswith("sleep") else f'echo "{c}"' for c in commands)
    script = lab.workdir / "linphone.sh"
    script.write_text(
        f"({lines}; sleep {seconds:g}; echo quit) | HOME={home} linphonec -a -c {rc}\n"
    )
    return lab.spawn(host.ns, ["sh", str(script)], lab.workdir / "linphonec.log",
                     timeout=seconds + 30)  # fmt: skip


def sound_commands(lab: Lab) -> tuple[list[str], Path]:
    """linphonec's files sound card playing a 700 Hz tone; where it records."""
    tone = tone_wav(lab.workdir / "tone700.wav", seconds=20, hz=700, rate=48000)
    recorded = lab.workdir / "linphone-heard.wav"
    return ["soundcard use files", f"play {tone}", f"record {recorded}"], recorded


def assert_encrypted_on_the_wire(wire: WireWatch, media: dict[str, object]) -> None:
    """Our RTP datagrams carry the suite's tag: 12 + 160 + tag bytes, never bare PCMU."""
    port = int(str(media["local"]).rsplit(":", 1)[1])
    sent = wire.rtp_from(port)
    assert len(sent) >= 100, f"{len(sent)} RTP datagrams seen of {len(wire.payloads)}"
    assert {len(p) for p in sent} == {12 + 160 + TAG_BYTES[str(media["suite"])]}


def test_we_call_linphonec_with_srtp_mandatory(lab: Lab, flat_lan: list[Host]) -> None:
    ours, theirs = flat_lan[0], flat_lan[1]
    commands, recorded = sound_commands(lab)
    linphone = linphonec(lab, theirs, commands, seconds=10)
    lab.wait_listening(theirs.ns, "udp", "0.0.0.0", 5060, timeout=15)
    time.sleep(1.0)  # the sound card commands are read after the SIP port opens
    got = lab.workdir / "we-heard.wav"
    phone = Alexphone(lab, ours.ns, "caller", listen=[f"udp:{ours.ipv4}:5060"],
                      audio_in="tone:440", audio_out=f"file:{got}",
                      args=["--codecs", "pcmu", "--media-encryption", "mandatory"])  # fmt: skip
    wire = WireWatch(lab, theirs.ns, ours.ipv4)

    code, events = phone.run_call(f"sip:carol@{theirs.ipv4}:5060", duration=4, timeout=40)
    wire.stop()

    assert code == 0, phone.stderr_tail()
    states = [e["state"] for e in events if e["event"] == "call.state"]
    assert "confirmed" in states, (states, linphone.log_text()[-2000:])
    media = [e for e in events if e["event"] == "call.media"][-1]
    assert media["encryption"] == "srtp" and media["suite"] in TAG_BYTES, media
    stats = [e for e in events if e["event"] == "call.stats"][-1]
    assert stats["sent"] >= 150 and stats["received"] >= 150 and stats["auth_failed"] == 0, stats
    assert_encrypted_on_the_wire(wire, media)
    assert heard_tone(got, 700)
    linphone.wait(40)
    subprocess.run(["sync"], check=False)
    assert heard_tone(recorded, 440), linphone.log_text()[-2000:]


def test_linphonec_with_srtp_mandatory_calls_us(lab: Lab, flat_lan: list[Host]) -> None:
    ours, theirs = flat_lan[0], flat_lan[1]
    got = lab.workdir / "we-heard.wav"
    phone = Alexphone(
        lab,
        ours.ns,
        "callee",
        listen=[f"udp:{ours.ipv4}:5060"],
        audio_in="tone:440",
        audio_out=f"file:{got}",
        args=["--codecs", "pcmu"],
    )  # fmt: skip  (default policy: optional)
    phone.daemon("--auto-answer")
    phone.wait_event("ua.ready", timeout=15)
    wire = WireWatch(lab, theirs.ns, ours.ipv4)
    commands, recorded = sound_commands(lab)
    commands = ["sleep 2", *commands, f"call sip:alice@{ours.ipv4}:5060", "sleep 6", "terminate"]
    linphone = linphonec(lab, theirs, commands, seconds=2)

    confirmed = phone.wait_event("call.state", lambda e: e["state"] == "confirmed", timeout=30)
    media = phone.wait_event("call.media", timeout=10)
    phone.wait_event("call.state", lambda e: e["state"] == "ended", timeout=30)
    stats = phone.wait_event("call.stats", lambda e: e["received"] > 0, timeout=10)
    linphone.wait(40)
    wire.stop()

    assert confirmed["direction"] == "in"
    assert media["encryption"] == "srtp" and media["suite"] in TAG_BYTES, media
    assert stats["sent"] >= 150 and stats["received"] >= 150 and stats["auth_failed"] == 0, stats
    assert_encrypted_on_the_wire(wire, media)
    subprocess.run(["sync"], check=False)
    assert heard_tone(recorded, 440), linphone.log_text()[-2000:]
    assert heard_tone(got, 700)
    phone.stop()


def test_linphonec_with_srtp_mandatory_refuses_our_cleartext_offer(
    lab: Lab, flat_lan: list[Host]
) -> None:
    ours, theirs = flat_lan[0], flat_lan[1]
    commands, _ = sound_commands(lab)
    linphonec(lab, theirs, commands, seconds=6)
    lab.wait_listening(theirs.ns, "udp", "0.0.0.0", 5060, timeout=15)
    phone = Alexphone(lab, ours.ns, "caller", listen=[f"udp:{ours.ipv4}:5060"],
                      audio_in="tone:440", audio_out="null",
                      args=["--codecs", "pcmu", "--media-encryption", "off"])  # fmt: skip

    code, events = phone.run_call(f"sip:carol@{theirs.ipv4}:5060", duration=2, timeout=40)

    states = [e for e in events if e["event"] == "call.state"]
    assert "confirmed" not in [e["state"] for e in states], states
    assert states[-1]["state"] == "ended" and states[-1]["code"] == 488, states[-1]
    assert code != 0
