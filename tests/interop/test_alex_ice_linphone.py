"""ICE for ICE peers: linphonec with ICE on a flat LAN, both directions, both components.

linphonec (Debian linphone-cli) runs headless with the files sound card
(docs/TESTING.md "Real peers") and ``firewall_policy=3`` (ICE) with the lab's coturn as
STUN server. It does not speak ALEX, and it does not multiplex RTCP: its SDP has RTP and
RTCP candidates (components 1 and 2) and no a=rtcp-mux. Either way round, its candidates and
ice-ufrag/ice-pwd drive our check agent for the media flows (Mode.ICE): ``alex.selected``
names the audio path and the RTCP path (component 2, on the RTCP ports) and no sip flow, each
side's RTCP reaches the other's RTCP port, and audio flows both ways.
"""

from __future__ import annotations

import re
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


# RTCP (RFC 3550 version 2, packet types 200-206): neither checks (STUN) nor RTP
RTCP_ONLY = "udp and udp[8] & 0xc0 == 0x80 and udp[9] >= 200 and udp[9] <= 206"
_PACKET = re.compile(r"IP (\d+\.\d+\.\d+\.\d+)\.(\d+) > (\d+\.\d+\.\d+\.\d+)\.(\d+): UDP")
Endpoint = tuple[str, int]


def _rtcp_capture(lab: Lab, host: Host) -> Process:
    """tcpdump of RTCP datagrams in ``host``'s namespace."""
    argv = ["tcpdump", "-i", "any", "-n", "-l", "-q", RTCP_ONLY]
    process = lab.spawn(host.ns, argv, lab.workdir / "rtcp.tcpdump.txt", timeout=120)
    deadline = time.monotonic() + 10
    while "listening on" not in process.log_text() and time.monotonic() < deadline:
        time.sleep(0.05)  # tcpdump says so on stderr once it captures
    return process


def _rtcp_flows(capture: Process) -> set[tuple[Endpoint, Endpoint]]:
    """Stop the capture; the (source, destination) of every RTCP datagram it saw."""
    capture.stop()
    found = set()
    for match in _PACKET.finditer(capture.log_text()):
        found.add(((match[1], int(match[2])), (match[3], int(match[4]))))
    return found


def _assert_rtcp_between_rtcp_ports(
    flows: set[tuple[Endpoint, Endpoint]], selected: dict[str, dict[str, object]]
) -> None:
    """RTCP went both ways between the selected component-2 pair's ends (RTP port + 1)."""
    host, port = str(selected["rtcp"]["local"]).rsplit(":", 1)
    peer, peer_port = str(selected["rtcp"]["remote"]).rsplit(":", 1)
    ours, theirs = (host, int(port)), (peer, int(peer_port))
    assert (ours, theirs) in flows and (theirs, ours) in flows, (flows, selected)


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
    linphone = _linphonec(lab, theirs, coturn.server, commands, seconds=14)
    lab.wait_listening(theirs.ns, "udp", "0.0.0.0", 5060, timeout=15)
    capture = _rtcp_capture(lab, theirs)
    time.sleep(1.0)  # the sound card commands are read after the SIP port opens
    phone = Alexphone(lab, ours.ns, "caller", listen=[f"udp:{ours.ipv4}:5060"],
                      audio_in="tone:440", audio_out=f"file:{got}")  # fmt: skip

    code, events = phone.run_call(f"sip:carol@{theirs.ipv4}:5060", duration=7, timeout=40)

    log = linphone.log_text()
    assert code == 0, phone.stderr_tail()
    selected = _selected(events)
    _assert_both_components(selected, theirs.ipv4, log)
    _assert_rtcp_between_rtcp_ports(_rtcp_flows(capture), selected)
    stats = [e for e in events if e["event"] == "call.stats"][-1]
    assert stats["sent"] >= 150 and stats["received"] >= 150, stats
    assert _heard_tone(got, 700)
    linphone.wait(40)
    subprocess.run(["sync"], check=False)
    assert _heard_tone(recorded, 440), linphone.log_text()[-2000:]
    print("ICE with linphonec (we call):", selected["audio"])


def _assert_both_components(selected: dict[str, dict[str, object]], peer: str, log: str) -> None:
    """ICE selected RTP and RTCP pairs to ``peer``, RTCP on both sides' RTCP ports."""
    assert set(selected) == {"audio", "rtcp"}, (selected, log[-3000:])  # ICE: no sip flow
    audio, rtcp = selected["audio"], selected["rtcp"]
    assert audio["kind"] == rtcp["kind"] == "host", selected
    assert str(audio["remote"]).startswith(f"{peer}:"), selected
    rtp_port = int(str(audio["remote"]).rsplit(":", 1)[1])
    assert rtcp["remote"] == f"{peer}:{rtp_port + 1}", selected
    ours = int(str(audio["local"]).rsplit(":", 1)[1])
    assert str(rtcp["local"]).endswith(f":{ours + 1}"), selected


def test_linphonec_calling_us_gets_ice_on_both_components(lab: Lab, flat_lan: list[Host]) -> None:
    ours, theirs, server = flat_lan
    coturn = Coturn(lab, server.ns, server.ipv4).start()
    tone = tone_wav(lab.workdir / "tone700.wav", seconds=20, hz=700, rate=48000)
    recorded = lab.workdir / "linphone-heard.wav"
    got = lab.workdir / "we-heard.wav"
    phone = Alexphone(lab, ours.ns, "callee", listen=[f"udp:{ours.ipv4}:5060"],
                      audio_in="tone:440", audio_out=f"file:{got}")  # fmt: skip
    phone.daemon("--auto-answer")
    phone.wait_event("ua.ready", timeout=15)
    capture = _rtcp_capture(lab, theirs)
    commands = (
        f"sleep 2\nsoundcard use files\nplay {tone}\nrecord {recorded}\n"
        f"call sip:alice@{ours.ipv4}:5060\nsleep 6\nterminate"
    )
    linphone = _linphonec(lab, theirs, coturn.server, commands, seconds=2)

    phone.wait_event("call.state", lambda e: e["state"] == "ended", timeout=30)
    linphone.wait(40)
    events = phone.events.snapshot()
    # linphonec offers ICE on RTP and RTCP (components 1 and 2) without a=rtcp-mux: we
    # answer with candidates for both and check both; linphonec nominates both
    selected = _selected(events)
    _assert_both_components(selected, theirs.ipv4, linphone.log_text())
    _assert_rtcp_between_rtcp_ports(_rtcp_flows(capture), selected)
    states = [e for e in events if e["event"] == "call.state"]
    assert any(e["state"] == "confirmed" for e in states), states
    stats = [e for e in events if e["event"] == "call.stats"][-1]
    assert stats["sent"] >= 150 and stats["received"] >= 150, stats
    subprocess.run(["sync"], check=False)
    assert _heard_tone(recorded, 440), linphone.log_text()[-2000:]
    assert _heard_tone(got, 700)
    phone.stop()
